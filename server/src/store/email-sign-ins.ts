/**
 * Email sign-in requests (docs/admin-api.md, Email sign-in): one row per request to start, holding the SHA-256
 * of its link token and of its code (salted with the row's id), never either in clear. Only the newest row of
 * an address is live: creating one retires the others. An attempt at the code is taken, and the one use made,
 * in the statement that checks them, so concurrent guesses or clicks cannot go past the limit or use a row twice.
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

    /** The address's live request (unused, unexpired, attempts left), if any: read only to find its id. */
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

    /**
     * Takes one attempt at the code of request `id` before the code is compared, in the statement that checks
     * it is still live: the row as it is now, or undefined when it was used, retired, expired or out of attempts.
     * Concurrent guesses each take their own attempt, so no more than `maxAttempts` codes are ever compared.
     */
    takeAttempt: (id: string, now: number, maxAttempts: number) =>
      db
        .updateTable('email_sign_ins')
        .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
        .where('id', '=', id)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .where('attempts', '<', maxAttempts)
        .returningAll()
        .executeTakeFirst(),

    /**
     * Uses the request once: true for the one caller that did, false if it was used, retired or expired
     * meanwhile, or more than `attemptsAtMost` attempts at its code were taken.
     */
    async consume(id: string, now: number, attemptsAtMost: number): Promise<boolean> {
      const result = await db
        .updateTable('email_sign_ins')
        .set({ used_at: now })
        .where('id', '=', id)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .where('attempts', '<=', attemptsAtMost)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
  };
}

export type EmailSignInRepository = ReturnType<typeof createEmailSignInRepository>;
