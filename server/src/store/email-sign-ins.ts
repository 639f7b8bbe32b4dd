/**
 * Email sign-in requests (docs/admin-api.md, Email sign-in): one row per email sent, holding the SHA-256 of
 * its link token and of its code (salted with the row's id), never either in clear. Only the newest row of an
 * address is live: creating one retires the others. Attempts at the code and the one use are counted in the
 * statement that checks them, so concurrent guesses or clicks cannot go past the limit or use a row twice.
 */
import type { Store } from './database.js';
import type { EmailSignInsTable } from './schema.js';

export type EmailSignInRow = EmailSignInsTable;

export function createEmailSignInRepository({ db }: Store) {
  return {
    /** Inserts a request for `emailNormalized` and retires the address's earlier unused ones (superseded). */
    async create(row: Omit<EmailSignInRow, 'attempts' | 'used_at'>): Promise<void> {
      await db.updateTable('email_sign_ins').set({ used_at: row.created_at }).where('email_normalized', '=', row.email_normalized).where('used_at', 'is', null).execute();
      await db.insertInto('email_sign_ins').values({ ...row, attempts: 0, used_at: null }).execute();
    },

    /** How many requests the address made since `since`, and when the oldest of them was (for Retry-After). */
    async countSince(emailNormalized: string, since: number): Promise<{ count: number; oldest: number | null }> {
      const row = await db
        .selectFrom('email_sign_ins')
        .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min<number>('created_at').as('oldest')])
        .where('email_normalized', '=', emailNormalized)
        .where('created_at', '>', since)
        .executeTakeFirstOrThrow();
      return { count: Number(row.n), oldest: row.oldest === null ? null : Number(row.oldest) };
    },

    /** The address's live request (unused, unexpired, attempts left), if any. */
    live: (emailNormalized: string, now: number, maxAttempts: number) =>
      db
        .selectFrom('email_sign_ins')
        .selectAll()
        .where('email_normalized', '=', emailNormalized)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .where('attempts', '<', maxAttempts)
        .orderBy('created_at', 'desc')
        .executeTakeFirst(),

    /** The request a link token's hash names, whatever its state. */
    byLinkHash: (linkHash: string) => db.selectFrom('email_sign_ins').selectAll().where('link_hash', '=', linkHash).executeTakeFirst(),

    /** Counts a wrong code; false when the request was no longer live (used, or out of attempts already). */
    async recordWrongCode(id: string, maxAttempts: number): Promise<boolean> {
      const result = await db
        .updateTable('email_sign_ins')
        .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
        .where('id', '=', id)
        .where('used_at', 'is', null)
        .where('attempts', '<', maxAttempts)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    /** Uses the request once: true for the one caller that did, false if it was used, retired or expired meanwhile. */
    async consume(id: string, now: number): Promise<boolean> {
      const result = await db.updateTable('email_sign_ins').set({ used_at: now }).where('id', '=', id).where('used_at', 'is', null).where('expires_at', '>', now).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
  };
}

export type EmailSignInRepository = ReturnType<typeof createEmailSignInRepository>;
