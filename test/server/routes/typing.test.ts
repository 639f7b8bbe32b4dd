/**
 * Typing: `POST /api/v1/conversations/:id/typing` (a user who may write) and `POST /api/v1/admin/conversations/:id/typing`
 * (an administrator) send a `typing` signal to the conversation's other participants and the organization's
 * administrators, never to the typer's own streams nor another organization's. A signal has no id, is not
 * stored, and a resumed stream does not replay it; across instances it goes by NOTIFY on PostgreSQL. One
 * per 2 s per account and conversation, beyond that 429 rate_limited with Retry-After.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../../server/src/app.js';
import { loadConfig } from '../../../server/src/config.js';
import { TYPING_TTL_MS } from '#shared/constants.js';
import { createTestApp, TEST_SECRET, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';
import { fromNow, openSse, type SseFrame, type SseReader } from '../../helpers/sse.js';

type Headers = Record<string, string>;
interface Who {
  headers: Headers;
  userId: string;
  admin: boolean;
}

const typings = (frames: SseFrame[]) => frames.filter((f) => f.event === 'typing');
const typingData = (frames: SseFrame[]) => typings(frames).map((f) => JSON.parse(f.data!));

function harness(get: () => TestApp) {
  async function sessionFor(id: string, role: 'owner' | 'admin' | 'member' = 'member', organizationId?: string): Promise<Who> {
    const t = get();
    const user = { id, name: `${id} name`, ...(organizationId ? { organizationId } : {}) };
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user }) } });
    const { session, user: row } = res.json();
    if (role !== 'member') await t.app.services.users.setRole(row.id, role);
    return { headers: { authorization: `Bearer ${session.token}` }, userId: row.id, admin: role !== 'member' };
  }
  const start = async (who: Who, text: string, clientMessageId: string) =>
    (await get().app.inject({ method: 'POST', url: '/api/v1/conversations', headers: who.headers, payload: { message: { text, clientMessageId } } })).json().conversation;
  const type = (who: Who, id: string, app: App = get().app) =>
    app.inject({ method: 'POST', url: `${who.admin ? '/api/v1/admin' : '/api/v1'}/conversations/${id}/typing`, headers: who.headers });
  return { sessionFor, start, type };
}

describe.each(DIALECTS)('typing on %s', (dialect) => {
  let t: TestApp;
  let base: string;
  const streams: SseReader[] = [];
  const { sessionFor, start, type } = harness(() => t);
  async function openStream(who: Who, headers?: Headers): Promise<SseReader> {
    const stream = await openSse(`${base}/api/v1/events`, headers ?? (await fromNow(t.db.store.db, who.headers)));
    streams.push(stream);
    await stream.until((f) => f.some((x) => x.event === 'ready'));
    return stream;
  }

  beforeEach(async () => {
    t = await createTestApp({ dialect });
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterEach(async () => {
    for (const s of streams.splice(0)) s.close();
    await t.close();
  });

  it('reaches the other side, without an id, and never the typer’s own streams', async () => {
    const owner = await sessionFor('the-owner', 'owner');
    const admin = await sessionFor('second-admin', 'admin');
    const alice = await sessionFor('alice');
    const conversation = await start(alice, 'Hello', 'q1');
    const aliceStream = await openStream(alice);
    const aliceOtherTab = await openStream(alice);
    const ownerStream = await openStream(owner);
    const adminStream = await openStream(admin);

    const res = await type(alice, conversation.id);
    expect([res.statusCode, res.body]).toEqual([204, '']);
    const fromAlice = { conversationId: conversation.id, userId: alice.userId, name: 'alice name', agent: false, ttlMs: TYPING_TTL_MS };
    for (const stream of [ownerStream, adminStream]) {
      const frames = await stream.until((f) => typings(f).length === 1);
      expect(typings(frames)).toEqual([{ event: 'typing', data: JSON.stringify(fromAlice) }]);
    }

    // The owner answers in kind: Alice's streams hear the owner, and only the owner.
    expect((await type(owner, conversation.id)).statusCode).toBe(204);
    const fromOwner = { conversationId: conversation.id, userId: owner.userId, name: 'the-owner name', agent: true, ttlMs: TYPING_TTL_MS };
    for (const stream of [aliceStream, aliceOtherTab]) {
      const frames = await stream.until((f) => typings(f).length === 1);
      expect(typingData(frames)).toEqual([fromOwner]);
    }
    // The other administrator hears both, in order; the owner never hears themself.
    expect(typingData(await adminStream.until((f) => typings(f).length === 2))).toEqual([fromAlice, fromOwner]);
    expect(typingData(ownerStream.frames)).toEqual([fromAlice]);
    expect(await t.db.store.db.selectFrom('events').select('type').where('type', '=', 'typing').execute()).toEqual([]);
  });

  it('does not reach members outside the conversation, nor another organization, and is not replayed on resume', async () => {
    const owner = await sessionFor('the-owner', 'owner');
    const alice = await sessionFor('alice');
    const bob = await sessionFor('bob');
    const globexAdmin = await sessionFor('globex-admin', 'admin', 'globex');
    const globexUser = await sessionFor('globex-user', 'member', 'globex');
    const conversation = await start(alice, 'Hello', 'q1');
    const bobs = await start(bob, 'Mine', 'b1');
    const globex = await start(globexUser, 'Elsewhere', 'g1');
    const bobStream = await openStream(bob);
    const globexStream = await openStream(globexAdmin);
    const ownerStream = await openStream(owner);
    const ready = ownerStream.frames.find((f) => f.event === 'ready')!;

    expect((await type(alice, conversation.id)).statusCode).toBe(204);
    // Sentinels, typed after: once each stream has its own, Alice's typing would have come before it.
    expect((await type(owner, bobs.id)).statusCode).toBe(204);
    expect((await type(globexUser, globex.id)).statusCode).toBe(204);
    expect(typingData(await bobStream.until((f) => typings(f).length === 1))).toEqual([expect.objectContaining({ conversationId: bobs.id, userId: owner.userId })]);
    expect(typingData(await globexStream.until((f) => typings(f).length === 1))).toEqual([expect.objectContaining({ conversationId: globex.id, userId: globexUser.userId })]);
    const ownerFrames = await ownerStream.until((f) => typings(f).length === 1);
    expect(typings(ownerFrames).every((f) => f.id === undefined)).toBe(true);

    // Resumed from the last id the stream saw: the typing is not in the log.
    const resumed = await openStream(owner, { ...owner.headers, 'last-event-id': ready.id! });
    expect(resumed.frames.filter((f) => f.event !== undefined).map((f) => f.event)).toEqual(['ready']);
    expect(resumed.frames.find((f) => f.event === 'ready')!.id).toBe(ready.id);
  });

  it('needs the right to write, like posting, and a session', async () => {
    const alice = await sessionFor('alice');
    const bob = await sessionFor('bob');
    const conversation = await start(alice, 'Hello', 'q1');
    for (const id of [conversation.id, 'cnv_unknown']) {
      const res = await type(bob, id);
      expect([res.statusCode, res.json()]).toEqual([404, { error: { code: 'conversation_not_found', message: 'No such conversation.' } }]);
    }
    const asMember = await t.app.inject({ method: 'POST', url: `/api/v1/admin/conversations/${conversation.id}/typing`, headers: alice.headers });
    expect([asMember.statusCode, asMember.json().error.code]).toEqual([403, 'admin_required']);
    const anonymous = await t.app.inject({ method: 'POST', url: `/api/v1/conversations/${conversation.id}/typing` });
    expect([anonymous.statusCode, anonymous.json().error.code]).toEqual([401, 'session_missing']);
  });

  it('accepts one per 2 s per account and conversation: beyond, 429 rate_limited with Retry-After', async () => {
    const alice = await sessionFor('alice');
    const owner = await sessionFor('the-owner', 'owner');
    const first = await start(alice, 'One', 'q1');
    const second = await start(alice, 'Two', 'q2');
    expect((await type(alice, first.id)).statusCode).toBe(204);
    const again = await type(alice, first.id);
    expect([again.statusCode, again.headers['retry-after'], again.json()]).toEqual([
      429,
      '2',
      { error: { code: 'rate_limited', message: 'Too many requests from this account. Try again in 2 s.' } },
    ]);
    // Another conversation, or another account, is counted apart.
    expect((await type(alice, second.id)).statusCode).toBe(204);
    expect((await type(owner, first.id)).statusCode).toBe(204);
    t.clock.now += 1999;
    expect((await type(alice, first.id)).statusCode).toBe(429);
    t.clock.now += 1;
    expect((await type(alice, first.id)).statusCode).toBe(204);
  });

  it('counts 60 a minute per account across conversations, refusals of unknown ones included', async () => {
    const alice = await sessionFor('alice');
    const conversation = await start(alice, 'Hello', 'q1');
    for (let n = 0; n < 60; n++) expect((await type(alice, `cnv_probe${n}`)).statusCode).toBe(404);
    const refused = await type(alice, conversation.id);
    expect([refused.statusCode, refused.headers['retry-after'], refused.json().error.code]).toEqual([429, '60', 'rate_limited']);
    t.clock.now += 60_000;
    expect((await type(alice, conversation.id)).statusCode).toBe(204);
  });

  it('marking read is limited to 120 a minute per account, on both doors', async () => {
    const alice = await sessionFor('alice');
    const owner = await sessionFor('the-owner', 'owner');
    const conversation = await start(alice, 'Hello', 'q1');
    const read = (who: Who) =>
      t.app.inject({ method: 'POST', url: `${who.admin ? '/api/v1/admin' : '/api/v1'}/conversations/${conversation.id}/read`, headers: who.headers, payload: { messageId: conversation.lastMessage.id } });
    for (let n = 0; n < 120; n++) expect((await read(alice)).statusCode).toBe(200);
    const refused = await read(alice);
    expect([refused.statusCode, refused.headers['retry-after'], refused.json().error.code]).toEqual([429, '60', 'rate_limited']);
    expect((await read(owner)).statusCode).toBe(200);
    t.clock.now += 60_000;
    expect((await read(alice)).statusCode).toBe(200);
  });
});

describe.skipIf(!DIALECTS.includes('postgres'))('typing across two instances on one PostgreSQL', () => {
  let a: TestApp;
  let b: App;
  const streams: SseReader[] = [];
  const { sessionFor, start, type } = harness(() => a);
  beforeEach(async () => {
    a = await createTestApp({ dialect: 'postgres' });
    b = await buildApp({ config: loadConfig({ PARLEY_EXTERNAL_AUTH_SECRET: TEST_SECRET, PARLEY_SIGNIN_RATE_LIMIT: '0', PARLEY_SEAT_LIMIT: '50' }), store: a.db.store, now: () => a.clock.now, heartbeatMs: 60_000 });
    await b.ready();
  });
  afterEach(async () => {
    for (const s of streams.splice(0)) s.close();
    await b.close();
    await a.close();
  });

  it('typing on instance A reaches a stream on instance B, and the typer’s stream on B does not hear it', async () => {
    const owner = await sessionFor('the-owner', 'owner');
    const alice = await sessionFor('alice');
    const conversation = await start(alice, 'Hello', 'q1');
    const baseB = await b.listen({ port: 0, host: '127.0.0.1' });
    const aliceOnB = await openSse(`${baseB}/api/v1/events`, alice.headers);
    const ownerOnB = await openSse(`${baseB}/api/v1/events`, owner.headers);
    streams.push(aliceOnB, ownerOnB);
    await aliceOnB.until((f) => f.some((x) => x.event === 'ready'));
    await ownerOnB.until((f) => f.some((x) => x.event === 'ready'));

    expect((await type(owner, conversation.id)).statusCode).toBe(204);
    const frames = await aliceOnB.until((f) => typings(f).length === 1);
    expect(typingData(frames)).toEqual([{ conversationId: conversation.id, userId: owner.userId, name: 'the-owner name', agent: true, ttlMs: TYPING_TTL_MS }]);
    expect(typings(frames)[0]!.id).toBeUndefined();
    // Alice types back through B: the owner's stream on B hears her, after which it would have heard itself.
    expect((await type(alice, conversation.id, b)).statusCode).toBe(204);
    expect(typingData(await ownerOnB.until((f) => typings(f).length === 1))).toEqual([expect.objectContaining({ userId: alice.userId })]);
  });
});
