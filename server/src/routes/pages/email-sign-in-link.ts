/**
 * The link of a sign-in email, `/?emailSignIn=<token>` (docs/admin-api.md, Email sign-in): lands like a
 * hosted-page sign-in (sign-in-link.ts), as an onRequest hook on any page path. Success sets a fresh session
 * cookie and answers 303 to where the request asked to land (`returnTo`, else `/`); a used, superseded or
 * expired link answers 303 too, and the page there shows the error, so the token never stays in the
 * address bar. A browser signed in as another account is asked first, as for an external token: someone
 * could send a visitor the link they requested for their own address.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { setSessionCookie } from '../auth/session-cookie.js';
import { signInAtDoor } from '../auth/sign-in-door.js';
import { EMAIL_SIGN_IN_PARAM } from '../../auth/email-sign-in.js';
import { askToSwitchAccount, liveCookieAccount } from './account-switch.js';
import { originForm } from './landing-url.js';
import { rememberSignInFailure } from './sign-in-failure.js';

const TOKEN = /^[A-Za-z0-9_-]{1,128}$/;

export async function emailLinkSignIn(this: FastifyInstance, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return;
  const target = originForm(request.url);
  if (target.startsWith('/api/') || target.startsWith('/assets/')) return;
  const query = request.query as Record<string, unknown> | undefined;
  if (query === undefined || !Object.prototype.hasOwnProperty.call(query, EMAIL_SIGN_IN_PARAM)) return;
  reply.header('referrer-policy', 'no-referrer').header('cache-control', 'no-store');
  const token = query[EMAIL_SIGN_IN_PARAM];
  let current: Awaited<ReturnType<typeof liveCookieAccount>> = undefined;
  let landing = '/';
  const result = await signInAtDoor(this, request, 'email_link', async () => {
    if (typeof token !== 'string' || !TOKEN.test(token)) return { ok: false, code: 'email_code_expired', reason: 'not a link token' };
    const signedIn = await this.services.emailSignIn.useLink(token);
    if (!signedIn.ok) return signedIn;
    landing = signedIn.returnTo ?? '/';
    current = await liveCookieAccount(this, request);
    return current && current.id !== signedIn.user.id ? { ...signedIn, asked: true } : signedIn;
  });
  if (!result.ok) {
    rememberSignInFailure(reply, this.publicUrl.value, result.code, result.retryAfterSeconds);
    await reply.code(303).header('location', '/').send();
    return reply;
  }
  if (result.asked && current) {
    await askToSwitchAccount(this, reply, { current, next: result.user, landing });
    return reply;
  }
  setSessionCookie(reply, result.session.token, result.session.expiresAt, this.publicUrl.value);
  await reply.code(303).header('location', landing).send();
  return reply;
}
