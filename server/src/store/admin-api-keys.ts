/**
 * Admin API keys (`X-API-KEY`): created in the admin panel, shown once, stored as SHA-256, revocable. A key
 * is looked up by its hash, so no comparison of secrets happens in application code.
 */
import { randomBytes } from 'node:crypto';
import type { Store } from './database.js';
import type { AdminApiKeysTable } from './schema.js';
import { hashSecret, newSecret } from '../ids.js';

export type AdminApiKeyRow = AdminApiKeysTable;
export const ADMIN_API_KEY_PATTERN = /^pak_[A-Za-z0-9_-]{43}$/;
const USE_WRITE_INTERVAL_MS = 60_000;

export function createAdminApiKeyRepository({ db }: Store) {
  const lastWrite = new Map<string, number>();
  return {
    async create(name: string, createdBy: string, now: number): Promise<{ row: AdminApiKeyRow; key: string }> {
      const key = `pak_${newSecret()}`;
      const row: AdminApiKeyRow = { id: `ak_${randomBytes(6).toString('hex')}`, name, key_hash: hashSecret(key), created_by: createdBy, created_at: now, last_used_at: null, revoked_at: null };
      await db.insertInto('admin_api_keys').values(row).execute();
      return { row, key };
    },

    list: () => db.selectFrom('admin_api_keys').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').execute(),

    find: (id: string) => db.selectFrom('admin_api_keys').selectAll().where('id', '=', id).executeTakeFirst(),

    /** The unrevoked key with this secret, or undefined. */
    async findActive(key: string): Promise<AdminApiKeyRow | undefined> {
      if (!ADMIN_API_KEY_PATTERN.test(key)) return undefined;
      return db.selectFrom('admin_api_keys').selectAll().where('key_hash', '=', hashSecret(key)).where('revoked_at', 'is', null).executeTakeFirst();
    },

    async revoke(id: string, now: number): Promise<boolean> {
      const result = await db.updateTable('admin_api_keys').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async markUsed(id: string, now: number): Promise<void> {
      if (now - (lastWrite.get(id) ?? 0) < USE_WRITE_INTERVAL_MS) return;
      lastWrite.set(id, now);
      await db.updateTable('admin_api_keys').set({ last_used_at: now }).where('id', '=', id).execute();
    },
  };
}

export type AdminApiKeyRepository = ReturnType<typeof createAdminApiKeyRepository>;
