/**
 * Per-account limits: one account once opened 400 event streams, sent 1,168 messages in 8 s and created
 * 600 conversations in 3 s. Messages (30 per 10 s), conversations (10 per minute) and open streams (10) are
 * now limited per account, configurable, on the app's clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { accountLimitsOf } from '../../../server/src/chat/account-limits.js';
import { loadConfig } from '../../../server/src/config.js';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';
import { openSse, type SseReader } from '../../helpers/sse.js';

const RATE_LIMITED = { error: { code: 'rate_limited', message: expect.stringMatching(/^Too many requests from this account\. Try again in \d+ s\.$/) } };

/** Resolves once `condition` holds (checked on every turn of the event loop, up to 5 s). */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let turns = 0; !condition(); turns++) {
    if (turns > 50_000) throw new Error(`not reached: ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe.each(DIALECTS)('per-account limits on %s', (dialect) => {
  let t: TestApp;
  const streams: SseReader[] = [];
  afterEach(async () => {
    for (const s of streams.splice(0)) s.close();
    await t.close();
  });

  const signIn = async (id: string, user: Record<string, unknown> = {}) => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id, name: id, ...user } }) } });
    return { headers: { authorization: `Bearer ${res.json().session.token}` }, userId: res.json().user.id as string };
  };
  const post = (headers: Record<string, string>, url: string, payload: object = {}) => t.app.inject({ method: 'POST', url, headers, payload });

  it('messages: 30 per 10 s per account by default, then 429 with Retry-After until the window slides', async () => {
    t = await createTestApp({ dialect });
    const alice = await signIn('alice');
    const aliceAgain = await signIn('alice');
    const bob = await signIn('bob');
    const id = (await post(alice.headers, '/api/v1/conversations')).json().conversation.id;
    const bobs = (await post(bob.headers, '/api/v1/conversations')).json().conversation.id;
    const send = (who: { headers: Record<string, string> }, conversation: string, n: number) =>
      post(who.headers, `/api/v1/conversations/${conversation}/messages`, { text: `m${n}`, clientMessageId: `c${n}` });
    for (let n = 0; n < 20; n++) expect((await send(alice, id, n)).statusCode).toBe(201);
    t.clock.now += 4000;
    // The limit is the account's, whichever session posts.
    for (let n = 20; n < 30; n++) expect((await send(aliceAgain, id, n)).statusCode).toBe(201);
    const limited = await send(alice, id, 30);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('6');
    expect(limited.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(limited.json()).toEqual(RATE_LIMITED);
    expect(limited.json().error.message).toBe('Too many requests from this account. Try again in 6 s.');
    // Another account is not affected.
    expect((await send(bob, bobs, 0)).statusCode).toBe(201);
    // 5.999 s later the first 20 are still in the window; at 6 s they leave it.
    t.clock.now += 5999;
    expect((await send(alice, id, 31)).headers['retry-after']).toBe('1');
    t.clock.now += 1;
    expect((await send(alice, id, 32)).statusCode).toBe(201);
    // Only what passed was stored.
    const page = (await t.app.inject({ method: 'GET', url: `/api/v1/conversations/${id}/messages?limit=100`, headers: alice.headers })).json();
    expect(page.messages.map((m: { text: string }) => m.text)).toEqual([...Array.from({ length: 30 }, (_, n) => `m${n}`), 'm32']);
  });

  it('messages: a post that stores nothing counts nothing, and a retry at the limit still answers its message', async () => {
    t = await createTestApp({ dialect, env: { PARLEY_MESSAGE_RATE_LIMIT: '2/1m' } });
    const alice = await signIn('alice');
    const id = (await post(alice.headers, '/api/v1/conversations')).json().conversation.id;
    const url = `/api/v1/conversations/${id}/messages`;
    // Refused after counting (a file that is not there): given back each time.
    for (let n = 0; n < 3; n++) {
      const refused = await post(alice.headers, url, { text: 'see file', clientMessageId: `bad-${n}`, attachmentIds: ['att_missing'] });
      expect([refused.statusCode, refused.json().error.code]).toEqual([404, 'attachment_not_found']);
    }
    const first = await post(alice.headers, url, { text: 'one', clientMessageId: 'one' });
    expect(first.statusCode).toBe(201);
    // Retries of a stored message are not new messages.
    for (let n = 0; n < 3; n++) expect((await post(alice.headers, url, { text: 'one', clientMessageId: 'one' })).statusCode).toBe(200);
    const second = await post(alice.headers, url, { text: 'two', clientMessageId: 'two' });
    expect(second.statusCode).toBe(201);
    expect((await post(alice.headers, url, { text: 'three', clientMessageId: 'three' })).json()).toEqual(RATE_LIMITED);
    // At the limit, a retry (a client that lost the answer) still gets the message it sent, not a 429.
    const retried = await post(alice.headers, url, { text: 'two', clientMessageId: 'two' });
    expect(retried.statusCode).toBe(200);
    expect(retried.headers['retry-after']).toBeUndefined();
    expect(retried.json()).toEqual(second.json());
    // A clientMessageId of another conversation is still a conflict, limit or not.
    const other = (await post(alice.headers, '/api/v1/conversations')).json().conversation.id;
    const conflict = await post(alice.headers, `/api/v1/conversations/${other}/messages`, { text: 'two', clientMessageId: 'two' });
    expect([conflict.statusCode, conflict.json().error.code]).toEqual([409, 'client_message_id_conflict']);
  });

  it('conversations: 10 per minute per account by default, document rooms they create included', async () => {
    t = await createTestApp({ dialect });
    const alice = await signIn('alice', { isAdmin: true });
    for (let n = 0; n < 8; n++) expect((await post(alice.headers, '/api/v1/conversations', { title: `c${n}` })).statusCode).toBe(201);
    // An administrator is an editor of every document: a first open creates the room, and counts.
    expect((await post(alice.headers, '/api/v1/documents/doc-1/open')).json()).toMatchObject({ access: 'editor', conversation: { documentId: 'doc-1' } });
    expect((await post(alice.headers, '/api/v1/documents/doc-2/open')).statusCode).toBe(200);
    const limited = await post(alice.headers, '/api/v1/conversations', { title: 'one too many' });
    expect([limited.statusCode, limited.headers['retry-after'], limited.json()]).toEqual([429, '60', RATE_LIMITED]);
    const room = await post(alice.headers, '/api/v1/documents/doc-3/open');
    expect([room.statusCode, room.headers['retry-after'], room.json()]).toEqual([429, '60', RATE_LIMITED]);
    // Opening a room that exists creates nothing and is not limited.
    expect((await post(alice.headers, '/api/v1/documents/doc-1/open')).statusCode).toBe(200);
    const list = (await t.app.inject({ method: 'GET', url: '/api/v1/conversations?limit=100', headers: alice.headers })).json();
    expect(list.conversations).toHaveLength(10);
    t.clock.now += 60_000;
    expect((await post(alice.headers, '/api/v1/conversations', { title: 'next minute' })).statusCode).toBe(201);
  });

  it('streams: an 11th stream of one account closes its oldest, which is told why first', async () => {
    t = await createTestApp({ dialect });
    const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const alice = await signIn('alice');
    const bob = await signIn('bob');
    const open = async (headers: Record<string, string>) => {
      const stream = await openSse(`${base}/api/v1/events`, headers);
      streams.push(stream);
      await stream.until((f) => f.some((x) => x.event === 'ready'));
      return stream;
    };
    const limits = accountLimitsOf(t.app);
    const alices: SseReader[] = [];
    for (let n = 0; n < 10; n++) alices.push(await open(alice.headers));
    const bobs = await open(bob.headers);
    expect([limits.openStreams(alice.userId), limits.openStreams(bob.userId)]).toEqual([10, 1]);

    const eleventh = await open(alice.headers);
    const oldest = await alices[0]!.until((f) => f.some((x) => x.event === 'closed'));
    expect(oldest.filter((f) => f.event !== undefined).map((f) => [f.event, f.data])).toEqual([
      ['ready', '{}'],
      ['closed', '{"reason":"too_many_streams"}'],
    ]);
    expect(limits.openStreams(alice.userId)).toBe(10);
    // The others, the new one and another account's stream still deliver.
    const id = (await post(alice.headers, '/api/v1/conversations', { title: 'still live' })).json().conversation.id;
    for (const stream of [...alices.slice(1), eleventh]) await stream.until((f) => f.some((x) => x.event === 'conversation.created'));
    expect(alices[0]!.frames.some((x) => x.event === 'conversation.created')).toBe(false);
    expect(bobs.frames.some((x) => x.event === 'closed')).toBe(false);
    expect(id).toMatch(/^cnv_/);
    // A stream that ends frees its place.
    alices[1]!.close();
    await until(() => limits.openStreams(alice.userId) === 9, 'the closed stream released');
  });

  it('each limit is configurable by its variable, and 0 turns it off', async () => {
    t = await createTestApp({ dialect, env: { PARLEY_MESSAGE_RATE_LIMIT: '2/1m', PARLEY_CONVERSATION_RATE_LIMIT: '0', PARLEY_STREAMS_PER_ACCOUNT: '1' } });
    const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const alice = await signIn('alice');
    for (let n = 0; n < 15; n++) expect((await post(alice.headers, '/api/v1/conversations')).statusCode).toBe(201);
    const id = (await post(alice.headers, '/api/v1/conversations')).json().conversation.id;
    const send = (n: number) => post(alice.headers, `/api/v1/conversations/${id}/messages`, { text: `m${n}`, clientMessageId: `c${n}` });
    expect([(await send(0)).statusCode, (await send(1)).statusCode]).toEqual([201, 201]);
    expect([(await send(2)).statusCode, (await send(3)).headers['retry-after']]).toEqual([429, '60']);
    const first = await openSse(`${base}/api/v1/events`, alice.headers);
    streams.push(first);
    await first.until((f) => f.some((x) => x.event === 'ready'));
    const second = await openSse(`${base}/api/v1/events`, alice.headers);
    streams.push(second);
    await first.until((f) => f.some((x) => x.event === 'closed' && x.data === '{"reason":"too_many_streams"}'));
    await second.until((f) => f.some((x) => x.event === 'ready'));
  });
});

describe('account limit settings', () => {
  it('have defaults, an environment variable and a flag each, and name a bad value', () => {
    const defaults = loadConfig({});
    expect([defaults.messageRateLimit, defaults.conversationRateLimit, defaults.streamsPerAccount]).toEqual([{ max: 30, windowSeconds: 10 }, { max: 10, windowSeconds: 60 }, 10]);
    const env = loadConfig({ PARLEY_MESSAGE_RATE_LIMIT: '5/1s', PARLEY_CONVERSATION_RATE_LIMIT: '3/1h', PARLEY_STREAMS_PER_ACCOUNT: '0' });
    expect([env.messageRateLimit, env.conversationRateLimit, env.streamsPerAccount]).toEqual([{ max: 5, windowSeconds: 1 }, { max: 3, windowSeconds: 3600 }, 0]);
    const flags = loadConfig(
      { PARLEY_MESSAGE_RATE_LIMIT: '5/1s' },
      new Map([['--message-rate-limit', '7/10s'], ['--conversation-rate-limit', '0'], ['--streams-per-account', '3']]),
    );
    expect([flags.messageRateLimit, flags.conversationRateLimit, flags.streamsPerAccount]).toEqual([{ max: 7, windowSeconds: 10 }, { max: 0, windowSeconds: 60 }, 3]);
    expect(() => loadConfig({ PARLEY_MESSAGE_RATE_LIMIT: 'lots', PARLEY_STREAMS_PER_ACCOUNT: '-1' })).toThrow(
      'Invalid configuration:\n  PARLEY_MESSAGE_RATE_LIMIT (--message-rate-limit): must look like 30/1m (attempts per window), or 0 for no limit\n  PARLEY_STREAMS_PER_ACCOUNT (--streams-per-account): must be a non-negative integer (0 = no limit)',
    );
  });
});
