/**
 * Presence: `GET /api/v1/presence` answers `{online}`, true while an owner or admin of the user's
 * organization (or an owner, who administers every organization) had the admin panel's event stream open
 * within the last 2 minutes. The stream records it when it opens and at most once a minute on heartbeats;
 * a failed write never ends the stream.
 */
import { sql } from 'kysely';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PRESENCE_WINDOW_MS } from '#shared/constants.js';
import { createTestApp, type TestApp, type TestAppOptions } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';
import { changesOf } from '../../../server/src/store/changes.js';
import { fromNow, openSse, type SseReader } from '../../helpers/sse.js';

type Headers = Record<string, string>;
interface Who {
  headers: Headers;
  userId: string;
}

describe.each(DIALECTS)('presence on %s', (dialect) => {
  let t: TestApp;
  let base: string;
  const streams: SseReader[] = [];

  async function setUp(options: TestAppOptions = {}) {
    t = await createTestApp({ dialect, ...options });
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  }
  async function sessionFor(id: string, role: 'owner' | 'admin' | 'member' = 'member', organizationId?: string): Promise<Who> {
    const user = { id, name: id, ...(organizationId ? { organizationId } : {}) };
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user }) } });
    const { session, user: row } = res.json();
    if (role !== 'member') {
      // A role change closes the account's open streams when its announcement is heard (on PostgreSQL a NOTIFY,
      // heard a moment after the commit): heard before any stream of this test opens, so it closes none.
      let unsubscribe = () => {};
      const heard = new Promise<void>((resolve) => {
        const off = changesOf(t.db.store).subscribe((topic) => topic === `account:${row.id}` && resolve());
        unsubscribe = () => void off();
      });
      await t.app.services.users.setRole(row.id, role);
      await heard;
      unsubscribe();
    }
    return { headers: { authorization: `Bearer ${session.token}` }, userId: row.id };
  }
  const presence = async (who: Who) => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/presence', headers: who.headers });
    return [res.statusCode, res.json()];
  };
  const seenAt = async (who: Who) => (await t.db.store.db.selectFrom('users').select('panel_seen_at').where('id', '=', who.userId).executeTakeFirstOrThrow()).panel_seen_at;
  async function openStream(who: Who): Promise<SseReader> {
    const stream = await openSse(`${base}/api/v1/events`, await fromNow(t.db.store.db, who.headers));
    streams.push(stream);
    await stream.until((f) => f.some((x) => x.event === 'ready'));
    return stream;
  }
  const online = [200, { online: true }];
  const offline = [200, { online: false }];

  afterEach(async () => {
    for (const s of streams.splice(0)) s.close();
    await t.close();
  });

  it('is online from the admin panel’s stream on, and offline 2 minutes after it was last seen', async () => {
    await setUp();
    const alice = await sessionFor('alice');
    const admin = await sessionFor('the-admin', 'admin');
    expect(await presence(alice)).toEqual(offline);
    // A member's own stream is no admin panel.
    await openStream(alice);
    expect(await seenAt(alice)).toBeNull();

    const opened = t.clock.now;
    const stream = await openStream(admin);
    await vi.waitFor(async () => expect(await seenAt(admin)).toBe(opened));
    expect(await presence(alice)).toEqual(online);
    stream.close();
    t.clock.now = opened + PRESENCE_WINDOW_MS;
    expect(await presence(alice)).toEqual(online);
    t.clock.now += 1;
    expect(await presence(alice)).toEqual(offline);
    const anonymous = await t.app.inject({ method: 'GET', url: '/api/v1/presence' });
    expect([anonymous.statusCode, anonymous.json().error.code]).toEqual([401, 'session_missing']);
  });

  it('counts the user’s organization’s administrators and the owners, nobody else’s', async () => {
    await setUp();
    const alice = await sessionFor('alice');
    const globexUser = await sessionFor('globex-user', 'member', 'globex');
    const globexAdmin = await sessionFor('globex-admin', 'admin', 'globex');
    await openStream(globexAdmin);
    await vi.waitFor(async () => expect(await seenAt(globexAdmin)).toBe(t.clock.now));
    expect(await presence(globexUser)).toEqual(online);
    expect(await presence(alice)).toEqual(offline);

    // An owner administers every organization: answers kept for Alice's organization are forgotten at once.
    const owner = await sessionFor('the-owner', 'owner');
    await openStream(owner);
    await vi.waitFor(async () => expect(await seenAt(owner)).toBe(t.clock.now));
    expect(await presence(alice)).toEqual(online);
    // A deactivated owner is nobody's team.
    await t.db.store.db.updateTable('users').set({ active: 0 }).where('id', '=', owner.userId).execute();
    t.clock.now += 10_000;
    expect(await presence(alice)).toEqual(offline);
  });

  it('an open panel records itself again at most once a minute, on heartbeats', async () => {
    await setUp({ heartbeatMs: 20 });
    const alice = await sessionFor('alice');
    const owner = await sessionFor('the-owner', 'owner');
    const opened = t.clock.now;
    const stream = await openStream(owner);
    await vi.waitFor(async () => expect(await seenAt(owner)).toBe(opened));
    const heartbeats = () => stream.frames.filter((f) => f.comment === 'heartbeat').length;

    t.clock.now = opened + 59_999;
    const before = heartbeats();
    await stream.until(() => heartbeats() >= before + 3);
    expect(await seenAt(owner)).toBe(opened);

    t.clock.now = opened + 60_000;
    await vi.waitFor(async () => expect(await seenAt(owner)).toBe(opened + 60_000));
    t.clock.now = opened + 60_000 + PRESENCE_WINDOW_MS;
    expect(await presence(alice)).toEqual(online);
  });

  it('a failed write is logged and the stream goes on', async () => {
    await setUp();
    const alice = await sessionFor('alice');
    const owner = await sessionFor('the-owner', 'owner');
    const conversation = (await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: alice.headers, payload: {} })).json().conversation;
    if (dialect === 'sqlite') {
      await sql.raw("create trigger no_presence before update of panel_seen_at on users begin select raise(abort, 'presence refused'); end").execute(t.db.store.db);
    } else {
      for (const statement of [
        "create function no_presence() returns trigger language plpgsql as $$ begin raise exception 'presence refused'; end $$",
        'create trigger no_presence before update of panel_seen_at on users for each row execute function no_presence()',
      ]) {
        await sql.raw(statement).execute(t.db.store.db);
      }
    }
    const stream = await openStream(owner);
    await vi.waitFor(() => expect(t.logs.some((line) => line.includes('presence not recorded'))).toBe(true));
    await t.app.inject({ method: 'POST', url: `/api/v1/conversations/${conversation.id}/messages`, headers: alice.headers, payload: { text: 'Still there?', clientMessageId: 'm1' } });
    await stream.until((f) => f.some((x) => x.event === 'message.created'));
    expect(await seenAt(owner)).toBeNull();
    expect(await presence(alice)).toEqual(offline);
  });
});
