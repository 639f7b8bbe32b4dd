/**
 * Parley's own keys for the tokens its token API mints (PRODUCT.md §6): never the external secret. The
 * newest key signs; a rotated-out key still verifies for the 48 hours its tokens may live, then nothing.
 */
import { randomBytes } from 'node:crypto';
import type { Store } from './database.js';
import type { MintKeysTable } from './schema.js';

export type MintKeyRow = MintKeysTable;
export const MINTED_TOKEN_LIFETIME_MS = 48 * 3600 * 1000;

export function createMintKeyRepository({ db }: Store) {
  async function create(now: number): Promise<MintKeyRow> {
    const row: MintKeyRow = { kid: `pm_${randomBytes(6).toString('hex')}`, secret: randomBytes(32).toString('base64url'), created_at: now, retired_at: null };
    await db.insertInto('mint_keys').values(row).execute();
    return row;
  }

  return {
    /** The key that signs now, created on first use (the first boot). */
    async current(now: number): Promise<MintKeyRow> {
      const row = await db.selectFrom('mint_keys').selectAll().where('retired_at', 'is', null).orderBy('created_at', 'desc').executeTakeFirst();
      return row ?? create(now);
    },

    /** Keys that still verify: current ones, and ones rotated out less than a token lifetime ago. */
    verifying: (now: number) =>
      db
        .selectFrom('mint_keys')
        .selectAll()
        .where((eb) => eb.or([eb('retired_at', 'is', null), eb('retired_at', '>', now - MINTED_TOKEN_LIFETIME_MS)]))
        .execute(),

    /** A new signing key; the old ones stop signing at once and stop verifying 48 hours later. */
    async rotate(now: number): Promise<MintKeyRow> {
      await db.updateTable('mint_keys').set({ retired_at: now }).where('retired_at', 'is', null).execute();
      return create(now);
    },
  };
}

export type MintKeyRepository = ReturnType<typeof createMintKeyRepository>;
