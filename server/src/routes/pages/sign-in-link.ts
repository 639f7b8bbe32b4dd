/**
 * The hosted-page sign-in (PRODUCT.md §4.4): a page request on any path with `?externalAuthCode=…` signs
 * in, sets a fresh session cookie and answers 303 to the same URL without the code; a failure answers the
 * error page for its code with the code's status. Runs as an onRequest hook so every page path honours it.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_STATUS } from '../../../../shared/src/errors.js';
import { setSessionCookie } from '../auth/session-cookie.js';
import { errorPageHtml } from './error-page.js';

export const SIGN_IN_PARAM = 'externalAuthCode';

/** The URL to land on: same path and other parameters, without the code, never protocol-relative. */
export function landingUrl(requestUrl: string): string {
  const q = requestUrl.indexOf('?');
  const path = (q === -1 ? requestUrl : requestUrl.slice(0, q)).replace(/^[/\\]+/, '/');
  // The common case, the code as the only parameter, needs no parsing.
  if (requestUrl.startsWith(`${SIGN_IN_PARAM}=`, q + 1) && !requestUrl.includes('&', q)) return path;
  const params = new URLSearchParams(q === -1 ? '' : requestUrl.slice(q + 1));
  params.delete(SIGN_IN_PARAM);
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

export async function hostedPageSignIn(this: import('fastify').FastifyInstance, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'HEAD') return;
  if (request.url.startsWith('/api/') || request.url.startsWith('/assets/')) return;
  const query = request.query as Record<string, unknown> | undefined;
  if (!query || !Object.prototype.hasOwnProperty.call(query, SIGN_IN_PARAM)) return;

  reply.header('referrer-policy', 'no-referrer').header('cache-control', 'no-store');
  const limit = await this.signInLimiter(request);
  if (limit.limited) {
    request.log.info({ outcome: 'rate_limited' }, 'hosted-page sign-in refused');
    await reply.code(429).header('retry-after', String(limit.retryAfterSeconds)).type('text/html; charset=utf-8').send(errorPageHtml('rate_limited'));
    return reply;
  }
  const code = query[SIGN_IN_PARAM];
  const result = await this.services.signIn(Array.isArray(code) ? {} : code);
  await this.services.auditTrail.signIn(request, 'link', result);
  if (!result.ok) {
    request.log.info({ outcome: result.code, reason: result.reason }, 'hosted-page sign-in refused');
    await reply.code(ERROR_STATUS[result.code]).type('text/html; charset=utf-8').send(errorPageHtml(result.code));
    return reply;
  }
  request.log.info({ outcome: 'ok', userId: result.user.id, created: result.created }, 'hosted-page signed in');
  setSessionCookie(reply, result.session.token, result.session.expiresAt, this.publicUrl.value);
  await reply.code(303).header('location', landingUrl(request.url)).send();
  return reply;
}
