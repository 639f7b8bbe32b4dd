/**
 * What the database keeps of sessions: only the ones ended before their time (a logout). A session's token
 * is signed and self-contained (auth/session-tokens.ts), so a sign-in writes nothing here; every use of a
 * session asks whether it was revoked, which on SQLite is answered from memory (read-cache.ts).
 */
import { sql } from 'kysely';
import type { Store } from './database.js';
import { readCacheOf } from './read-cache.js';
import type { ConversationRow, ConversationWithParticipation } from './conversations.js';
import type { UserRow } from './users.js';

const REVOKED = Object.freeze({ revoked: true });
const NOT_REVOKED = Object.freeze({ revoked: false });

export function createRevokedSessionRepository(store: Store) {
  const { db } = store;
  const cache = readCacheOf<{ revoked: boolean }>(store, 'revoked_sessions');

  return {
    async isRevoked(id: string): Promise<boolean> {
      const found = await cache.get(id, async () =>
        (await db.selectFrom('revoked_sessions').select('id').where('id', '=', id).executeTakeFirst()) ? REVOKED : NOT_REVOKED,
      );
      return found?.revoked === true;
    },

    /**
     * What a use of the session needs, in one round trip on PostgreSQL (where nothing is cached): whether
     * `id` was revoked, and the account `userId` as it is now (undefined: none). The same two reads as
     * `isRevoked` and the users repository's `findById`, in one statement; undefined on SQLite, where both
     * are answered from memory (read-cache.ts). With `conversationId` (a request about that conversation),
     * the same statement also reads it with the account's participation, as the conversations repository's
     * `findWithParticipation` does (null: no such conversation), saving the request that round trip.
     */
    withAccount:
      store.dialect === 'postgres'
        ? async (id: string, userId: string, conversationId?: string): Promise<{ revoked: boolean; user: UserRow | undefined; conversation?: ConversationWithParticipation | null }> => {
            const conversation =
              conversationId === undefined
                ? sql``
                : sql`, (select row_to_json(c) from conversations c where c.id = ${conversationId}) as conversation,
                    exists (select 1 from participants p where p.conversation_id = ${conversationId} and p.user_id = ${userId}) as participant`;
            const { rows } = await sql<UserRow & { session_revoked: boolean; conversation?: ConversationRow | null; participant?: boolean }>`
              select exists (select 1 from revoked_sessions where id = ${id}) as session_revoked, users.* ${conversation}
              from (select 1) as one left join users on users.id = ${userId}`.execute(db);
            const { session_revoked: revoked, conversation: row, participant, ...user } = rows[0]!;
            // Frozen, as the users repository answers its rows.
            const account = user.id === null ? undefined : Object.freeze(user as UserRow);
            if (conversationId === undefined) return { revoked, user: account };
            return { revoked, user: account, conversation: row ? { row, participant: participant === true } : null };
          }
        : undefined,

    /** Revokes a session until its expiry; rows of sessions that have expired anyway are dropped on the way. */
    async revoke(id: string, expiresAt: number, now: number): Promise<void> {
      await db.deleteFrom('revoked_sessions').where('expires_at', '<=', now).execute();
      await db.insertInto('revoked_sessions').values({ id, expires_at: expiresAt, revoked_at: now }).onConflict((oc) => oc.column('id').doNothing()).execute();
      cache.clear();
    },
  };
}

export type RevokedSessionRepository = ReturnType<typeof createRevokedSessionRepository>;
