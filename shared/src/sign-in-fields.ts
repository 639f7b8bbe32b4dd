/**
 * The inputs of email sign-in, one rule each (as shared/src/fields.ts, and free of dependencies for the
 * same reason): the `signInMethods` and `emailSignInDomains` settings, and the 6-digit code a visitor types.
 * The email address itself follows fields.ts's `parseEmail`, the rule every other door uses.
 */
import type { Field } from './fields.js';

/** How a visitor without a session may sign in: an external token from the integrator, or a code by email. */
export const SIGN_IN_METHODS = ['external', 'email'] as const;
export type SignInMethod = (typeof SIGN_IN_METHODS)[number];

export const MAX_EMAIL_SIGN_IN_DOMAINS = 100;
/** The code sent by email: six decimal digits. */
export const EMAIL_CODE_DIGITS = 6;

const ok = <T>(value: T): Field<T> => ({ ok: true, value });
const no = (reason: string): Field<never> => ({ ok: false, reason });

// A DNS name of letters, digits and hyphens (IDNs in their xn-- form), at least two labels, at most 253 characters.
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * `signInMethods`: a non-empty list of `external` and `email`, each at most once; answered in that fixed
 * order, so equal settings compare equal.
 */
export function parseSignInMethods(value: unknown): Field<readonly SignInMethod[]> {
  const rule = 'must be a non-empty list of "external" and "email"';
  if (!Array.isArray(value) || value.length === 0 || value.length > SIGN_IN_METHODS.length) return no(rule);
  if (!value.every((m) => typeof m === 'string' && (SIGN_IN_METHODS as readonly string[]).includes(m))) return no(rule);
  if (new Set(value).size !== value.length) return no('must not name a method twice');
  return ok(SIGN_IN_METHODS.filter((m) => value.includes(m)));
}

/**
 * `emailSignInDomains`: the domains whose addresses may get an account by email (`example.com`, matched
 * exactly, case-insensitively: not its subdomains); null or an empty list means any. Answered lower-case,
 * without duplicates, in the order given.
 */
export function parseEmailSignInDomains(value: unknown): Field<readonly string[]> {
  if (value === null) return ok([]);
  if (!Array.isArray(value) || value.length > MAX_EMAIL_SIGN_IN_DOMAINS) return no(`must be a list of at most ${MAX_EMAIL_SIGN_IN_DOMAINS} domains, or null`);
  const domains: string[] = [];
  for (const entry of value) {
    const domain = typeof entry === 'string' ? entry.trim().toLowerCase() : '';
    if (!DOMAIN.test(domain)) return no('must be domains like example.com (letters, digits, hyphens; xn-- for international names)');
    if (!domains.includes(domain)) domains.push(domain);
  }
  return ok(domains);
}

/** The code a visitor types: exactly six ASCII digits (spaces around it are the copy-paste's, and dropped). */
export function parseEmailCode(value: unknown): Field<string> {
  const code = typeof value === 'string' && value.length <= 32 ? value.trim() : '';
  return /^\d{6}$/.test(code) ? ok(code) : no(`must be ${EMAIL_CODE_DIGITS} digits`);
}

/** The domain of an address `parseEmail` accepted, lower-case (the part after its one `@`). */
export function emailDomainOf(email: string): string {
  return email.slice(email.indexOf('@') + 1).toLowerCase();
}
