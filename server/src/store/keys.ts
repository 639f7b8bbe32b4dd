/**
 * External-auth signing keys stored in the database (PRODUCT.md §4.1). The environment's secret is not
 * stored here; the key ring adds it as kid `env`.
 */
import { randomBytes } from 'node:crypto';
import type { Store } from './database.js';
import type { AuthKeysTable } from './schema.js';

export type KeyRow = AuthKeysTable;

export function createKeyRepository({ db }: Store) {
  return {
    listActive: () =>
      db.selectFrom('auth_keys').selectAll().where('retired_at', 'is', null).orderBy('created_at', 'desc').execute(),

    listAll: () => db.selectFrom('auth_keys').selectAll().orderBy('created_at', 'desc').execute(),

    /** Generates a 256-bit HS256 secret with a fresh kid; the secret is returned once, to be shown once. */
    async create(now: number): Promise<{ kid: string; secret: string }> {
      const kid = `k_${randomBytes(6).toString('hex')}`;
      const secret = randomBytes(32).toString('base64url');
      await db.insertInto('auth_keys').values({ kid, alg: 'HS256', secret, created_at: now, retired_at: null, last_used_at: null }).execute();
      return { kid, secret };
    },

    /** Retires a key for good; answers false when no active key has that kid. */
    async retire(kid: string, now: number): Promise<boolean> {
      const result = await db.updateTable('auth_keys').set({ retired_at: now }).where('kid', '=', kid).where('retired_at', 'is', null).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async markUsed(kid: string, now: number): Promise<void> {
      await db.updateTable('auth_keys').set({ last_used_at: now }).where('kid', '=', kid).execute();
    },
  };
}

export type KeyRepository = ReturnType<typeof createKeyRepository>;
