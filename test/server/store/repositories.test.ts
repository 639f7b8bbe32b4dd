import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createKeyRepository } from '../../../server/src/store/keys.js';
import { createRevokedSessionRepository } from '../../../server/src/store/sessions.js';
import { createInstanceSecretRepository } from '../../../server/src/store/instance-secrets.js';
import { createSessions } from '../../../server/src/auth/sessions.js';
import { createUserRepository, type NewUser } from '../../../server/src/store/users.js';
import { createConversationRepository } from '../../../server/src/store/conversations.js';
import { createMessageRepository } from '../../../server/src/store/messages.js';
import { createEventRepository } from '../../../server/src/store/events.js';
import { createTestStore, DIALECTS, type TestStore } from '../../helpers/databases.js';

const NOW = 1_790_000_000_000;
const member = (externalId: string, email: string | null = null): NewUser => ({
  externalId,
  email,
  name: null,
  avatarUrl: null,
  metadata: {},
  role: 'member',
  organizationId: 'default',
  createdVia: 'external_token',
});

describe.each(DIALECTS)('repositories on %s', (dialect) => {
  let db: TestStore;
  beforeEach(async () => {
    db = await createTestStore(dialect);
  });
  afterEach(async () => {
    await db.dispose();
  });

  it('migrations are idempotent: opening the same database twice works', async () => {
    // elsewhere() opens the same database (and schema) again, migrations included; dispose closes it.
    const again = await db.elsewhere();
    expect(await createUserRepository(again).countActive()).toBe(0);
  });

  it('users: seat-limited creation, unique external id and email, case-insensitive email lookup', async () => {
    const users = createUserRepository(db.store);
    const a = await users.createWithinSeatLimit(member('a', 'Ada@Example.com'), 2, NOW);
    expect(a.ok).toBe(true);
    expect(await users.createWithinSeatLimit(member('a'), 2, NOW)).toEqual({ ok: false, reason: 'duplicate' });
    expect(await users.createWithinSeatLimit(member('b', 'ADA@example.COM'), 2, NOW)).toEqual({ ok: false, reason: 'duplicate' });
    expect((await users.createWithinSeatLimit(member('b'), 2, NOW)).ok).toBe(true);
    expect(await users.createWithinSeatLimit(member('c'), 2, NOW)).toEqual({ ok: false, reason: 'seat_limit_reached' });
    expect((await users.findByEmail('ada@EXAMPLE.com'))?.external_id).toBe('a');
    if (a.ok) await users.setActive(a.user.id, false);
    expect(await users.countActive()).toBe(1);
    expect((await users.createWithinSeatLimit(member('c'), 2, NOW)).ok).toBe(true);
  });

  it('keys: create, list active, retire', async () => {
    const keys = createKeyRepository(db.store);
    const one = await keys.create(NOW);
    const two = await keys.create(NOW + 1);
    expect(one.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await keys.listActive()).map((k) => k.kid)).toEqual([two.kid, one.kid]);
    expect(await keys.retire(one.kid, NOW + 2)).toBe(true);
    expect(await keys.retire(one.kid, NOW + 3)).toBe(false);
    expect((await keys.listActive()).map((k) => k.kid)).toEqual([two.kid]);
    expect(await keys.listAll()).toHaveLength(2);
  });

  it('sessions: nothing is stored to open one; expiry, logout, ending all and deletion end them', async () => {
    const users = createUserRepository(db.store);
    const sessionsOn = (store: typeof db.store) =>
      createSessions({ secrets: createInstanceSecretRepository(store), revoked: createRevokedSessionRepository(store), users: createUserRepository(store), now: () => NOW });
    const sessions = sessionsOn(db.store);
    const created = await users.createWithinSeatLimit(member('a'), 5, NOW);
    if (!created.ok) throw new Error('no user');
    const user = created.user;
    const session = await sessions.create(user, NOW, 1000);
    expect(session.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(await db.store.db.selectFrom('revoked_sessions').selectAll().execute()).toEqual([]);
    expect((await sessions.findValid(session.token, NOW + 999))?.user.id).toBe(user.id);
    expect(await sessions.findValid(session.token, NOW + 1000)).toBeUndefined();

    // Another instance on the same database (same session key) accepts it too; a logout there ends it here.
    const elsewhere = sessionsOn(await db.elsewhere());
    expect((await elsewhere.findValid(session.token, NOW))?.id).toBe(session.id);
    expect(await elsewhere.revoke(session.token, NOW)).toBe(session.id);
    // A commit by another connection is seen from the next turn of the event loop (store/read-cache.ts).
    await new Promise((resolve) => setImmediate(resolve));
    expect(await sessions.findValid(session.token, NOW)).toBeUndefined();
    expect(await sessions.revoke(`${session.token.slice(0, -2)}AA`, NOW)).toBeUndefined();

    // Ending all of an account's sessions ends the ones it has, not the ones it opens next.
    const [one, two] = [await sessions.create(user, NOW, 1000), await sessions.create(user, NOW, 1000)];
    expect(one.id).not.toBe(two.id);
    await sessions.revokeAllForUser(user.id);
    expect(await sessions.findValid(one.token, NOW)).toBeUndefined();
    expect(await sessions.findValid(two.token, NOW)).toBeUndefined();
    const after = await sessions.create((await users.findById(user.id))!, NOW, 1000);
    expect((await sessions.findValid(after.token, NOW))?.id).toBe(after.id);

    await users.deleteAnonymising(user.id);
    expect(await sessions.findValid(after.token, NOW)).toBeUndefined();
  });

  it('messages and events: one message per (author, clientMessageId); events resume after an id', async () => {
    const users = createUserRepository(db.store);
    const created = await users.createWithinSeatLimit(member('a'), 5, NOW);
    if (!created.ok) throw new Error('no user');
    const conversations = createConversationRepository(db.store);
    const messages = createMessageRepository(db.store);
    const events = createEventRepository(db.store);
    const conversation = await conversations.create(db.store.db, { organizationId: 'default', title: 't', createdBy: created.user.id, participantIds: [created.user.id] }, NOW);
    const input = { conversationId: conversation.id, authorType: 'user' as const, authorId: created.user.id, text: 'hi', clientMessageId: 'c1' };
    const first = await messages.insertOnce(db.store.db, input, NOW);
    const second = await messages.insertOnce(db.store.db, { ...input, text: 'changed' }, NOW);
    expect(first.created).toBe(true);
    expect(second).toEqual({ row: first.row, created: false });
    const e1 = await events.append(db.store.db, { conversationId: conversation.id, organizationId: 'default', documentId: null, type: 'x', payload: { n: 1 } }, NOW);
    const e2 = await events.append(db.store.db, { conversationId: conversation.id, organizationId: 'default', documentId: null, type: 'x', payload: { n: 2 } }, NOW);
    expect(e2.id).toBeGreaterThan(e1.id);
    expect((await events.listSince({ userId: created.user.id }, e1.id, 10)).map((e) => JSON.parse(e.payload))).toEqual([{ n: 2 }]);
    expect(await events.listSince({ userId: 'usr_other' }, 0, 10)).toEqual([]);
    expect(await events.listSince({ organizationId: 'default' }, 0, 10)).toHaveLength(2);
    expect(await events.listSince({ organizationId: 'other' }, 0, 10)).toEqual([]);
    expect(await events.latestId()).toBe(e2.id);
  });
});
