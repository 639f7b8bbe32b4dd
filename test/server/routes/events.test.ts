import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';
import { openSse, type SseFrame, type SseReader } from '../../helpers/sse.js';

describe.each(DIALECTS)('GET /api/v1/events on %s', (dialect) => {
  let t: TestApp;
  let base: string;
  const streams: SseReader[] = [];

  const signIn = async (id: string) => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id, name: id } }) } });
    return { authorization: `Bearer ${res.json().session.token}` };
  };
  const open = async (headers: Record<string, string>) => {
    const stream = await openSse(`${base}/api/v1/events`, headers);
    streams.push(stream);
    return stream;
  };
  const post = (headers: Record<string, string>, id: string, text: string) =>
    t.app.inject({ method: 'POST', url: `/api/v1/conversations/${id}/messages`, headers, payload: { text, clientMessageId: text.replace(/\W/g, '') } });
  const texts = (frames: SseFrame[]) => frames.filter((f) => f.event === 'message.created').map((f) => JSON.parse(f.data!).message.text);

  beforeEach(async () => {
    t = await createTestApp({ dialect, heartbeatMs: 100 });
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterEach(async () => {
    for (const s of streams.splice(0)) s.close();
    await t.close();
  });

  it('streams new messages live with ids that only grow, and heartbeats', async () => {
    const alice = await signIn('alice');
    const id = (await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: alice, payload: {} })).json().conversation.id;
    const stream = await open(alice);
    expect(stream.status).toBe(200);
    await stream.until((f) => f.some((x) => x.event === 'ready'));
    for (const text of ['one', 'two', 'three']) await post(alice, id, text);
    const frames = await stream.until((f) => texts(f).length === 3 && f.some((x) => x.comment === 'heartbeat'));
    expect(texts(frames)).toEqual(['one', 'two', 'three']);
    const ids = frames.filter((f) => f.event === 'message.created').map((f) => Number(f.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(3);
  });

  it('resumes after Last-Event-ID with nothing missed and nothing twice', async () => {
    const alice = await signIn('alice');
    const id = (await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: alice, payload: {} })).json().conversation.id;
    const first = await open(alice);
    await first.until((f) => f.some((x) => x.event === 'ready'));
    await post(alice, id, 'before drop');
    const seen = await first.until((f) => texts(f).length === 1);
    const lastId = seen.filter((f) => f.id !== undefined).at(-1)!.id!;
    first.close();
    await post(alice, id, 'while away 1');
    await post(alice, id, 'while away 2');
    const second = await open({ ...alice, 'last-event-id': lastId });
    await second.until((f) => f.some((x) => x.event === 'ready'));
    await post(alice, id, 'after return');
    const frames = await second.until((f) => texts(f).length === 3);
    expect(texts(frames)).toEqual(['while away 1', 'while away 2', 'after return']);
  });

  it('only delivers events of conversations the user takes part in', async () => {
    const alice = await signIn('alice');
    const bob = await signIn('bob');
    const bobsStream = await open(bob);
    await bobsStream.until((f) => f.some((x) => x.event === 'ready'));
    const id = (await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: alice, payload: {} })).json().conversation.id;
    await post(alice, id, 'for alice only');
    const bobsId = (await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: bob, payload: {} })).json().conversation.id;
    await post(bob, bobsId, 'bob here');
    const frames = await bobsStream.until((f) => texts(f).length >= 1);
    expect(texts(frames)).toEqual(['bob here']);
    const resumed = await open({ ...bob, 'last-event-id': '0' });
    const all = await resumed.until((f) => f.some((x) => x.event === 'ready'));
    expect(texts(all)).toEqual(['bob here']);
  });

  it('refuses a malformed Last-Event-ID with 400', async () => {
    const alice = await signIn('alice');
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/events', headers: { ...alice, 'last-event-id': 'abc' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('bad_request');
  });

  it('a session ended elsewhere (another process revoked it in the database) closes the stream within a heartbeat', async () => {
    const alice = await signIn('alice');
    const response = await fetch(`${base}/api/v1/events`, { headers: alice });
    const body = response.body!.getReader();
    const user = await t.app.services.users.findByExternalId('alice');
    // Straight to the database over another connection, as the CLI or another instance would: no in-process signal.
    const elsewhere = await t.db.elsewhere();
    await elsewhere.db.updateTable('users').set((eb) => ({ session_epoch: eb('session_epoch', '+', 1) })).where('id', '=', user!.id).execute();
    const deadline = Date.now() + 3000;
    let done = false;
    while (!done && Date.now() < deadline) done = (await body.read()).done;
    expect(done).toBe(true);
  });

  it('logout closes the open stream', async () => {
    const alice = await signIn('alice');
    const stream = await open(alice);
    await stream.until((f) => f.some((x) => x.event === 'ready'));
    const response = fetch(`${base}/api/v1/events`, { headers: alice });
    const body = (await response).body!.getReader();
    await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: alice });
    const deadline = Date.now() + 3000;
    let done = false;
    while (!done && Date.now() < deadline) done = (await body.read()).done;
    expect(done).toBe(true);
  });
});
