/**
 * An event stream whose access check fails (the database went away while the account's grants were being
 * loaded for a document-room event) never skips the event: it asks again with a short backoff, and if the
 * loads keep failing it closes, so that the client resumes with Last-Event-ID and gets the event from the log.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { openSse, type SseFrame, type SseReader } from '../../helpers/sse.js';

const connectionError = () => Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
const texts = (frames: SseFrame[]) => frames.filter((f) => f.event === 'message.created').map((f) => JSON.parse(f.data!).message.text as string);

/** Polls `condition` until it holds, failing after `timeoutMs`. */
async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`not met within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('an event stream whose access check fails', () => {
  let t: TestApp;
  let base: string;
  const streams: SseReader[] = [];
  let alice: Record<string, string>;
  let conversation: string;

  const post = (text: string) =>
    t.app.inject({ method: 'POST', url: `/api/v1/conversations/${conversation}/messages`, headers: alice, payload: { text, clientMessageId: text.replace(/\W/g, '') } });
  const open = async (headers: Record<string, string>) => {
    const stream = await openSse(`${base}/api/v1/events`, headers);
    streams.push(stream);
    await stream.until((f) => f.some((x) => x.event === 'ready'));
    return stream;
  };

  beforeEach(async () => {
    t = await createTestApp({ heartbeatMs: 60_000 });
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const code = await t.sign({ user: { id: 'alice' }, permissions: { resources: [{ type: 'document', id: 'doc-1', organizationId: 'default', accessRole: 'editor' }] } });
    const exchange = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: code } });
    alice = { authorization: `Bearer ${exchange.json().session.token}` };
    const room = await t.app.inject({ method: 'POST', url: '/api/v1/documents/doc-1/open', headers: alice });
    expect(room.statusCode).toBe(200);
    conversation = room.json().conversation.id;
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    for (const s of streams.splice(0)) s.close();
    await t.close();
  });

  it('asks again and delivers the event, in order, once, on the same stream', async () => {
    const stream = await open(alice);
    const spy = vi.spyOn(t.app.services.grants, 'list').mockRejectedValueOnce(connectionError()).mockRejectedValueOnce(connectionError());
    expect((await post('first')).statusCode).toBe(201);
    expect((await post('second')).statusCode).toBe(201);
    await stream.until((f) => texts(f).length >= 2);
    expect(texts(stream.frames)).toEqual(['first', 'second']);
    // Two failed loads, then one that holds for every later event: the grants are loaded once.
    expect(spy).toHaveBeenCalledTimes(3);
    // Still open: a later event arrives live.
    expect((await post('third')).statusCode).toBe(201);
    await stream.until((f) => texts(f).length >= 3);
    expect(texts(stream.frames)).toEqual(['first', 'second', 'third']);
  });

  it('closes when the lookups keep failing, and a stream resumed with Last-Event-ID gets the event', async () => {
    const stream = await open(alice);
    const readyId = stream.frames.find((f) => f.event === 'ready')!.id!;
    const subscribers = t.app.services.bus.size;
    const spy = vi.spyOn(t.app.services.grants, 'list').mockRejectedValue(connectionError());
    expect((await post('lost?')).statusCode).toBe(201);
    // 100 + 200 + 400 + 800 ms of retries, then the stream ends.
    await waitFor(() => t.app.services.bus.size === subscribers - 1, 5000, 'the stream closed');
    expect(spy).toHaveBeenCalledTimes(5);
    expect(texts(stream.frames)).toEqual([]);
    expect(t.logs.some((line) => line.includes('event stream closed: access check failed'))).toBe(true);

    spy.mockRestore();
    const resumed = await open({ ...alice, 'last-event-id': readyId });
    expect(texts(resumed.frames)).toEqual(['lost?']);
  });
});
