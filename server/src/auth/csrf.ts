/**
 * The one CSRF rule, for every request that a cookie authenticates and that changes something (API calls
 * with the hosted page's cookie, logout, the hosted page's own form posts): it must come from Parley's own
 * origin. Browsers send `Origin` on every cross-site and same-site unsafe request, and `Sec-Fetch-Site`
 * (Fetch Metadata) where they support it; both must say "this origin". Bearer sessions need no such check:
 * a browser never attaches them by itself.
 */
import type { FastifyRequest } from 'fastify';

export function isSameOriginRequest(request: FastifyRequest, ownOrigin: string): boolean {
  const site = request.headers['sec-fetch-site'];
  return request.headers.origin === ownOrigin && (site === undefined || site === 'same-origin');
}
