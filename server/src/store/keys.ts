/**
 * External-auth keys stored in the database (docs/external-auth.md, Keys): HS256 secrets Parley generates,
 * integrators' public keys (ES256, EdDSA, RS256) and JWK Set URLs. The environment's secret is not stored
 * here; the key ring adds it as kid `env`.
 */
import { randomBytes } from 'node:crypto';
import type { Store } from './database.js';
import type { AuthKeysTable } from './schema.js';
import type { AsymmetricAlg } from '../auth/public-keys.js';
import { readCacheOf } from './read-cache.js';

export type KeyRow = AuthKeysTable;

/** Key ids an administrator may choose: short, printable, and never `env`. */
export const KID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

export function createKeyRepository(store: Store) {
  const { db } = store;
  // Every sign-in reads the active keys: kept in memory where that is exact (read-cache.ts); every write
  // below forgets them.
  const cache = readCacheOf<readonly KeyRow[]>(store, 'auth_keys');
  const insert = async (row: Omit<KeyRow, 'retired_at' | 'last_used_at'>) => {
    await db.insertInto('auth_keys').values({ ...row, retired_at: null, last_used_at: null }).execute();
    cache.clear();
  };

  return {
    listActive: async (): Promise<readonly KeyRow[]> =>
      (await cache.get('active', () =>
        db.selectFrom('auth_keys').selectAll().where('retired_at', 'is', null).orderBy('created_at', 'desc').orderBy('kid', 'desc').execute(),
      )) ?? [],

    listAll: () => db.selectFrom('auth_keys').selectAll().orderBy('created_at', 'desc').orderBy('kid', 'desc').execute(),

    find: (kid: string) => db.selectFrom('auth_keys').selectAll().where('kid', '=', kid).executeTakeFirst(),

    /** Generates a 256-bit HS256 secret with a fresh kid; the secret is returned once, to be shown once. */
    async create(now: number): Promise<{ kid: string; secret: string }> {
      const kid = `k_${randomBytes(6).toString('hex')}`;
      const secret = randomBytes(32).toString('base64url');
      await insert({ kid, alg: 'HS256', secret, public_jwk: null, jwks_url: null, created_at: now });
      return { kid, secret };
    },

    /** Registers a checked public JWK (see auth/public-keys.ts) under the integrator's kid. */
    async addPublicKey(kid: string, alg: AsymmetricAlg, jwk: object, now: number): Promise<void> {
      await insert({ kid, alg, secret: null, public_jwk: JSON.stringify(jwk), jwks_url: null, created_at: now });
    },

    /** Registers a JWK Set URL; its keys keep their own kids, the row gets `jwks_…`. */
    async addJwks(url: string, now: number): Promise<string> {
      const kid = `jwks_${randomBytes(6).toString('hex')}`;
      await insert({ kid, alg: 'JWKS', secret: null, public_jwk: null, jwks_url: url, created_at: now });
      return kid;
    },

    /** Retires a key for good; answers false when no active key has that kid. */
    async retire(kid: string, now: number): Promise<boolean> {
      const result = await db.updateTable('auth_keys').set({ retired_at: now }).where('kid', '=', kid).where('retired_at', 'is', null).executeTakeFirst();
      cache.clear();
      return Number(result.numUpdatedRows) === 1;
    },

    async markUsed(kid: string, now: number): Promise<void> {
      await db.updateTable('auth_keys').set({ last_used_at: now }).where('kid', '=', kid).execute();
      cache.clear();
    },
  };
}

export type KeyRepository = ReturnType<typeof createKeyRepository>;
