/**
 * Parley's session tokens (docs/external-auth.md, Sessions), as plain functions: sealed with the instance's
 * session key, opened with the same key and a clock. A token carries its session id, account, issue and
 * expiry times, so a sign-in writes no session row and a request needs no session lookup; what can end a
 * session early (a logout, a deactivation) is checked by auth/sessions.ts.
 *
 *   pss_ base64url( version 1 | session id 16 | account's session epoch 4 | issued at ms 6 | expires at ms 6 |
 *                   account id (UTF-8) | tag 16 )
 *
 * The tag is HMAC-SHA-256 over everything before it, truncated to 128 bits (RFC 2104 §5).
 */
import { createHmac, type KeyObject, timingSafeEqual } from 'node:crypto';

/** The session key: raw bytes, or (on the hot path) imported once as a KeyObject. */
export type SessionKey = KeyObject | Uint8Array;

export const SESSION_TOKEN_PREFIX = 'pss_';
const VERSION = 1;
const ID_BYTES = 16;
const EPOCH_BYTES = 4;
const TIME_BYTES = 6;
const TAG_BYTES = 16;
const EPOCH_AT = 1 + ID_BYTES;
const ISSUED_AT = EPOCH_AT + EPOCH_BYTES;
const EXPIRES_AT = ISSUED_AT + TIME_BYTES;
const HEADER_BYTES = EXPIRES_AT + TIME_BYTES;
/** Keeps a token within the 128 characters a bearer header may carry. */
export const MAX_ACCOUNT_ID_BYTES = 40;
const MAX_TOKEN_LENGTH = 128;
const TOKEN_PATTERN = /^pss_[A-Za-z0-9_-]+$/;

export interface SessionClaims {
  /** 128 random bits, base64url: a fresh one at every sign-in. */
  id: string;
  userId: string;
  /** The account's session epoch when it was issued: ending all of an account's sessions moves the epoch on. */
  epoch: number;
  issuedAt: number;
  expiresAt: number;
}

function tag(key: SessionKey, body: Uint8Array): Buffer {
  return createHmac('sha256', key).update(body).digest().subarray(0, TAG_BYTES);
}

/** Seals a session; `sessionId` must be 16 random bytes. */
export function sealSessionToken(key: SessionKey, sessionId: Uint8Array, claims: Omit<SessionClaims, 'id'>): string {
  const account = Buffer.from(claims.userId, 'utf8');
  if (sessionId.length !== ID_BYTES) throw new TypeError('a session id is 16 bytes');
  if (account.length === 0 || account.length > MAX_ACCOUNT_ID_BYTES) throw new TypeError('account id of unexpected length');
  const body = Buffer.allocUnsafe(HEADER_BYTES + account.length);
  body[0] = VERSION;
  body.set(sessionId, 1);
  body.writeUInt32BE(claims.epoch, EPOCH_AT);
  body.writeUIntBE(claims.issuedAt, ISSUED_AT, TIME_BYTES);
  body.writeUIntBE(claims.expiresAt, EXPIRES_AT, TIME_BYTES);
  account.copy(body, HEADER_BYTES);
  return SESSION_TOKEN_PREFIX + Buffer.concat([body, tag(key, body)]).toString('base64url');
}

/** The claims of a token sealed with `key` that has not expired at `now`; undefined for anything else. */
export function openSessionToken(key: SessionKey, token: string, now: number): SessionClaims | undefined {
  if (token.length > MAX_TOKEN_LENGTH || !TOKEN_PATTERN.test(token)) return undefined;
  const encoded = token.slice(SESSION_TOKEN_PREFIX.length);
  const bytes = Buffer.from(encoded, 'base64url');
  // Base64 decoding forgives stray bits; one session has exactly one spelling.
  if (bytes.toString('base64url') !== encoded) return undefined;
  if (bytes.length <= HEADER_BYTES + TAG_BYTES || bytes[0] !== VERSION) return undefined;
  const body = bytes.subarray(0, bytes.length - TAG_BYTES);
  if (!timingSafeEqual(tag(key, body), bytes.subarray(bytes.length - TAG_BYTES))) return undefined;
  const expiresAt = body.readUIntBE(EXPIRES_AT, TIME_BYTES);
  if (expiresAt <= now) return undefined;
  return {
    id: body.subarray(1, 1 + ID_BYTES).toString('base64url'),
    userId: body.subarray(HEADER_BYTES).toString('utf8'),
    epoch: body.readUInt32BE(EPOCH_AT),
    issuedAt: body.readUIntBE(ISSUED_AT, TIME_BYTES),
    expiresAt,
  };
}
