/**
 * Accounts. Creation goes through `createWithinSeatLimit`, the one place that enforces the seat limit
 * (docs/external-auth.md, Seats):
 * the count of active accounts and the insert happen as one atomic step, so concurrent first sign-ins (in
 * one process, or in several against one PostgreSQL) never exceed the limit.
 */
import { type Selectable, sql } from 'kysely';
import type { Store } from './database.js';
import { transact } from './transaction.js';
import { changesOf } from './changes.js';
import type { CreatedVia, Role, UsersTable } from './schema.js';
import { newId } from '../ids.js';
import { readCacheOf } from './read-cache.js';
import { createWebhookEndpointRepository } from './webhook-endpoints.js';
import { enqueueUserWebhook } from '../outbound/webhook-events.js';

export type UserRow = Selectable<UsersTable>;

export interface NewUser {
  externalId: string | null;
  email: string | null;
  name: string | null;
  avatarUrl: string | null;
  metadata: Readonly<Record<string, unknown>>;
  role: Role;
  organizationId: string;
  createdVia: CreatedVia;
}

export interface ProfileUpdate {
  email?: string | null;
  name?: string | null;
  avatarUrl?: string | null;
  metadata?: Readonly<Record<string, unknown>>;
  /** An administrator's preferences (the profile page), as a whole object. */
  preferences?: Readonly<Record<string, unknown>>;
}

export type CreateResult =
  | { ok: true; user: UserRow }
  | { ok: false; reason: 'seat_limit_reached' | 'duplicate' };

/** Emails compare case-insensitively and regardless of Unicode normalisation form. */
export function normalizeEmail(email: string): string {
  return email.normalize('NFC').toLowerCase();
}

// A fixed key for pg_advisory_xact_lock: every seat-taking insert on the cluster queues on it.
const SEAT_LOCK_KEY = 0x5061726c; // "Parl"

