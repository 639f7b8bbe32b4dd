/**
 * Sessions (docs/external-auth.md, Sessions): opened by a sign-in, carried as a bearer token or the hosted
 * page's cookie, ended by expiry, logout, deactivation or deletion of the account, or an administrator ending
 * them all.
 *
 * A session is a signed token (session-tokens.ts), so opening one writes nothing. Every use checks, in this
 * order: the signature and expiry, that this session was not logged out (revoked_sessions), that the account
 * still exists, and that its sessions were not all ended since this one began (users.session_epoch).
 * Deactivation is left to the callers, who refuse an inactive account's session.
 */
import type { AccountState, RevokedSessionRepository } from '../store/sessions.js';
import type { InstanceSecretRepository } from '../store/instance-secrets.js';
import type { UserRepository, UserRow } from '../store/users.js';
import type { SeenConversation } from '../store/conversations.js';
import { pooledRandomBytes } from '../ids.js';
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { openSessionToken, sealSessionToken } from './session-tokens.js';

const SESSION_KEY = 'session_key';

export interface ValidSession {
  id: string;
  expiresAt: number;
  user: UserRow;
  /**
   * The conversation asked for with the session (`findValid`'s `conversationId`), read in the same round
   * trip where the database allows (null: there is none); absent when it was not read.
   */
  conversation?: SeenConversation;
}

export function createSessions(deps: { secrets: InstanceSecretRepository; revoked: RevokedSessionRepository; users: UserRepository; now: () => number }) {
  let key: Promise<KeyObject> | undefined;
  /**
   * The instance's session key, read (or made) and imported once (importing raw bytes at every HMAC was
   * half its cost); a failed read is tried again next time.
   */
  function sessionKey(): Promise<KeyObject> {
    key ??= deps.secrets.get(SESSION_KEY, deps.now()).then(
      (value) => createSecretKey(Buffer.from(value, 'base64url')),
      (error: unknown) => {
        key = undefined;
        throw error;
      },
    );
    return key;
  }

  let fileKey: Promise<KeyObject> | undefined;
  /**
   * The key of file tokens: derived from the session key (HMAC with a label of its own), so a file token
   * never opens as a session, nor a session as a file token, and both end with their session.
   */
  function fileTokenKey(): Promise<KeyObject> {
    fileKey ??= sessionKey().then(
      (k) => createSecretKey(createHmac('sha256', k.export()).update('parley file token v1').digest()),
      (error: unknown) => {
        fileKey = undefined;
        throw error;
      },
    );
    return fileKey;
  }

  /** Whether the session was logged out, and its account as it is now (undefined: gone), read each time. */
  async function stateOf(claims: { id: string; userId: string }, also?: { conversationId: string; now: number }): Promise<AccountState> {
    // On PostgreSQL one statement reads both (and the conversation asked for); on SQLite each comes from its cache.
    if (deps.revoked.withAccount) return deps.revoked.withAccount(claims.id, claims.userId, also);
    if (await deps.revoked.isRevoked(claims.id)) return { revoked: true, user: undefined };
    return { revoked: false, user: await deps.users.findById(claims.userId) };
  }

  async function validate(claims: ReturnType<typeof openSessionToken>, also?: { conversationId: string; now: number }): Promise<ValidSession | undefined> {
    if (!claims) return undefined;
    const { revoked, user, conversation } = await stateOf(claims, also);
    if (revoked || !user || user.session_epoch !== claims.epoch) return undefined;
    const session = { id: claims.id, expiresAt: claims.expiresAt, user };
    return also === undefined || conversation === undefined ? session : { ...session, conversation: { id: also.conversationId, found: conversation } };
  }

  return {
    /** A new session for the account: a fresh id at every sign-in. */
    async create(user: Pick<UserRow, 'id' | 'session_epoch'>, now: number, ttlMs: number): Promise<{ token: string; id: string; expiresAt: number }> {
      const id = pooledRandomBytes(16);
      const expiresAt = now + ttlMs;
      const token = sealSessionToken(await sessionKey(), id, { userId: user.id, epoch: user.session_epoch, issuedAt: now, expiresAt });
      return { token, id: id.toString('base64url'), expiresAt };
    },

    /**
     * The session of this token if it is still on, with its account (active or not), or undefined. With
     * `conversationId`, the conversation too where one round trip can read both (see ValidSession).
     */
    async findValid(token: string, now: number, conversationId?: string): Promise<ValidSession | undefined> {
      return validate(openSessionToken(await sessionKey(), token, now), conversationId === undefined ? undefined : { conversationId, now });
    },

    /** Whether the token is one this instance sealed and unexpired (nothing asked of the database). */
    async isGenuine(token: string, now: number): Promise<boolean> {
      return openSessionToken(await sessionKey(), token, now) !== undefined;
    },

    /**
     * The file token of a session (docs/attachments.md, Downloading): it lets an `<img>` of the widget, which
     * cannot send the bearer header, read the files the session's account may read, and nothing else; it
     * ends when the session does. Undefined when `token` is no session.
     */
    async fileToken(token: string, now: number): Promise<string | undefined> {
      const claims = openSessionToken(await sessionKey(), token, now);
      if (!claims) return undefined;
      return sealSessionToken(await fileTokenKey(), Buffer.from(claims.id, 'base64url'), claims);
    },

    /** The session a file token stands for, if it is still on (as findValid). */
    async findValidFileToken(fileToken: string, now: number): Promise<ValidSession | undefined> {
      return validate(openSessionToken(await fileTokenKey(), fileToken, now));
    },

    /**
     * Whether a token that is no longer a session (findValid said so) ended because its account was
     * deactivated: it is still genuine and unexpired, and its account exists but is inactive. The caller
     * then says `user_deactivated` rather than `session_invalid`, so the person is told why.
     */
    async endedByDeactivation(token: string, now: number): Promise<boolean> {
      const claims = openSessionToken(await sessionKey(), token, now);
      if (!claims) return false;
      const { revoked, user } = await stateOf(claims);
      return !revoked && user !== undefined && !user.active;
    },

    /** Logs a session out; answers its id, or undefined when the token is not a session of this instance. */
    async revoke(token: string, now: number): Promise<string | undefined> {
      const claims = openSessionToken(await sessionKey(), token, now);
      if (!claims) return undefined;
      await deps.revoked.revoke(claims.id, claims.expiresAt, now);
      return claims.id;
    },

    /** Ends every session the account has now; sessions it opens later are not affected. */
    revokeAllForUser(userId: string): Promise<void> {
      return deps.users.endSessions(userId);
    },
  };
}

export type Sessions = ReturnType<typeof createSessions>;
