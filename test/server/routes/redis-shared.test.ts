/**
 * Two instances on one PostgreSQL sharing one Redis (PARLEY_REDIS_URL; README.md, Several instances): rate
 * limits count once across both, typing and presence travel through Redis rather than the database, and a
 * logout on one instance ends the session's stream on the other at once. Each test has its own key prefix,
 * deleted after it. The outage test runs a redis-server of its own and stops only that one.
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../../server/src/app.js';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { DIALECTS, POSTGRES_URL } from '../../helpers/databases.js';
import { ownRedis, REDIS_URL, redisPrefix, redisProblem, waitFor, type OwnRedis } from '../../helpers/redis.js';
import { openSse, type SseReader } from '../../helpers/sse.js';

const problem = DIALECTS.includes('postgres') ? await redisProblem() : 'PostgreSQL is not reachable: skipped';
if (problem) console.log(problem);

type Headers = Record<string, string>;

describe.skipIf(problem !== null)('two instances sharing Redis', () => {
  let a: TestApp;
  let b: { app: App; logs: string[] };
  let cleanUp: () => Promise<void> = async () => undefined;
  let own: OwnRedis | null = null;
  const streams: SseReader[] = [];

  async function start(env: Record<string, string>, url = REDIS_URL) {
    const keys = redisPrefix();
    cleanUp = keys.cleanUp;
    a = await createTestApp({ dialect: 'postgres', env: { PARLEY_REDIS_URL: url, ...env }, redisKeyPrefix: keys.prefix });
    const logs: string[] = [];
    // Its own connection pool on the same schema, so that nothing held in memory is shared with A.
    const app = await buildApp({
      config: a.config,
      store: await a.db.elsewhere(),
      now: () => a.clock.now,
      heartbeatMs: 60_000,
      redisKeyPrefix: keys.prefix,
      logger: { level: 'info', stream: { write: (line: string) => void logs.push(line) } },
    });
    await app.ready();
    b = { app, logs };
  }

  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    await b?.app.close();
    await a?.close();
    await own?.stop();
    own = null;
    await cleanUp();
  });

  async function signIn(app: App, id: string) {
    return app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await a.sign({ user: { id, name: id } }) } });
  }
  async function session(id: string, role?: 'owner'): Promise<{ headers: Headers; userId: string }> {
    const res = await signIn(a.app, id);
    expect(res.statusCode).toBe(200);
    if (role) await a.app.services.users.setRole(res.json().user.id, role);
    return { headers: { authorization: `Bearer ${res.json().session.token}` }, userId: res.json().user.id };
  }
  const post = (app: App, headers: Headers, conversationId: string, text: string) =>
    app.inject({ method: 'POST', url: `/api/v1/conversations/${conversationId}/messages`, headers, payload: { text, clientMessageId: text } });
  const codeOf = (res: { statusCode: number; json(): { error?: { code: string } } }) => [res.statusCode, res.statusCode >= 400 ? res.json().error?.code : 'ok'];
  async function stream(app: App, headers: Headers): Promise<SseReader> {
    const base = app.server.listening ? `http://127.0.0.1:${(app.server.address() as { port: number }).port}` : await app.listen({ port: 0, host: '127.0.0.1' });
    const reader = await openSse(`${base}/api/v1/events`, headers);
    streams.push(reader);
    await reader.until((f) => f.some((x) => x.event === 'ready'));
    return reader;
  }
  const warnings = (logs: string[]) => logs.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level === 40 && l.msg.startsWith('Redis unavailable'));
  const backs = (logs: string[]) => logs.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level === 30 && l.msg.startsWith('Redis is back'));

  it('a sign-in limit of 3 per address allows 3 sign-ins across both instances, then 429 rate_limited on either', async () => {
    await start({ PARLEY_SIGNIN_RATE_LIMIT: '3/1m' });
    const answers = [];
    for (const [i, app] of [a.app, b.app, a.app, b.app, a.app].entries()) answers.push(codeOf(await signIn(app, `user-${i}`)));
    expect(answers).toEqual([[200, 'ok'], [200, 'ok'], [200, 'ok'], [429, 'rate_limited'], [429, 'rate_limited']]);
    // The counter is one Redis key under this test's prefix, expiring with its window.
    const keys = await a.app.redis!.commands.keys(`${a.app.redis!.prefix}rl:*`);
    expect(keys).toEqual([`${a.app.redis!.prefix}rl:signin:addr:127.0.0.1`]);
    const ttl = await a.app.redis!.commands.pttl(keys[0]!);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('a message limit of 3 per account allows 3 messages across both instances, then 429 rate_limited on either', async () => {
    await start({ PARLEY_MESSAGE_RATE_LIMIT: '3/1m' });
    const alice = await session('alice');
    const conversation = (await a.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: alice.headers, payload: {} })).json().conversation.id;
    const answers = [];
    for (const [i, app] of [b.app, a.app, b.app, a.app, b.app].entries()) answers.push(codeOf(await post(app, alice.headers, conversation, `m${i}`)));
    expect(answers).toEqual([[201, 'ok'], [201, 'ok'], [201, 'ok'], [429, 'rate_limited'], [429, 'rate_limited']]);
    // A later minute by the app's clock: the window has moved on, on both.
    a.clock.now += 60_001;
    expect(codeOf(await post(b.app, alice.headers, conversation, 'later'))).toEqual([201, 'ok']);
  });

  it('a post that stores nothing gives its count back in Redis: refused files on either instance leave the limit whole', async () => {
    await start({ PARLEY_MESSAGE_RATE_LIMIT: '3/1m' });
    const alice = await session('alice');
    const conversation = (await a.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: alice.headers, payload: {} })).json().conversation.id;
    const withMissingFile = (app: App, n: number) =>
      app.inject({ method: 'POST', url: `/api/v1/conversations/${conversation}/messages`, headers: alice.headers, payload: { text: 'file', clientMessageId: `bad-${n}`, attachmentIds: ['att_missing'] } });
    const refused = [];
    for (const [n, app] of [a.app, b.app, a.app, b.app].entries()) refused.push(codeOf(await withMissingFile(app, n)));
    expect(refused).toEqual(Array(4).fill([404, 'attachment_not_found']));
    const key = `${a.app.redis!.prefix}rl:acct:message:${alice.userId}`;
    // The given-back members are removed as the answer is sent; wait for the last one's removal.
    for (let turn = 0; (await a.app.redis!.commands.zcard(key)) !== 0; turn++) if (turn > 1000) throw new Error('counts not given back');
    const answers = [];
    for (const [i, app] of [b.app, a.app, b.app, a.app].entries()) answers.push(codeOf(await post(app, alice.headers, conversation, `m${i}`)));
    expect(answers).toEqual([[201, 'ok'], [201, 'ok'], [201, 'ok'], [429, 'rate_limited']]);
  });

  it('typing on A reaches a stream on B through Redis, with no NOTIFY; presence seen on A is online on B', async () => {
    await start({});
    const owner = await session('olga', 'owner');
    const alice = await session('alice');
    const conversation = (await a.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: alice.headers, payload: {} })).json().conversation.id;
    const listener = new pg.Client({ connectionString: POSTGRES_URL });
    await listener.connect();
    const notified: string[] = [];
    listener.on('notification', (n) => notified.push(n.payload ?? ''));
    await listener.query('listen parley_signals');
    try {
      const onB = await stream(b.app, owner.headers);
      expect((await a.app.inject({ method: 'POST', url: `/api/v1/conversations/${conversation}/typing`, headers: alice.headers })).statusCode).toBe(204);
      const frames = await onB.until((f) => f.some((x) => x.event === 'typing'), 3000);
      expect(JSON.parse(frames.find((x) => x.event === 'typing')!.data!)).toEqual({ conversationId: conversation, userId: alice.userId, name: 'alice', agent: false, ttlMs: 5000 });
      // NOTIFYs reach a listener in commit order: once this one arrives, one the typing made would have too.
      await listener.query(`select pg_notify('parley_signals', 'sentinel-' || $1::text)`, [conversation]);
      await waitFor(() => notified.includes(`sentinel-${conversation}`), 'the sentinel NOTIFY');
      expect(notified.filter((p) => p.includes(conversation))).toEqual([`sentinel-${conversation}`]);
    } finally {
      await listener.end();
    }

    // The owner's open panel (on B above) is a key in Redis, not a database write: A answers online.
    expect((await a.app.inject({ method: 'GET', url: '/api/v1/presence', headers: alice.headers })).json()).toEqual({ online: true });
    const row = await a.db.store.db.selectFrom('users').select('panel_seen_at').where('id', '=', owner.userId).executeTakeFirstOrThrow();
    expect(row.panel_seen_at).toBeNull();
    // Past the window by the app's clock, nobody is online.
    a.clock.now += 2 * 60_000 + 1;
    expect((await b.app.inject({ method: 'GET', url: '/api/v1/presence', headers: alice.headers })).json()).toEqual({ online: false });
  });

  it('a logout on A ends the session\'s stream on B at once (B re-reads sessions only once a minute here)', async () => {
    await start({});
    const alice = await session('alice');
    const onB = await stream(b.app, alice.headers);
    const started = Date.now();
    expect((await a.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: alice.headers })).statusCode).toBe(204);
    await Promise.race([onB.ended, new Promise((_, reject) => setTimeout(() => reject(new Error('the stream on B was not ended within 1 s')), 1000))]);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(codeOf(await b.app.inject({ method: 'GET', url: '/api/v1/me', headers: alice.headers }))).toEqual([401, 'session_invalid']);
  });

  it('with Redis down, sign-ins and messages go on with per-instance limits and one warning; back, counting is shared again', async () => {
    own = await ownRedis();
    await own.start();
    await start({ PARLEY_SIGNIN_RATE_LIMIT: '2/1m' }, own.url);
    const alice = await session('alice'); // counts 1 of 2, in Redis
    const conversation = (await a.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: alice.headers, payload: {} })).json().conversation.id;
    expect(warnings(a.logs)).toEqual([]);

    await own.stop();
    await waitFor(() => warnings(a.logs).length > 0 && warnings(b.logs).length > 0, 'the warnings');
    const started = Date.now();
    // Per instance now: A's own memory allows 2, and so does B's.
    const onA = [];
    for (let i = 0; i < 3; i++) onA.push(codeOf(await signIn(a.app, `down-a-${i}`)));
    const onB = [];
    for (let i = 0; i < 3; i++) onB.push(codeOf(await signIn(b.app, `down-b-${i}`)));
    expect(onA).toEqual([[200, 'ok'], [200, 'ok'], [429, 'rate_limited']]);
    expect(onB).toEqual([[200, 'ok'], [200, 'ok'], [429, 'rate_limited']]);
    expect(codeOf(await post(a.app, alice.headers, conversation, 'while-down'))).toEqual([201, 'ok']);
    expect((await b.app.inject({ method: 'POST', url: `/api/v1/conversations/${conversation}/typing`, headers: alice.headers })).statusCode).toBe(204);
    // Nothing waited on the dead Redis.
    expect(Date.now() - started).toBeLessThan(2000);
    expect(warnings(a.logs)).toHaveLength(1);
    expect(warnings(b.logs)).toHaveLength(1);

    await own.start();
    await waitFor(() => backs(a.logs).length === 1 && backs(b.logs).length === 1, 'Redis is back in both logs');
    expect(warnings(a.logs)).toHaveLength(1);
    // The restarted Redis is empty: 2 in all across both instances again.
    const shared = [];
    for (const [i, app] of [a.app, b.app, a.app, b.app].entries()) shared.push(codeOf(await signIn(app, `back-${i}`)));
    expect(shared).toEqual([[200, 'ok'], [200, 'ok'], [429, 'rate_limited'], [429, 'rate_limited']]);
  });
});
