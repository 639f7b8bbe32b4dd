/**
 * Token API credentials (docs/token-api.md, Credentials): an `apiKey` (public id) and an `authToken` (secret,
 * shown once, stored as SHA-256). The check hashes the presented token and compares fixed-length digests in
 * constant time, so neither its length nor its content changes the timing, and an unknown apiKey costs the
 * same.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Store } from './database.js';
import type { ApiCredentialsTable } from './schema.js';
import { readCacheOf } from './read-cache.js';

export type ApiCredentialRow = ApiCredentialsTable;
const DUMMY_HASH = createHash('sha256').update('parley:no-such-credential').digest();
const USE_WRITE_INTERVAL_MS = 60_000;

const digest = (token: string) => createHash('sha256').update(token, 'utf8').digest();

export function createApiCredentialRepository(store: Store) {
  const { db } = store;
  const lastWrite = new Map<string, number>();
  // Every token API call checks its credential: kept in memory where that is exact (read-cache.ts).
  const cache = readCacheOf<ApiCredentialRow>(store, 'api_credentials');
  const changed = (apiKey: string) => cache.forget((row) => row.api_key === apiKey);
  return {
    async create(name: string, now: number): Promise<{ apiKey: string; authToken: string }> {
      const apiKey = `pk_${randomBytes(12).toString('base64url')}`;
      const authToken = `pat_${randomBytes(32).toString('base64url')}`;
      await db.insertInto('api_credentials').values({ api_key: apiKey, name, auth_token_hash: digest(authToken).toString('base64url'), created_at: now, last_used_at: null, revoked_at: null }).execute();
      return { apiKey, authToken };
    },

    list: () => db.selectFrom('api_credentials').selectAll().orderBy('created_at', 'desc').orderBy('api_key', 'desc').execute(),

    find: (apiKey: string) => db.selectFrom('api_credentials').selectAll().where('api_key', '=', apiKey).executeTakeFirst(),

    /** The credential, or why not: an unknown key and a wrong token look alike to the caller; a revoked one is told. */
    async verify(apiKey: string, authToken: string, now: number): Promise<ApiCredentialRow | 'invalid' | 'revoked'> {
      const row =
        apiKey.length <= 200
          ? await cache.get(apiKey, () => db.selectFrom('api_credentials').selectAll().where('api_key', '=', apiKey).executeTakeFirst())
          : undefined;
      const expected = row ? Buffer.from(row.auth_token_hash, 'base64url') : DUMMY_HASH;
      const matches = expected.length === 32 && timingSafeEqual(digest(authToken), expected);
      if (!row || !matches) return 'invalid';
      if (row.revoked_at !== null) return 'revoked';
      if (now - (lastWrite.get(apiKey) ?? 0) >= USE_WRITE_INTERVAL_MS) {
        lastWrite.set(apiKey, now);
        await db.updateTable('api_credentials').set({ last_used_at: now }).where('api_key', '=', apiKey).execute();
        changed(apiKey);
      }
      return row;
    },

    async revoke(apiKey: string, now: number): Promise<boolean> {
      const result = await db.updateTable('api_credentials').set({ revoked_at: now }).where('api_key', '=', apiKey).where('revoked_at', 'is', null).executeTakeFirst();
      changed(apiKey);
      return Number(result.numUpdatedRows) === 1;
    },
  };
}

export type ApiCredentialRepository = ReturnType<typeof createApiCredentialRepository>;
