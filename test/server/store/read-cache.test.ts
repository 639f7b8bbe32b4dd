import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../../server/src/store/database.js';
import { createKeyRepository } from '../../../server/src/store/keys.js';
import { readCacheOf } from '../../../server/src/store/read-cache.js';
import { createRevokedSessionRepository } from '../../../server/src/store/sessions.js';
import { createUserRepository, type NewUser, type UserRow } from '../../../server/src/store/users.js';
import { createTestStore, DIALECTS, type TestStore } from '../../helpers/databases.js';

const NOW = 1_790_000_000_000;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

const member = (externalId: string): NewUser => ({
  externalId,
  email: `${externalId}@example.com`,
  name: externalId,
  avatarUrl: null,
  metadata: {},
  role: 'member',
  organizationId: 'default',
  createdVia: 'external_token',
});

describe.each(DIALECTS)('exact read caches on %s', (dialect) => {
  let db: TestStore;
  let elsewhere: Store;
  beforeEach(async () => {
    db = await createTestStore(dialect);
    elsewhere = await db.elsewhere();
  });
  afterEach(async () => {
    await db.dispose();
  });

  async function createUser(externalId = 'alice'): Promise<UserRow> {
    const created = await createUserRepository(db.store).createWithinSeatLimit(member(externalId), 50, NOW);
    if (!created.ok) throw new Error(`could not create ${externalId}: ${created.reason}`);
    return created.user;
  }

  /**
   * After a commit by another connection: on SQLite the caches see it from the next event-loop turn; on
   * PostgreSQL they are off, so it must be seen at once, without waiting.
   */
  const afterCommitElsewhere = () => (dialect === 'sqlite' ? nextTurn() : Promise.resolve());

  it('a write through the repository is read back at once, by every lookup that found the row', async () => {
    const users = createUserRepository(db.store);
    const { id } = await createUser();
    // Every lookup is read once first, so the write has something to make stale.
    expect((await users.findByExternalId('alice'))?.active).toBe(1);
    expect((await users.findById(id))?.active).toBe(1);
    expect((await users.findByEmail('ALICE@example.com'))?.active).toBe(1);

    await users.setActive(id, false);
    expect((await users.findByExternalId('alice'))?.active).toBe(0);
    expect((await users.findById(id))?.active).toBe(0);
    expect((await users.findByEmail('alice@example.com'))?.active).toBe(0);

    expect((await users.findById(id))?.last_seen_at).toBeNull();
    await users.touchLastSeen(id, NOW + 5);
    expect((await users.findById(id))?.last_seen_at).toBe(NOW + 5);
    expect((await users.findByExternalId('alice'))?.last_seen_at).toBe(NOW + 5);

    await users.setRole(id, 'admin');
    expect((await users.findByEmail('alice@example.com'))?.role).toBe('admin');
    expect((await users.findById(id))?.role).toBe('admin');

    const epoch = (await users.findById(id))!.session_epoch;
    await users.endSessions(id);
    expect((await users.findById(id))?.session_epoch).toBe(epoch + 1);
    await users.endSessions(id);
    expect((await users.findByExternalId('alice'))?.session_epoch).toBe(epoch + 2);

    await users.setOrganization(id, 'default');
    await users.updateProfile(id, { email: 'alice2@example.com', name: 'Alice Two' });
    expect(await users.findByEmail('alice@example.com')).toBeUndefined();
    expect((await users.findByEmail('alice2@example.com'))?.name).toBe('Alice Two');
    expect((await users.findById(id))?.name).toBe('Alice Two');

    expect(await users.reactivateWithinSeatLimit(id, 50)).toBe(true);
    expect((await users.findById(id))?.active).toBe(1);

    await users.deleteAnonymising(id);
    expect(await users.findById(id)).toBeUndefined();
    expect(await users.findByExternalId('alice')).toBeUndefined();
  });

  it('a row not found is not remembered: an account created after a miss is found', async () => {
    const users = createUserRepository(db.store);
    expect(await users.findByExternalId('bob')).toBeUndefined();
    expect(await users.findByEmail('bob@example.com')).toBeUndefined();
    const bob = await createUser('bob');
    expect((await users.findByExternalId('bob'))?.id).toBe(bob.id);
    expect((await users.findByEmail('bob@example.com'))?.id).toBe(bob.id);
  });

  it('two repositories on one store share the cache: a write through one is read through the other at once', async () => {
    const writer = createUserRepository(db.store);
    const reader = createUserRepository(db.store);
    const { id } = await createUser();
    expect((await reader.findById(id))?.active).toBe(1);
    expect((await reader.findByExternalId('alice'))?.role).toBe('member');
    await writer.setActive(id, false);
    expect((await reader.findById(id))?.active).toBe(0);
    await writer.setRole(id, 'admin');
    expect((await reader.findByExternalId('alice'))?.role).toBe('admin');

    const keysWriter = createKeyRepository(db.store);
    const keysReader = createKeyRepository(db.store);
    expect(await keysReader.listActive()).toEqual([]);
    const { kid } = await keysWriter.create(NOW);
    expect((await keysReader.listActive()).map((k) => k.kid)).toEqual([kid]);
    expect(await keysWriter.retire(kid, NOW + 1)).toBe(true);
    expect(await keysReader.listActive()).toEqual([]);

    const revokedWriter = createRevokedSessionRepository(db.store);
    const revokedReader = createRevokedSessionRepository(db.store);
    expect(await revokedReader.isRevoked('session-1')).toBe(false);
    await revokedWriter.revoke('session-1', NOW + 1000, NOW);
    expect(await revokedReader.isRevoked('session-1')).toBe(true);
    expect(await revokedReader.isRevoked('session-2')).toBe(false);
  });

  it(`a commit through another connection is seen ${dialect === 'sqlite' ? 'from the next event-loop turn' : 'at once'}`, async () => {
    const users = createUserRepository(db.store);
    const { id } = await createUser();
    expect((await users.findById(id))?.active).toBe(1);
    expect((await users.findByExternalId('alice'))?.session_epoch).toBe(0);

    await elsewhere.db.updateTable('users').set({ active: 0 }).where('id', '=', id).execute();
    await afterCommitElsewhere();
    expect((await users.findById(id))?.active).toBe(0);
    expect((await users.findByExternalId('alice'))?.active).toBe(0);

    // The same through the other connection's own repository (the CLI's path).
    await createUserRepository(elsewhere).endSessions(id);
    await afterCommitElsewhere();
    expect((await users.findByExternalId('alice'))?.session_epoch).toBe(1);

    await elsewhere.db.deleteFrom('users').where('id', '=', id).execute();
    await afterCommitElsewhere();
    expect(await users.findById(id)).toBeUndefined();
  });

  it('a commit through another connection reaches this one in the other direction too', async () => {
    const theirs = createUserRepository(elsewhere);
    const { id } = await createUser();
    expect((await theirs.findById(id))?.role).toBe('member');
    await createUserRepository(db.store).setRole(id, 'admin');
    await afterCommitElsewhere();
    expect((await theirs.findById(id))?.role).toBe('admin');
  });

  it('a key retired through another connection is no longer listed', async () => {
    const keys = createKeyRepository(db.store);
    const kept = await keys.create(NOW);
    const retired = await keys.create(NOW + 1);
    expect((await keys.listActive()).map((k) => k.kid)).toEqual([retired.kid, kept.kid]);
    expect(await createKeyRepository(elsewhere).retire(retired.kid, NOW + 2)).toBe(true);
    await afterCommitElsewhere();
    expect((await keys.listActive()).map((k) => k.kid)).toEqual([kept.kid]);

    // And a key added there is listed here.
    const added = await createKeyRepository(elsewhere).create(NOW + 3);
    await afterCommitElsewhere();
    expect((await keys.listActive()).map((k) => k.kid)).toEqual([added.kid, kept.kid]);
  });

  it('a session revoked through another connection is revoked here', async () => {
    const revoked = createRevokedSessionRepository(db.store);
    expect(await revoked.isRevoked('session-1')).toBe(false);
    await createRevokedSessionRepository(elsewhere).revoke('session-1', NOW + 1000, NOW);
    await afterCommitElsewhere();
    expect(await revoked.isRevoked('session-1')).toBe(true);
  });

  it('a load in flight while its entry is forgotten answers, but is not kept', async () => {
    const users = createUserRepository(db.store);
    const { id } = await createUser();
    const inFlight = users.findById(id);
    await users.setActive(id, false);
    // Whichever row the early read saw, it must not outlive the write.
    expect((await inFlight)?.id).toBe(id);
    expect((await users.findById(id))?.active).toBe(0);
    expect((await users.findByExternalId('alice'))?.active).toBe(0);

    // The same with several loads of several keys in flight, and a write through another repository.
    const loads = [users.findById(id), users.findByExternalId('alice'), users.findByEmail('alice@example.com')];
    await createUserRepository(db.store).setActive(id, true);
    await Promise.all(loads);
    expect((await users.findById(id))?.active).toBe(1);
    expect((await users.findByExternalId('alice'))?.active).toBe(1);
    expect((await users.findByEmail('alice@example.com'))?.active).toBe(1);
  });

  it('a key list loading while a key is retired is not kept', async () => {
    const keys = createKeyRepository(db.store);
    const { kid } = await keys.create(NOW);
    const inFlight = keys.listActive();
    await keys.retire(kid, NOW + 1);
    await inFlight;
    expect(await keys.listActive()).toEqual([]);
  });

  it.runIf(dialect === 'sqlite')('rows answered from the cache are frozen', async () => {
    const users = createUserRepository(db.store);
    const { id } = await createUser();
    await users.findById(id);
    const cached = (await users.findById(id))!;
    expect(Object.isFrozen(cached)).toBe(true);
    expect(() => {
      (cached as { active: number }).active = 0;
    }).toThrow(TypeError);
    expect((await users.findById(id))?.active).toBe(1);

    const keys = createKeyRepository(db.store);
    await keys.create(NOW);
    await keys.listActive();
    const list = await keys.listActive();
    expect(Object.isFrozen(list)).toBe(true);
    expect(() => (list as unknown[]).push({})).toThrow(TypeError);
    expect(await keys.listActive()).toHaveLength(1);
  });
});

