/**
 * Sign-in by email (docs/admin-api.md, Email sign-in): a visitor gives an address, Parley emails a one-time
 * link and a 6-digit code, both valid 15 minutes, and either one signs in once. The answer to a request never
 * says whether the address has an account: it is the same 202 whether an email was sent or not, and an address
 * that may not get in gets a request row too (whose code nobody received), so the per-address limit and
 * verify's answers are the same for every address. The account
 * is the one with that address (case-insensitively, as external tokens' `{ email }` finds it), or a new one
 * within the seat limit when the address may have one (`emailSignInDomains`). Codes and link tokens come from
 * the CSPRNG and are kept only as SHA-256 hashes (store/email-sign-ins.ts).
 */
import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import type { Store } from '../store/database.js';
import { inTransaction } from '../store/transaction.js';
import { createEmailSignInRepository } from '../store/email-sign-ins.js';
import { normalizeEmail, type UserRepository, type UserRow } from '../store/users.js';
import { DEFAULT_ORGANIZATION_ID } from '../store/migrations.js';
import type { Sessions } from './sessions.js';
import { SESSION_TTL_MS } from './sign-in.js';
import type { Settings } from '../admin/settings.js';
import { enqueueMail } from '../outbound/mail.js';
import { hashSecret, newId, newSecret } from '../ids.js';
import { emailDomainOf } from '#shared/sign-in-fields.js';
import type { ErrorCode } from '#shared/errors.js';

export const EMAIL_SIGN_IN_TTL_MS = 15 * 60_000;
/** Codes compared against a request's: each takes an attempt first; the fifth may still be right, then it is dead. */
export const EMAIL_CODE_MAX_ATTEMPTS = 5;
/** Requests per address: the limit that keeps anyone from flooding one inbox. */
export const EMAIL_REQUESTS_PER_ADDRESS = { max: 5, windowMs: 3600_000 } as const;
/** The hosted page's query parameter that carries the link's token. */
export const EMAIL_SIGN_IN_PARAM = 'emailSignIn';

export type EmailSignInSuccess = { ok: true; user: UserRow; created: boolean; session: { token: string; id: string; expiresAt: number } };
export type EmailSignInFailure = { ok: false; code: ErrorCode; reason?: string; retryAfterSeconds?: number };

export interface EmailSignInDeps {
  store: Store;
  users: UserRepository;
  sessions: Sessions;
  settings: Settings;
  publicUrl: () => string;
  now: () => number;
}

const codeHash = (id: string, code: string) => createHash('sha256').update(`${id}:${code}`).digest('base64url');
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The email: the code and the link, in text and in HTML (every interpolated value escaped). */
function signInMail(to: string, team: string, code: string, link: string) {
  const subject = `${code} is your sign-in code for ${team}`;
  const text = `Your sign-in code for ${team} is ${code}.\n\nOr open this link to sign in:\n${link}\n\nThe code and the link work once, for 15 minutes. If you did not ask to sign in, ignore this email.\n`;
  const html = `<p>Your sign-in code for ${escapeHtml(team)} is <strong style="font-size:1.4em;letter-spacing:.2em">${code}</strong>.</p>
<p><a href="${escapeHtml(link)}">Sign in to ${escapeHtml(team)}</a></p>
<p>The code and the link work once, for 15 minutes. If you did not ask to sign in, ignore this email.</p>`;
  return { to, subject, text, html };
}

