/**
 * Parley's own keys for the tokens its token API mints (docs/token-api.md, Minted tokens): never the external
 * secret. The newest key signs; a rotated-out key still verifies for the 48 hours its tokens may live, then
 * nothing.
 */
import { randomBytes } from 'node:crypto';
import type { Store } from './database.js';
import type { MintKeysTable } from './schema.js';
import { readCacheOf } from './read-cache.js';

export type MintKeyRow = MintKeysTable;
export const MINTED_TOKEN_LIFETIME_MS = 48 * 3600 * 1000;

export function createMintKeyRepository(store: Store) {
  const { db } = store;
  // Read by every minted token and every sign-in with one: kept in memory where that is exact
  // (read-cache.ts). The table holds one row per rotation, so it is read whole, newest first.
  const cache = readCacheOf<readonly MintKeyRow[]>(store, 'mint_keys');
  const all = async (): Promise<readonly MintKeyRow[]> =>
    (await cache.get('all', () => db.selectFrom('mint_keys').selectAll().orderBy('created_at', 'desc').orderBy('kid', 'desc').execute())) ?? [];

  async function create(now: number): Promise<MintKeyRow> {
    const row: MintKeyRow = { kid: `pm_${randomBytes(6).toString('hex')}`, secret: randomBytes(32).toString('base64url'), created_at: now, retired_at: null };
    await db.insertInto('mint_keys').values(row).execute();
    cache.clear();
    return row;
  }

  return {
    /** The key that signs now, created on first use (the first boot). */
    async current(now: number): Promise<MintKeyRow> {
      return (await all()).find((row) => row.retired_at === null) ?? create(now);
    },

    /** Keys that still verify: current ones, and ones rotated out less than a token lifetime ago. */
    async verifying(now: number): Promise<MintKeyRow[]> {
      return (await all()).filter((row) => row.retired_at === null || row.retired_at > now - MINTED_TOKEN_LIFETIME_MS);
    },

    /** A new signing key; the old ones stop signing at once and stop verifying 48 hours later. */
    async rotate(now: number): Promise<MintKeyRow> {
      await db.updateTable('mint_keys').set({ retired_at: now }).where('retired_at', 'is', null).execute();
      cache.clear();
      return create(now);
    },
  };
}

export type MintKeyRepository = ReturnType<typeof createMintKeyRepository>;
