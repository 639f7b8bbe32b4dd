/**
 * Parley sessions. The token (256 random bits) goes to the client once; the database keeps only its
 * SHA-256, so every sign-in gets a fresh id and a leaked table cannot be replayed.
 */
import type { Store } from './database.js';
import type { UserRow } from './users.js';
import { hashSecret, newSecret } from '../ids.js';
import type { WriteBatcher } from './write-batcher.js';

export const SESSION_TOKEN_PREFIX = 'pss_';

export interface ValidSession {
  id: string;
  expiresAt: number;
  user: UserRow;
}

export function createSessionRepository({ db }: Store, batcher: WriteBatcher) {
  return {
    async create(userId: string, now: number, ttlMs: number): Promise<{ token: string; id: string; expiresAt: number }> {
      const token = SESSION_TOKEN_PREFIX + newSecret();
      const id = hashSecret(token);
      const expiresAt = now + ttlMs;
      await batcher.run((executor) => executor.insertInto('sessions').values({ id, user_id: userId, created_at: now, expires_at: expiresAt, revoked_at: null }).execute());
      return { token, id, expiresAt };
    },

    /** The unexpired, unrevoked session of an active account for this token, or undefined. */
    async findValid(token: string, now: number): Promise<ValidSession | undefined> {
      if (!token.startsWith(SESSION_TOKEN_PREFIX) || token.length > 128) return undefined;
      const row = await db
        .selectFrom('sessions')
        .innerJoin('users', 'users.id', 'sessions.user_id')
        .selectAll('users')
        .select(['sessions.id as session_id', 'sessions.expires_at as session_expires_at'])
        .where('sessions.id', '=', hashSecret(token))
        .where('sessions.revoked_at', 'is', null)
        .where('sessions.expires_at', '>', now)
        .executeTakeFirst();
      if (!row) return undefined;
      const { session_id, session_expires_at, ...user } = row;
      return { id: session_id, expiresAt: session_expires_at, user };
    },

    async revoke(id: string, now: number): Promise<void> {
      await db.updateTable('sessions').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null).execute();
    },

    async revokeAllForUser(userId: string, now: number): Promise<void> {
      await db.updateTable('sessions').set({ revoked_at: now }).where('user_id', '=', userId).where('revoked_at', 'is', null).execute();
    },
  };
}

export type SessionRepository = ReturnType<typeof createSessionRepository>;
