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
import { signInAtDoor } from '../auth/sign-in-door.js';
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
  const result = await signInAtDoor(this, request, 'link', () => this.services.signIn(Array.isArray(code) ? {} : code));
  if (!result.ok) {
    rememberSignInFailure(reply, this.publicUrl.value, result.code, result.retryAfterSeconds);
    await reply.code(303).header('location', landing).send();
    return reply;
  }
  const current = await liveCookieAccount(this, request);
  if (current && current.id !== result.user.id) {
    // The session signIn opened is never handed out; the question carries a short-lived pending one.
    request.log.info({ outcome: 'asked', userId: result.user.id }, 'hosted-page sign-in: asks before switching account');
    await askToSwitchAccount(this, reply, { current, next: result.user, landing });
    return reply;
  }
  setSessionCookie(reply, result.session.token, result.session.expiresAt, this.publicUrl.value);
  await reply.code(303).header('location', landing).send();
  return reply;
}