export function createUserRepository(store: Store) {
  const { db } = store;
  // Every sign-in and every API request reads an account: kept in memory where that is exact (read-cache.ts).
  const cache = readCacheOf<UserRow>(store, 'users');
  /** Called after every write to an account: its cached rows go, whichever key found them. */
  const changed = (id: string) => cache.forget((row) => row.id === id);
  /**
   * What the account may see has changed (its sessions, role, organization, existence): announced in the
   * write's statement or transaction, so every instance closes the account's open event streams at once and
   * they reconnect under the new rules (store/changes.ts).
   */
  const accessChanged = (id: string) => changesOf(store).announce(db, `account:${id}`);

  return {
    findById: (id: string) => cache.get(`id:${id}`, () => db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst()),

    findByExternalId: (externalId: string) =>
      cache.get(`ext:${externalId}`, () => db.selectFrom('users').selectAll().where('external_id', '=', externalId).executeTakeFirst()),

    findByEmail: (email: string) => {
      const normalized = normalizeEmail(email);
      return cache.get(`email:${normalized}`, () => db.selectFrom('users').selectAll().where('email_normalized', '=', normalized).executeTakeFirst());
    },

    async countActive(): Promise<number> {
      const row = await db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).where('active', '=', 1).executeTakeFirstOrThrow();
      return Number(row.n);
    },

    /**
     * Inserts the account if fewer than `seatLimit` accounts are active. `duplicate` means another request
     * created the same external id or email first (the caller re-reads and decides).
     */
    async createWithinSeatLimit(input: NewUser, seatLimit: number, now: number): Promise<CreateResult> {
      const id = newId('usr');
      const email = input.email;
      const insert = sql<{ id: string }>`
        insert into users (id, external_id, email, email_normalized, name, avatar_url, metadata, role,
                           organization_id, active, created_via, created_at)
        select ${id}, ${input.externalId}, ${email}, ${email === null ? null : normalizeEmail(email)}, ${input.name},
               ${input.avatarUrl}, ${JSON.stringify(input.metadata)}, ${input.role}, ${input.organizationId}, 1,
               ${input.createdVia}, ${now}
        where (select count(*) from users where active = 1) < ${seatLimit}
        on conflict do nothing
        returning id`;
      const run = async (executor: typeof db): Promise<CreateResult> => {
        const { rows } = await insert.execute(executor);
        if (rows.length === 1) {
          const user = await executor.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
          await enqueueUserWebhook(store, executor, 'user.created', user, now);
          return { ok: true, user };
        }
        // Nothing inserted: either a unique key was taken or every seat is.
        if (input.externalId === null && email === null) return { ok: false, reason: 'seat_limit_reached' };
        const clash = await executor
          .selectFrom('users')
          .select('id')
          .where((eb) => {
            const ors = [];
            if (input.externalId !== null) ors.push(eb('external_id', '=', input.externalId));
            if (email !== null) ors.push(eb('email_normalized', '=', normalizeEmail(email)));
            return eb.or(ors);
          })
          .executeTakeFirst();
        return { ok: false, reason: clash ? 'duplicate' : 'seat_limit_reached' };
      };
      if (store.dialect === 'sqlite') {
        // One statement (SQLite serialises writers), unless a webhook endpoint takes user.created: then the
        // account and its delivery commit together.
        if (db.isTransaction || (await createWebhookEndpointRepository(store).subscribedTo(db, input.organizationId, 'user.created')).length === 0) return run(db);
        return transact(db, run);
      }
      // Under READ COMMITTED two inserts could both see a free seat: queue them on one advisory lock.
      return transact(db, async (trx) => {
        await sql`select pg_advisory_xact_lock(${SEAT_LOCK_KEY})`.execute(trx);
        return run(trx);
      });
    },

    /** Applies the signed profile claims of a sign-in; undefined fields are left as they are. */
    async updateProfile(id: string, update: ProfileUpdate): Promise<UserRow> {
      const values: Partial<UserRow> = {};
      if (update.email !== undefined) {
        values.email = update.email;
        values.email_normalized = update.email === null ? null : normalizeEmail(update.email);
      }
      if (update.name !== undefined) values.name = update.name;
      if (update.avatarUrl !== undefined) values.avatar_url = update.avatarUrl;
      if (update.metadata !== undefined) values.metadata = JSON.stringify(update.metadata);
      if (update.preferences !== undefined) values.preferences = JSON.stringify(update.preferences);
      if (Object.keys(values).length > 0) await db.updateTable('users').set(values).where('id', '=', id).execute();
      changed(id);
      return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    },

    /** Where the account last opened the widget or hosted page (origin and path). */
    async setLastPage(id: string, page: string): Promise<void> {
      await db.updateTable('users').set({ last_page: page }).where('id', '=', id).execute();
      changed(id);
    },

    async touchLastSeen(id: string, now: number): Promise<void> {
      await db.updateTable('users').set({ last_seen_at: now }).where('id', '=', id).execute();
      changed(id);
    },

    /** Ends every session the account has (sessions are signed tokens that carry the epoch: auth/sessions.ts). */
    async endSessions(id: string): Promise<void> {
      await db.updateTable('users').set((eb) => ({ session_epoch: eb('session_epoch', '+', 1) })).where('id', '=', id).execute();
      changed(id);
      await accessChanged(id);
    },

    /** Deactivating also ends every session, in the same statement (sessions carry the epoch). */
    async setActive(id: string, active: boolean): Promise<void> {
      await db
        .updateTable('users')
        .set((eb) => (active ? { active: 1 } : { active: 0, session_epoch: eb('session_epoch', '+', 1) }))
        .where('id', '=', id)
        .execute();
      changed(id);
      if (!active) await accessChanged(id);
    },

    /** Reactivates an account if a seat is free: the same atomic count-and-write as creation. */
    async reactivateWithinSeatLimit(id: string, seatLimit: number): Promise<boolean> {
      const update = sql<{ id: string }>`
        update users set active = 1
        where id = ${id} and active = 0 and (select count(*) from users where active = 1) < ${seatLimit}
        returning id`;
      const run = async (executor: typeof db) => (await update.execute(executor)).rows.length === 1;
      const done =
        store.dialect === 'sqlite'
          ? await run(db)
          : await transact(db, async (trx) => {
              await sql`select pg_advisory_xact_lock(${SEAT_LOCK_KEY})`.execute(trx);
              return run(trx);
            });
      changed(id);
      return done;
    },

    async setOrganization(id: string, organizationId: string): Promise<void> {
      await db.updateTable('users').set({ organization_id: organizationId }).where('id', '=', id).execute();
      changed(id);
      await accessChanged(id);
    },

    async setRole(id: string, role: Role): Promise<void> {
      await db.updateTable('users').set({ role }).where('id', '=', id).execute();
      changed(id);
      await accessChanged(id);
    },

    async countOwners(): Promise<number> {
      const row = await db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('role', '=', 'owner')
        .where('active', '=', 1)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    async countCreatedSince(since: number): Promise<number> {
      const row = await db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).where('created_at', '>=', since).executeTakeFirstOrThrow();
      return Number(row.n);
    },

    /**
     * A page of accounts, newest first, optionally matching `q` in name, email or external id (case
     * insensitive), with the total number of matches.
     */
    async search(q: string | undefined, cursor: { createdAt: number; id: string } | undefined, limit: number): Promise<{ rows: UserRow[]; total: number }> {
      const pattern = q ? `%${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%` : undefined;
      let base = db.selectFrom('users');
      if (pattern) {
        base = base.where((eb) =>
          eb.or([
            sql<boolean>`lower(coalesce(name, '')) like ${pattern} escape '\\'`,
            sql<boolean>`coalesce(email_normalized, '') like ${pattern} escape '\\'`,
            sql<boolean>`lower(coalesce(external_id, '')) like ${pattern} escape '\\'`,
          ]),
        );
      }
      let page = base.selectAll();
      if (cursor) {
        page = page.where((eb) => eb.or([eb('created_at', '<', cursor.createdAt), eb.and([eb('created_at', '=', cursor.createdAt), eb('id', '<', cursor.id)])]));
      }
      const [rows, count] = await Promise.all([
        page.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute(),
        base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
      ]);
      return { rows, total: Number(count.n) };
    },

    /**
     * Deletes an account; its messages stay, with no author (shown as a deleted user), and without its files:
     * those go with the account (unreadable at once, their bytes at the next sweep: use-cases/attachments.ts).
     */
    async deleteAnonymising(id: string): Promise<void> {
      await transact(db, async (trx) => {
        await trx.updateTable('messages').set({ attachments: null }).where('author_id', '=', id).where('attachments', 'is not', null).execute();
        await trx.updateTable('attachments').set({ state: 'deleted', uploader_id: null }).where('uploader_id', '=', id).execute();
        await trx.updateTable('messages').set({ author_id: null }).where('author_id', '=', id).execute();
        await trx.updateTable('conversations').set({ assignee_id: null }).where('assignee_id', '=', id).execute();
        await trx.deleteFrom('participants').where('user_id', '=', id).execute();
        await trx.deleteFrom('users').where('id', '=', id).execute();
        await changesOf(store).announce(trx, `account:${id}`);
      });
      changed(id);
    },
  };
}

export type UserRepository = ReturnType<typeof createUserRepository>;
