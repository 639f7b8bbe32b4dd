/**
 * The token of an email's unsubscribe link (RFC 8058): it names the user and is signed with HMAC-SHA-256
 * under an instance secret, so it needs no table and works for as long as the secret does. A GET of the link
 * only shows a page; the POST (one click, from the mail client or that page) turns the emails off.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const UNSUBSCRIBE_SECRET = 'email_unsubscribe_key';
const PURPOSE = 'unsubscribe:v1:';

const mac = (secret: string, userId: string) => createHmac('sha256', Buffer.from(secret, 'base64url')).update(PURPOSE + userId).digest();

/** `<user id, base64url>.<HMAC, base64url>`. */
export function signUnsubscribeToken(secret: string, userId: string): string {
  return `${Buffer.from(userId).toString('base64url')}.${mac(secret, userId).toString('base64url')}`;
}

/** The user id a genuine token names, or null (anything else, of any type). */
export function verifyUnsubscribeToken(secret: string, token: unknown): string | null {
  if (typeof token !== 'string' || token.length > 400) return null;
  const match = /^([A-Za-z0-9_-]{1,200})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return null;
  const userId = Buffer.from(match[1]!, 'base64url').toString('utf8');
  const given = Buffer.from(match[2]!, 'base64url');
  const expected = mac(secret, userId);
  return given.length === expected.length && timingSafeEqual(given, expected) ? userId : null;
}
