/**
 * One-time administrator links (docs/admin-api.md, Owner set-up): the owner set-up link of a fresh instance,
 * and sign-in links printed by the CLI. The database keeps the token's SHA-256; using a link marks it used in
 * the same statement that checks it, so two visits cannot both succeed.
 */
import type { Store } from './database.js';
import type { AdminLinksTable } from './schema.js';
import { hashSecret, newSecret } from '../ids.js';

export type AdminLinkRow = AdminLinksTable;

export function createAdminLinkRepository({ db }: Store) {
  return {
    async create(input: { purpose: AdminLinkRow['purpose']; userId: string | null; email: string | null; expiresAt: number | null }, now: number): Promise<string> {
      const token = newSecret();
      await db
        .insertInto('admin_links')
        .values({ id: hashSecret(token), purpose: input.purpose, user_id: input.userId, email: input.email, created_at: now, expires_at: input.expiresAt, used_at: null })
        .execute();
      return token;
    },

    /** Retires every unused owner set-up link (a new boot prints a fresh one). */
    async expireOwnerSetupLinks(now: number): Promise<void> {
      await db.updateTable('admin_links').set({ expires_at: now }).where('purpose', '=', 'owner_setup').where('used_at', 'is', null).execute();
    },

    /** The link, if it exists: used or not, expired or not (the caller tells the visitor which). */
    find: (token: string) => db.selectFrom('admin_links').selectAll().where('id', '=', hashSecret(token)).executeTakeFirst(),

    /** Marks the link used if it still was unused and unexpired; false if someone else got there first. */
    async consume(token: string, now: number): Promise<boolean> {
      const result = await db
        .updateTable('admin_links')
        .set({ used_at: now })
        .where('id', '=', hashSecret(token))
        .where('used_at', 'is', null)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
  };
}

export type AdminLinkRepository = ReturnType<typeof createAdminLinkRepository>;
