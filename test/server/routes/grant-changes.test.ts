/**
 * A change to an account's grants counts from the next request and the next event, on every instance: no
 * grant is remembered for a while after it was removed or downgraded. An event stream holds its account's
 * grants (loaded once, indexed by document) and loads them again when a change is announced; on PostgreSQL
 * the announcement travels with the events, in commit order, so a change made through another instance
 * applies to the next event too. Absence is proven by a later event the viewer does receive.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../../server/src/app.js';
import { loadConfig } from '../../../server/src/config.js';
import { createTestApp, PUBLIC_URL, TEST_SECRET, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';
import { openSse, type SseFrame, type SseReader } from '../../helpers/sse.js';
import { changesOf } from '../../../server/src/store/changes.js';
import { createUserRepository } from '../../../server/src/store/users.js';

const DOC = 'doc-grants';
const texts = (frames: SseFrame[]) => frames.filter((f) => f.event === 'message.created').map((f) => JSON.parse(f.data!).message.text as string);
const grant = (accessRole: 'viewer' | 'editor') => ({ type: 'document', id: DOC, organizationId: 'default', accessRole });

describe.each(DIALECTS)('grant changes, on %s', (dialect) => {
  let t: TestApp;
  /** The instance the changes are made through: a second one on PostgreSQL, the same one on SQLite. */
  let other: App;
  let base: string;
  let credentials: Record<string, string>;
  let editor: Record<string, string>;
  let viewer: Record<string, string>;
  let room: string;
  const streams: SseReader[] = [];

  const session = async (id: string, role: 'viewer' | 'editor') => {
    const code = await t.sign({ user: { id }, permissions: { resources: [grant(role)] } });
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: code } });
    return { authorization: `Bearer ${res.json().session.token}` };
  };
  const post = (text: string) => t.app.inject({ method: 'POST', url: `/api/v1/conversations/${room}/messages`, headers: editor, payload: { text, clientMessageId: text.replace(/\W/g, '') } });
  const permissions = (action: 'add' | 'remove', userId: string, resources: unknown[]) =>
    other.inject({ method: 'POST', url: `/v2/auth/permissions/${action}`, headers: credentials, payload: { userIds: [userId], permissions: { resources } } });

  beforeEach(async () => {
    t = await createTestApp({ dialect, heartbeatMs: 60_000 });
    other =
      dialect === 'postgres'
        ? await buildApp({ config: loadConfig({ PUBLIC_URL, PARLEY_EXTERNAL_AUTH_SECRET: TEST_SECRET, PARLEY_SIGNIN_RATE_LIMIT: '0' }), store: t.db.store, now: () => t.clock.now, heartbeatMs: 60_000 })
        : t.app;
    await other.ready();
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const creds = await t.app.services.apiCredentials.create('grants test', t.clock.now);
    credentials = { 'x-api-key': creds.apiKey, 'x-auth-token': creds.authToken };
    editor = await session('ed', 'editor');
    viewer = await session('vi', 'viewer');
    room = (await t.app.inject({ method: 'POST', url: `/api/v1/documents/${DOC}/open`, headers: editor })).json().conversation.id;
  });
  afterEach(async () => {
    for (const s of streams.splice(0)) s.close();
    if (other !== t.app) await other.close();
    await t.close();
  });

  it('a removed grant ends access at the next request, and a downgraded one at the next write', async () => {
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/conversations/${room}`, headers: viewer })).statusCode).toBe(200);
    expect((await permissions('remove', 'vi', [{ type: 'document', id: DOC, organizationId: 'default' }])).json().result.data.vi.removed).toBe(1);
    // The same instant on the app's clock: nothing is remembered from before the change.
    const gone = await t.app.inject({ method: 'GET', url: `/api/v1/conversations/${room}`, headers: viewer });
    expect([gone.statusCode, gone.json().error.code]).toEqual([404, 'conversation_not_found']);

    expect((await post('while an editor')).statusCode).toBe(201);
    await permissions('add', 'ed', [grant('viewer')]);
    const refused = await post('now a viewer');
    expect([refused.statusCode, refused.json().error.code]).toEqual([403, 'read_only']);
  });

  it('an open stream follows its account’s grants from the next event on', async () => {
    const stream = await openSse(`${base}/api/v1/events`, viewer);
    streams.push(stream);
    await stream.until((f) => f.some((x) => x.event === 'ready'));
    expect((await post('before')).statusCode).toBe(201);
    await stream.until((f) => texts(f).includes('before'));

    await permissions('remove', 'vi', [{ type: 'document', id: DOC, organizationId: 'default' }]);
    expect((await post('while removed')).statusCode).toBe(201);
    // A stream judges each event by the grants it holds when the event reaches it (the change feed is heard
    // at once, events once the relay has read them): let the stream see the viewer's own next message, which
    // comes after 'while removed', before the grant is given back.
    const own = await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: viewer, payload: { message: { text: 'my own', clientMessageId: 'own' } } });
    expect(own.statusCode).toBe(201);
    await stream.until((f) => texts(f).includes('my own'));
    await permissions('add', 'vi', [grant('viewer')]);
    expect((await post('granted again')).statusCode).toBe(201);
    await stream.until((f) => texts(f).includes('granted again'));
    expect(texts(stream.frames)).toEqual(['before', 'my own', 'granted again']);
  });
});

describe.each(DIALECTS)('account changes close the account’s streams at once, on %s', (dialect) => {
  it('a move to another organization made through another instance ends the stream without waiting for a heartbeat', async () => {
    const t = await createTestApp({ dialect, heartbeatMs: 600_000 });
    const other =
      dialect === 'postgres'
        ? await buildApp({ config: loadConfig({ PUBLIC_URL, PARLEY_EXTERNAL_AUTH_SECRET: TEST_SECRET, PARLEY_SIGNIN_RATE_LIMIT: '0' }), store: t.db.store, now: () => t.clock.now, heartbeatMs: 600_000 })
        : t.app;
    try {
      await other.ready();
      const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
      const creds = await t.app.services.apiCredentials.create('moves', t.clock.now);
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id: 'mover' } }) } });
      const stream = await openSse(`${base}/api/v1/events`, { authorization: `Bearer ${res.json().session.token}` });
      await stream.until((f) => f.some((x) => x.event === 'ready'));
      const moved = await other.inject({ method: 'POST', url: '/v2/users/update', headers: { 'x-api-key': creds.apiKey, 'x-auth-token': creds.authToken }, payload: { users: [{ userId: 'mover', organizationId: 'elsewhere' }] } });
      expect(moved.json().result.data.mover.success).toBe(true);
      // Bounded: a heartbeat (ten minutes away) is not what closes it.
      await Promise.race([stream.ended, new Promise((_, reject) => setTimeout(() => reject(new Error('the stream stayed open')), 5000))]);
      stream.close();
    } finally {
      if (other !== t.app) await other.close();
      await t.close();
    }
  });
});

describe('a listener that was away re-checks every open stream', () => {
  it('after announcements may have been missed (*), a stream whose account was deactivated elsewhere closes at once', async () => {
    const t = await createTestApp({ heartbeatMs: 600_000 });
    try {
      const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id: 'gone' } }) } });
      const stream = await openSse(`${base}/api/v1/events`, { authorization: `Bearer ${res.json().session.token}` });
      await stream.until((f) => f.some((x) => x.event === 'ready'));
      // Deactivated through another connection: nothing is announced to this process.
      const elsewhere = await t.db.elsewhere();
      await createUserRepository(elsewhere).setActive(res.json().user.id, false);
      changesOf(t.db.store).heard('*');
      await Promise.race([stream.ended, new Promise((_, reject) => setTimeout(() => reject(new Error('the stream stayed open')), 5000))]);
      stream.close();
    } finally {
      await t.close();
    }
  });
});