/**
 * The cache alone, on a stand-in store whose data_version the test moves: the interleavings a real SQLite
 * connection (which runs one statement at a time) does not produce on demand.
 */
describe('readCacheOf with a stand-in data_version', () => {
  function standIn() {
    const state = { version: 1, reads: 0 };
    const store = {
      dataVersion: () => {
        state.reads++;
        return state.version;
      },
    } as unknown as Store;
    return { store, state };
  }
  /** A load the test finishes when it wants, counting how often it was asked. */
  function deferredLoads<V>() {
    const calls: ((value: V | undefined) => void)[] = [];
    return {
      load: () => new Promise<V | undefined>((resolve) => calls.push(resolve)),
      finish: (i: number, value: V | undefined) => calls[i]!(value),
      get count() {
        return calls.length;
      },
    };
  }
  const row = (active: number) => ({ id: 'usr_1', active });

  it('keeps a loaded value, and answers it without loading again', async () => {
    const { store } = standIn();
    const cache = readCacheOf<{ id: string; active: number }>(store, 'users');
    let loads = 0;
    const load = async () => (loads++, row(1));
    expect(await cache.get('id:usr_1', load)).toEqual(row(1));
    expect(await cache.get('id:usr_1', load)).toEqual(row(1));
    expect(loads).toBe(1);
    expect(readCacheOf(store, 'users')).toBe(cache);
    expect(readCacheOf(store, 'keys')).not.toBe(cache);
  });

  it('never keeps undefined', async () => {
    const { store } = standIn();
    const cache = readCacheOf<{ id: string; active: number }>(store, 'users');
    let loads = 0;
    const load = async () => (loads++, undefined);
    expect(await cache.get('k', load)).toBeUndefined();
    expect(await cache.get('k', load)).toBeUndefined();
    expect(loads).toBe(2);
  });

  it('does not keep a load that was in flight while an entry was forgotten', async () => {
    const { store } = standIn();
    const cache = readCacheOf<{ id: string; active: number }>(store, 'users');
    const loads = deferredLoads<{ id: string; active: number }>();
    const early = cache.get('id:usr_1', loads.load);
    // The write lands, and forgets, before the early read comes back with the old row.
    cache.forget((value) => value.id === 'usr_1');
    loads.finish(0, row(1));
    expect(await early).toEqual(row(1));
    const next = cache.get('id:usr_1', loads.load);
    expect(loads.count).toBe(2);
    loads.finish(1, row(0));
    expect(await next).toEqual(row(0));
  });

  it('does not keep a load that was in flight while the cache was cleared', async () => {
    const { store } = standIn();
    const cache = readCacheOf<{ id: string; active: number }>(store, 'users');
    const loads = deferredLoads<{ id: string; active: number }>();
    const early = cache.get('id:usr_1', loads.load);
    cache.clear();
    loads.finish(0, row(1));
    await early;
    const next = cache.get('id:usr_1', loads.load);
    expect(loads.count).toBe(2);
    loads.finish(1, row(0));
    expect(await next).toEqual(row(0));
  });

  it('does not keep a load that was in flight while another connection committed', async () => {
    const { store, state } = standIn();
    const cache = readCacheOf<{ id: string; active: number }>(store, 'users');
    const loads = deferredLoads<{ id: string; active: number }>();
    const early = cache.get('id:usr_1', loads.load);
    await nextTurn();
    state.version++;
    loads.finish(0, row(1));
    await early;
    await nextTurn();
    const next = cache.get('id:usr_1', loads.load);
    expect(loads.count).toBe(2);
    loads.finish(1, row(0));
    expect(await next).toEqual(row(0));
  });

  it('empties when data_version moves, from the next turn; reads data_version once per turn', async () => {
    const { store, state } = standIn();
    const cache = readCacheOf<{ id: string; active: number }>(store, 'users');
    let current = row(1);
    const load = async () => current;
    await cache.get('id:usr_1', load);
    await nextTurn();
    state.reads = 0;
    for (let i = 0; i < 100; i++) await cache.get('id:usr_1', load);
    expect(state.reads).toBe(1);
    current = row(0);
    state.version++;
    await nextTurn();
    expect(await cache.get('id:usr_1', load)).toEqual(row(0));
  });

  it('forget drops only the entries that match, under every key', async () => {
    const { store } = standIn();
    const cache = readCacheOf<{ id: string; active: number }>(store, 'users');
    const loaded: string[] = [];
    const load = (key: string, value: { id: string; active: number }) => async () => (loaded.push(key), value);
    await cache.get('id:usr_1', load('id:usr_1', row(1)));
    await cache.get('ext:alice', load('ext:alice', row(1)));
    await cache.get('id:usr_2', load('id:usr_2', { id: 'usr_2', active: 1 }));
    cache.forget((value) => value.id === 'usr_1');
    await cache.get('id:usr_1', load('id:usr_1', row(0)));
    await cache.get('ext:alice', load('ext:alice', row(0)));
    await cache.get('id:usr_2', load('id:usr_2', { id: 'usr_2', active: 0 }));
    expect(loaded).toEqual(['id:usr_1', 'ext:alice', 'id:usr_2', 'id:usr_1', 'ext:alice']);
  });

  it('without data_version (PostgreSQL) keeps nothing: every read loads', async () => {
    const cache = readCacheOf<{ id: string; active: number }>({} as Store, 'users');
    let loads = 0;
    const load = async () => (loads++, row(1));
    await cache.get('id:usr_1', load);
    await cache.get('id:usr_1', load);
    expect(loads).toBe(2);
  });

  it('holds at most 10,000 entries, dropping the oldest', async () => {
    const { store } = standIn();
    const cache = readCacheOf<{ id: string; active: number }>(store, 'users');
    for (let i = 0; i <= 10_000; i++) await cache.get(`k${i}`, async () => ({ id: `usr_${i}`, active: 1 }));
    let reloaded = 0;
    await cache.get('k0', async () => (reloaded++, row(1)));
    await cache.get('k10000', async () => (reloaded++, row(1)));
    await cache.get('k2', async () => (reloaded++, row(1)));
    expect(reloaded).toBe(1);
  });
});
