/**
 * How a failed hosted-page sign-in reaches the page it lands on (docs/external-auth.md): the failure's
 * code, and for `rate_limited` its Retry-After, travel in a short-lived cookie, `parley_sign_in_error`,
 * HttpOnly, SameSite=Lax, 60 seconds, Secure under https. It holds no secret, only a code from a fixed list,
 * so it needs no signature: a forged value can at most show one of Parley's own static error pages. The
 * first page request that carries it shows that page with the code's status and clears it.
 */
import type { FastifyReply } from 'fastify';
import { ERROR_STATUS, type ErrorCode } from '#shared/errors.js';
import { errorPageHtml } from './error-page.js';
import { DATABASE_RETRY_AFTER_SECONDS } from '../../store/unavailable.js';

export const SIGN_IN_FAILURE_COOKIE = 'parley_sign_in_error';
const MAX_AGE_SECONDS = 60;
const MAX_RETRY_AFTER_SECONDS = 999_999;

/** The codes a hosted-page sign-in can fail with: the only values the cookie may hold. */
const SIGN_IN_FAILURES: ReadonlySet<string> = new Set<ErrorCode>([
  'token_missing',
  'token_invalid',
  'token_expired',
  'external_auth_disabled',
  'user_not_found',
  'email_conflict',
  'seat_limit_reached',
  'user_deactivated',
  'rate_limited',
  'database_unavailable',
  'email_code_expired',
  'email_sign_in_disabled',
]);

const cookieOptions = (publicUrl: string) => ({ httpOnly: true, sameSite: 'lax' as const, secure: publicUrl.startsWith('https:'), path: '/' });

/** Sets the failure cookie: the code, and for rate_limited `.<seconds to wait>`. */
export function rememberSignInFailure(reply: FastifyReply, publicUrl: string, code: ErrorCode, retryAfterSeconds?: number): void {
  const value = code === 'rate_limited' ? `${code}.${Math.min(Math.max(1, Math.ceil(retryAfterSeconds ?? 1)), MAX_RETRY_AFTER_SECONDS)}` : code;
  reply.setCookie(SIGN_IN_FAILURE_COOKIE, value, { ...cookieOptions(publicUrl), maxAge: MAX_AGE_SECONDS });
}

export function clearSignInFailure(reply: FastifyReply, publicUrl: string): void {
  reply.setCookie(SIGN_IN_FAILURE_COOKIE, '', { ...cookieOptions(publicUrl), maxAge: 0 });
}

/** The failure a cookie value names, or undefined for anything but one of the fixed spellings. */
export function readSignInFailure(raw: string): { code: ErrorCode; retryAfterSeconds?: number } | undefined {
  const match = /^([a-z_]{1,32})(?:\.([1-9]\d{0,5}))?$/.exec(raw);
  if (!match || !SIGN_IN_FAILURES.has(match[1]!)) return undefined;
  const code = match[1] as ErrorCode;
  if ((code === 'rate_limited') !== (match[2] !== undefined)) return undefined;
  return match[2] === undefined ? { code } : { code, retryAfterSeconds: Number(match[2]) };
}

/** Sends the error page a failure cookie names; answers false (and sends nothing) for any other value. */
export function answerSignInFailure(reply: FastifyReply, raw: string): boolean {
  const failure = readSignInFailure(raw);
  if (!failure) return false;
  reply.header('referrer-policy', 'no-referrer').header('cache-control', 'no-store');
  if (failure.retryAfterSeconds !== undefined) reply.header('retry-after', String(failure.retryAfterSeconds));
  if (failure.code === 'database_unavailable') reply.header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS));
  void reply.code(ERROR_STATUS[failure.code]).type('text/html; charset=utf-8').send(errorPageHtml(failure.code));
  return true;
}
