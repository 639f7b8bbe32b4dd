/**
 * The one-time links of notification emails: each opens one conversation signed in as its user, once,
 * within 24 hours. The database keeps the token's SHA-256; using a link marks it used in the statement that
 * checks it, so two visits cannot both succeed.
 */
import type { Kysely } from 'kysely';
import type { Database, EmailLinksTable } from './schema.js';
import { hashSecret, newSecret } from '../ids.js';

export const EMAIL_LINK_TTL_MS = 24 * 3600_000;

export function createEmailLinkRepository(db: Kysely<Database>) {
  return {
    /** A new link for `userId` to `conversationId` (written into `executor`, a transaction's); answers its token. */
    async create(executor: Kysely<Database>, userId: string, conversationId: string, now: number): Promise<string> {
      const token = newSecret();
      await executor.insertInto('email_links').values({ id: hashSecret(token), user_id: userId, conversation_id: conversationId, created_at: now, expires_at: now + EMAIL_LINK_TTL_MS, used_at: null }).execute();
      return token;
    },

    /** The link of `token` if it is unused and unexpired, else why not; leaves it unused (a question is asked first). */
    async find(token: string, now: number): Promise<{ ok: true; link: EmailLinksTable } | { ok: false; code: 'link_invalid' | 'link_used' }> {
      const row = await db.selectFrom('email_links').selectAll().where('id', '=', hashSecret(token)).executeTakeFirst();
      if (!row || Number(row.expires_at) <= now) return { ok: false, code: 'link_invalid' };
      if (row.used_at !== null) return { ok: false, code: 'link_used' };
      return { ok: true, link: { ...row, created_at: Number(row.created_at), expires_at: Number(row.expires_at), used_at: null } };
    },

    /** Uses the link of `token`: its row if it was unused and unexpired, else why not. */
    async consume(token: string, now: number): Promise<{ ok: true; link: EmailLinksTable } | { ok: false; code: 'link_invalid' | 'link_used' }> {
      const id = hashSecret(token);
      const used = await db
        .updateTable('email_links')
        .set({ used_at: now })
        .where('id', '=', id)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .returningAll()
        .executeTakeFirst();
      if (used) return { ok: true, link: { ...used, created_at: Number(used.created_at), expires_at: Number(used.expires_at), used_at: now } };
      const found = await db.selectFrom('email_links').select('id').where('id', '=', id).executeTakeFirst();
      return { ok: false, code: found ? 'link_used' : 'link_invalid' };
    },
  };
}

export type EmailLinkRepository = ReturnType<typeof createEmailLinkRepository>;
