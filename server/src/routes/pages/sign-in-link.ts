/**
 * The hosted-page sign-in (docs/external-auth.md, The hosted page): a page request on any path with `?externalAuthCode=…` signs
 * in, sets a fresh session cookie and answers 303 to the same URL without the code. Runs as an onRequest
 * hook so every page path honours it. Two cases do not end there (docs/external-auth.md):
 * - a failure also answers 303 to the URL without the code, and the page there shows the error
 *   (sign-in-failure.ts), so a code that may be valid for days never stays in the address bar;
 * - a browser already signed in as another account is asked first (account-switch.ts), so a page on
 *   another site cannot swap the visitor into the attacker's account by sending them to a link.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { setSessionCookie } from '../auth/session-cookie.js';
import { signInAtDoor, type DoorOutcome } from '../auth/sign-in-door.js';
import { isDatabaseUnavailable } from '../../store/unavailable.js';
import { askToSwitchAccount, liveCookieAccount } from './account-switch.js';
import { landingUrl, originForm, SIGN_IN_PARAM } from './landing-url.js';
import { answerSignInFailure, clearSignInFailure, rememberSignInFailure, SIGN_IN_FAILURE_COOKIE } from './sign-in-failure.js';

export { landingUrl, SIGN_IN_PARAM };

export async function hostedPageSignIn(this: FastifyInstance, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return;
  const target = originForm(request.url);
  if (target.startsWith('/api/') || target.startsWith('/assets/')) return;
  const query = request.query as Record<string, unknown> | undefined;
  const hasCode = query !== undefined && Object.prototype.hasOwnProperty.call(query, SIGN_IN_PARAM);
  const failure = request.cookies[SIGN_IN_FAILURE_COOKIE];
  // A failure is shown once, by the first page that sees it; a fresh code replaces it.
  if (failure !== undefined) clearSignInFailure(reply, this.publicUrl.value);
  if (!hasCode) {
    if (failure !== undefined && answerSignInFailure(reply, failure)) return reply;
    return;
  }

  reply.header('referrer-policy', 'no-referrer').header('cache-control', 'no-store');
  const landing = landingUrl(request.url);
  const code = query[SIGN_IN_PARAM];
  let current: Awaited<ReturnType<typeof liveCookieAccount>> = undefined;
  const result = await signInAtDoor(this, request, 'link', async () => {
    const signedIn = await this.services.signIn(Array.isArray(code) ? {} : code);
    if (!signedIn.ok) return signedIn;
    // Another account's session is open in this browser: the door asks first (and the audit says so).
    current = await liveCookieAccount(this, request);
    return current && current.id !== signedIn.user.id ? { ...signedIn, asked: true } : signedIn;
  }).catch((error: unknown) => {
    // The database is briefly unreachable: the code still leaves the address bar; the page says so (503).
    if (!isDatabaseUnavailable(error)) throw error;
    request.log.warn({ err: error }, 'hosted-page sign-in: database unavailable');
    return { ok: false, code: 'database_unavailable' } as DoorOutcome;
  });
  if (!result.ok) {
    rememberSignInFailure(reply, this.publicUrl.value, result.code, result.retryAfterSeconds);
    await reply.code(303).header('location', landing).send();
    return reply;
  }
  if (result.asked && current) {
    // The session signIn opened is never handed out; the question carries a short-lived pending one.
    request.log.info({ outcome: 'asked', userId: result.user.id }, 'hosted-page sign-in: asks before switching account');
    await askToSwitchAccount(this, reply, { current, next: result.user, landing });
    return reply;
  }
  setSessionCookie(reply, result.session.token, result.session.expiresAt, this.publicUrl.value);
  await reply.code(303).header('location', landing).send();
  return reply;
}
