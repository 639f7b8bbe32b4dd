/**
 * `PATCH /api/v1/admin/conversations/:id {"title"}`: an administrator renames a conversation; the answer is
 * the inbox's shape, the audit entry is written with the change, and the participants' lists follow live
 * through `conversation.updated`. Members are refused, unknown ids are 404, bad titles 400.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';
import { fromNow, openSse, type SseFrame, type SseReader } from '../../helpers/sse.js';

type Headers = Record<string, string>;

describe.each(DIALECTS)('renaming a conversation on %s', (dialect) => {
  let t: TestApp;
  let base: string;
  let owner: { headers: Headers; userId: string };
  let alice: { headers: Headers; userId: string };
  const streams: SseReader[] = [];

  async function sessionFor(id: string, role: 'owner' | 'admin' | 'member' = 'member') {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id, name: id, email: `${id}@example.com` } }) } });
    const { session, user } = res.json();
    if (role !== 'member') await t.app.services.users.setRole(user.id, role);
    return { headers: { authorization: `Bearer ${session.token}` } as Headers, userId: user.id as string };
  }
  const call = (headers: Headers, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) => t.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
  const rename = (headers: Headers, id: string, payload: object) => call(headers, 'PATCH', `/api/v1/admin/conversations/${id}`, payload);
  const adminEntries = async () => (await call(owner.headers, 'GET', '/api/v1/admin/audit?kind=admin')).json().entries;
  const typed = (frames: SseFrame[]) => frames.filter((f) => f.event !== undefined && f.event !== 'ready').map((f) => [f.event, JSON.parse(f.data!)]);

  beforeEach(async () => {
    t = await createTestApp({ dialect });
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    owner = await sessionFor('the-owner', 'owner');
    alice = await sessionFor('alice');
  });
  afterEach(async () => {
    for (const s of streams.splice(0)) s.close();
    await t.close();
  });

  it('answers 200 with the inbox shape, audits it, and tells the participants with conversation.updated', async () => {
    const conversation = (await call(alice.headers, 'POST', '/api/v1/conversations', { message: { text: 'printer jammed', clientMessageId: 'q1' } })).json().conversation;
    const stream = await openSse(`${base}/api/v1/events`, await fromNow(t.db.store.db, alice.headers));
    streams.push(stream);
    await stream.until((f) => f.some((x) => x.event === 'ready'));
    t.clock.now += 1000;

    const res = await rename(owner.headers, conversation.id, { title: '  Printer, floor 3  ' });
    expect(res.statusCode).toBe(200);
    const renamed = { ...conversation, title: 'Printer, floor 3' };
    expect(res.json()).toEqual({ conversation: { ...renamed, unanswered: true, participants: [{ id: alice.userId, name: 'alice', agent: false, lastReadMessageId: conversation.lastMessage.id }] } });

    const frames = await stream.until((f) => typed(f).length === 1);
    expect(typed(frames)).toEqual([['conversation.updated', { conversation: renamed }]]);
    expect((await call(alice.headers, 'GET', '/api/v1/conversations')).json().conversations).toEqual([{ ...renamed, unreadCount: 0, lastReadMessageId: conversation.lastMessage.id }]);
    expect((await call(owner.headers, 'GET', '/api/v1/admin/conversations')).json().conversations[0].title).toBe('Printer, floor 3');

    expect((await adminEntries())[0]).toEqual({
      id: expect.any(String),
      at: '2026-11-20T12:00:01.000Z',
      kind: 'admin',
      action: 'conversation.update.title',
      actor: { id: owner.userId, label: 'the-owner@example.com' },
      outcome: 'ok',
      origin: null,
      ip: '127.0.0.1',
      target: conversation.id,
    });
  });

  it('an admin API key renames as its creator', async () => {
    const conversation = (await call(alice.headers, 'POST', '/api/v1/conversations', { title: 'Old' })).json().conversation;
    const { key } = (await call(owner.headers, 'POST', '/api/v1/admin/api-keys', { name: 'bot' })).json();
    const res = await rename({ 'x-api-key': key }, conversation.id, { title: 'New' });
    expect([res.statusCode, res.json().conversation.title]).toEqual([200, 'New']);
    expect((await adminEntries())[0]).toMatchObject({ action: 'conversation.update.title', actor: { id: owner.userId, label: 'API key "bot" of the-owner@example.com' }, outcome: 'ok' });
  });

  it('a member is 403 admin_required; an unknown id is 404 conversation_not_found, audited as refused', async () => {
    const conversation = (await call(alice.headers, 'POST', '/api/v1/conversations', { title: 'Mine' })).json().conversation;
    const member = await rename(alice.headers, conversation.id, { title: 'Hijacked' });
    expect([member.statusCode, member.json()]).toEqual([403, { error: { code: 'admin_required', message: 'Administrators only.' } }]);
    const unknown = await rename(owner.headers, 'cnv_unknown', { title: 'x' });
    expect([unknown.statusCode, unknown.json()]).toEqual([404, { error: { code: 'conversation_not_found', message: 'No such conversation.' } }]);
    expect((await adminEntries())[0]).toMatchObject({ action: 'conversation.update.title', outcome: 'conversation_not_found', target: 'cnv_unknown' });
    const anonymous = await t.app.inject({ method: 'PATCH', url: `/api/v1/admin/conversations/${conversation.id}`, payload: { title: 'x' } });
    expect([anonymous.statusCode, anonymous.json().error.code]).toEqual([401, 'session_missing']);
    expect((await call(alice.headers, 'GET', `/api/v1/conversations/${conversation.id}`)).json().conversation.title).toBe('Mine');
  });

  it('a title breaking the rule, no field or an unknown field is 400 bad_request, and nothing changes or is announced', async () => {
    const conversation = (await call(alice.headers, 'POST', '/api/v1/conversations', { title: 'Kept' })).json().conversation;
    const stream = await openSse(`${base}/api/v1/events`, await fromNow(t.db.store.db, alice.headers));
    streams.push(stream);
    await stream.until((f) => f.some((x) => x.event === 'ready'));
    const rule = 'title must be a string of 1 to 200 characters (surrounding spaces do not count)';
    for (const [payload, message] of [
      [{ title: '   ' }, rule],
      [{ title: 'x'.repeat(201) }, rule],
      [{ title: 'a\tb' }, 'title must not contain control characters (U+0000 to U+001F, U+007F)'],
    ] as const) {
      const res = await rename(owner.headers, conversation.id, payload);
      expect([res.statusCode, res.json()]).toEqual([400, { error: { code: 'bad_request', message } }]);
    }
    for (const payload of [{}, { title: 'x', colour: 'red' }]) {
      const res = await rename(owner.headers, conversation.id, payload);
      expect([res.statusCode, res.json().error.code]).toEqual([400, 'bad_request']);
    }
    // 200 characters, emoji counting as one each, are accepted.
    expect((await rename(owner.headers, conversation.id, { title: '😀'.repeat(200) })).statusCode).toBe(200);
    const frames = await stream.until((f) => typed(f).length === 1);
    expect(typed(frames).map(([type, data]) => [type, data.conversation.title])).toEqual([['conversation.updated', '😀'.repeat(200)]]);
  });
});
