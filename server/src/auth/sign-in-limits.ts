/**
 * Rate limits on sign-in (hosted page, exchange and the admin panel's one-time links), per client address
 * and per signing key, with
 * @fastify/rate-limit's counters. The key is read from the token's header without verifying it: it only
 * picks a counter, and the per-address limit still holds whatever kid an attacker writes.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RateLimit } from '../config.js';
import { peekJwsHeader } from './jws.js';

export type LimitVerdict = { limited: false } | { limited: true; retryAfterSeconds: number };

/** The token a sign-in request carries, from the query (hosted page) or the body (exchange). */
function carriedToken(request: FastifyRequest): unknown {
  const fromQuery = (request.query as Record<string, unknown> | undefined)?.['externalAuthCode'];
  return fromQuery ?? (request.body as Record<string, unknown> | undefined)?.['externalAuthCode'];
}

/** The kid a sign-in token names, or null (no token, no kid): only those count against a key's limit. */
function kidOf(request: FastifyRequest): string | null {
  const kid = peekJwsHeader(carriedToken(request))?.['kid'];
  return typeof kid === 'string' ? kid.slice(0, 128) : null;
}

export function createSignInLimiter(app: FastifyInstance, limits: { perAddress: RateLimit; perKey: RateLimit }) {
  const checks = [
    limits.perAddress.max > 0
      ? app.createRateLimit({ max: limits.perAddress.max, timeWindow: limits.perAddress.windowSeconds * 1000, keyGenerator: (r) => `signin:addr:${r.ip}` })
      : null,
    limits.perKey.max > 0
      ? app.createRateLimit({ max: limits.perKey.max, timeWindow: limits.perKey.windowSeconds * 1000, keyGenerator: (r) => `signin:kid:${kidOf(r)}` })
      : null,
  ] as const;
  const [perAddress, perKey] = checks;

  /**
   * Counts a sign-in attempt against its address, and against the key its token names if it names one.
   * Requests with no kid (token API calls, admin links, kid-less tokens) share no key bucket, so nobody can
   * exhaust one for everybody.
   */
  return async function check(request: FastifyRequest): Promise<LimitVerdict> {
    for (const limit of [perAddress, perKey && kidOf(request) !== null ? perKey : null]) {
      if (!limit) continue;
      const verdict = await limit(request);
      if (!verdict.isAllowed && verdict.isExceeded) return { limited: true, retryAfterSeconds: Math.max(1, verdict.ttlInSeconds) };
    }
    return { limited: false };
  };
}

export type SignInLimiter = ReturnType<typeof createSignInLimiter>;
