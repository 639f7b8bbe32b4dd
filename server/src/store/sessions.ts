/**
 * What the database keeps of sessions: only the ones ended before their time (a logout). A session's token
 * is signed and self-contained (auth/session-tokens.ts), so a sign-in writes nothing here; every use of a
 * session asks whether it was revoked, which on SQLite is answered from memory (read-cache.ts).
 */
import { sql } from 'kysely';
import type { Store } from './database.js';
import { readCacheOf } from './read-cache.js';
import type { ConversationRow, ConversationWithParticipation } from './conversations.js';
import { coveringGrants, strongestGrant, type GrantRow } from './grants.js';
import type { AccessRole } from './schema.js';
import type { UserRow } from './users.js';

const REVOKED = Object.freeze({ revoked: true });
const NOT_REVOKED = Object.freeze({ revoked: false });

/**
 * A session's state as one statement reads it: revoked or not, the account, and, when asked for, a
 * conversation (null: none) with, for a document room, the account's role on its document (null: none).
 */
export interface AccountState {
  revoked: boolean;
  user: UserRow | undefined;
  conversation?: (ConversationWithParticipation & { documentRole?: AccessRole | null }) | null;
}

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
     * are answered from memory (read-cache.ts). With `with.conversationId` (a request about that
     * conversation), the same statement also reads it with the account's participation, as the
     * conversations repository's `findWithParticipation` does (null: no such conversation), and, for a
     * document room, the account's grants covering its document at `with.now` (as grants.roleFor reads
     * them), saving the request those round trips.
     */
    withAccount:
      store.dialect === 'postgres'
        ? async (id: string, userId: string, also?: { conversationId: string; now: number }): Promise<AccountState> => {
            // The conversation, when asked for, joined once: its row, the member's part in it, a room's grants.
            const columns =
              also === undefined
                ? sql``
                : sql`, row_to_json(c) as conversation,
                    exists (select 1 from participants p where p.conversation_id = c.id and p.user_id = ${userId}) as participant,
                    case when c.document_id is null then null
                      else (select coalesce(json_agg(g), '[]'::json) from (${coveringGrants(userId, sql`users.organization_id`, sql`c.document_id`, also.now)}) g) end as document_grants`;
            const join = also === undefined ? sql`` : sql`left join conversations c on c.id = ${also.conversationId}`;
            const { rows } = await sql<UserRow & { session_revoked: boolean; conversation?: ConversationRow | null; participant?: boolean; document_grants?: Pick<GrantRow, 'access_role' | 'expires_at'>[] | null }>`
              select exists (select 1 from revoked_sessions where id = ${id}) as session_revoked, users.* ${columns}
              from (select 1) as one left join users on users.id = ${userId} ${join}`.execute(db);
            const { session_revoked: revoked, conversation: row, participant, document_grants: grants, ...user } = rows[0]!;
            // Frozen, as the users repository answers its rows.
            const account = user.id === null ? undefined : Object.freeze(user as UserRow);
            if (also === undefined) return { revoked, user: account };
            if (!row) return { revoked, user: account, conversation: null };
            const found: ConversationWithParticipation = { row, participant: participant === true };
            return { revoked, user: account, conversation: row.document_id === null || !grants ? found : { ...found, documentRole: strongestGrant(grants)?.role ?? null } };
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