export function createEmailSignIn(deps: EmailSignInDeps) {
  const { store, users, settings } = deps;
  const requests = createEmailSignInRepository(store);

  const enabled = async () => (await settings.offeredSignInMethods()).includes('email');

  /** May `email` sign in: an existing account's address, or one of the allowed domains (any when none are set). */
  async function mayGetIn(email: string): Promise<boolean> {
    const { emailSignInDomains } = await settings.get();
    if (emailSignInDomains.length === 0) return true;
    return emailSignInDomains.includes(emailDomainOf(email)) || (await users.findByEmail(email)) !== undefined;
  }

  /** The account of `email`, or a new one within the seat limit; refused as external tokens' sign-ins are. */
  async function accountOf(email: string, now: number): Promise<{ ok: true; user: UserRow; created: boolean } | EmailSignInFailure> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const existing = await users.findByEmail(email);
      if (existing) return existing.active ? { ok: true, user: existing, created: false } : { ok: false, code: 'user_deactivated', reason: 'account deactivated' };
      if (!(await mayGetIn(email))) return { ok: false, code: 'email_code_expired', reason: 'address not allowed' };
      const created = await users.createWithinSeatLimit(
        { externalId: null, email, name: null, avatarUrl: null, metadata: {}, role: 'member', organizationId: DEFAULT_ORGANIZATION_ID, createdVia: 'email' },
        (await settings.get()).seatLimit,
        now,
      );
      if (created.ok) return { ok: true, user: created.user, created: true };
      if (created.reason === 'seat_limit_reached') return { ok: false, code: 'seat_limit_reached', reason: 'every seat is taken' };
      // duplicate: a concurrent sign-in created the account first; read it again.
    }
    return { ok: false, code: 'email_conflict', reason: 'email belongs to another account' };
  }

  /** Signs the request's account in, using the request once (a full instance or a deactivated account does not use it). */
  async function finish(id: string, email: string, now: number, attemptsAtMost: number): Promise<EmailSignInSuccess | EmailSignInFailure> {
    const account = await accountOf(email, now);
    if (!account.ok) return account;
    if (!(await requests.consume(id, now, attemptsAtMost))) return { ok: false, code: 'email_code_expired', reason: 'already used' };
    const session = await deps.sessions.create(account.user, now, SESSION_TTL_MS);
    await users.touchLastSeen(account.user.id, now);
    return { ok: true, user: { ...account.user, last_seen_at: now }, created: account.created, session };
  }

  return {
    /**
     * Emails a link and a code to `email` (a value `parseEmail` accepted) when it may sign in; answers ok
     * either way, so the caller cannot tell. An address that may not get in gets the same row, hashes and
     * limit, with a code hash no 6-digit code matches and no email. `returnTo` is the path the link lands on
     * (already checked).
     */
    async start(email: string, returnTo: string | null): Promise<{ ok: true } | EmailSignInFailure> {
      if (!(await enabled())) return { ok: false, code: 'email_sign_in_disabled' };
      const now = deps.now();
      const normalized = normalizeEmail(email);
      const recent = await requests.countSince(normalized, now - EMAIL_REQUESTS_PER_ADDRESS.windowMs);
      if (recent.count >= EMAIL_REQUESTS_PER_ADDRESS.max) {
        const retryAfterSeconds = Math.max(1, Math.ceil(((recent.oldest ?? now) + EMAIL_REQUESTS_PER_ADDRESS.windowMs - now) / 1000));
        return { ok: false, code: 'rate_limited', retryAfterSeconds };
      }
      const allowed = await mayGetIn(email);
      const id = newId('esi');
      const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
      const token = newSecret();
      const team = (await settings.get()).widget.teamName ?? 'the chat';
      const link = `${deps.publicUrl()}/?${EMAIL_SIGN_IN_PARAM}=${token}`;
      await inTransaction(store, async (tx) => {
        await createEmailSignInRepository(tx).create({
          id,
          email,
          email_normalized: normalized,
          code_hash: codeHash(id, allowed ? code : newSecret()),
          link_hash: hashSecret(token),
          return_to: returnTo,
          created_at: now,
          expires_at: now + EMAIL_SIGN_IN_TTL_MS,
        });
        if (allowed) await enqueueMail(tx, { ...signInMail(email, team, code, link), target: id }, now);
      });
      return { ok: true };
    },

    /** Signs in with the code typed for `email`: `email_code_invalid` for a wrong one, `email_code_expired` when none is live. */
    async verifyCode(email: string, code: string): Promise<EmailSignInSuccess | EmailSignInFailure> {
      if (!(await enabled())) return { ok: false, code: 'email_sign_in_disabled' };
      const now = deps.now();
      const live = await requests.live(normalizeEmail(email), now, EMAIL_CODE_MAX_ATTEMPTS);
      // The attempt is taken before the comparison: concurrent guesses cannot compare more than the limit.
      const request = live && (await requests.takeAttempt(live.id, now, EMAIL_CODE_MAX_ATTEMPTS));
      if (!request) return { ok: false, code: 'email_code_expired', reason: 'no live code' };
      const expected = Buffer.from(request.code_hash);
      const given = Buffer.from(codeHash(request.id, code));
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, code: 'email_code_invalid', reason: 'wrong code' };
      // A new account gets the address that received the email, as it was typed then. The right code on the
      // last attempt still uses the request; a later one never got an attempt.
      return finish(request.id, request.email ?? email, now, EMAIL_CODE_MAX_ATTEMPTS);
    },

    /** Signs in with a link's token; answers where the link lands too. */
    async useLink(token: string): Promise<(EmailSignInSuccess & { returnTo: string | null }) | EmailSignInFailure> {
      if (!(await enabled())) return { ok: false, code: 'email_sign_in_disabled' };
      const now = deps.now();
      const request = await requests.byLinkHash(hashSecret(token));
      if (!request || request.used_at !== null || request.expires_at <= now || request.attempts >= EMAIL_CODE_MAX_ATTEMPTS) return { ok: false, code: 'email_code_expired', reason: 'no live link' };
      // The address is the one the request was made for, as it was typed then.
      // Once the code's attempts are all taken, the link is dead too, even if a code is being compared.
      const result = await finish(request.id, request.email ?? request.email_normalized, now, EMAIL_CODE_MAX_ATTEMPTS - 1);
      return result.ok ? { ...result, returnTo: request.return_to } : result;
    },
  };
}

export type EmailSignIn = ReturnType<typeof createEmailSignIn>;
