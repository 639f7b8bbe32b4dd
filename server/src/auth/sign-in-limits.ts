/**
 * Rate limits on sign-in (hosted page, exchange and the admin panel's one-time links), per client address
 * and per signing key, with
 * @fastify/rate-limit's counters. The key is read from the token's header without verifying it: it only
 * picks a counter, and the per-address limit still holds whatever kid an attacker writes.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RateLimit } from '../config.js';
import { parseCompactJws } from './jws.js';

export type LimitVerdict = { limited: false } | { limited: true; retryAfterSeconds: number };

/** The token a sign-in request carries, from the query (hosted page) or the body (exchange). */
function carriedToken(request: FastifyRequest): unknown {
  const fromQuery = (request.query as Record<string, unknown> | undefined)?.['externalAuthCode'];
  return fromQuery ?? (request.body as Record<string, unknown> | undefined)?.['externalAuthCode'];
}

function kidOf(request: FastifyRequest): string {
  const token = carriedToken(request);
  if (typeof token !== 'string') return '-';
  const parts = parseCompactJws(token);
  if (typeof parts === 'string') return '-';
  const kid = parts.header['kid'];
  return typeof kid === 'string' ? kid.slice(0, 128) : '-';
}

export function createSignInLimiter(app: FastifyInstance, limits: { perAddress: RateLimit; perKey: RateLimit }) {
  const checks = [
    limits.perAddress.max > 0
      ? app.createRateLimit({ max: limits.perAddress.max, timeWindow: limits.perAddress.windowSeconds * 1000, keyGenerator: (r) => `signin:addr:${r.ip}` })
      : null,
    limits.perKey.max > 0
      ? app.createRateLimit({ max: limits.perKey.max, timeWindow: limits.perKey.windowSeconds * 1000, keyGenerator: (r) => `signin:kid:${kidOf(r)}` })
      : null,
  ].filter((c) => c !== null);

  return async function check(request: FastifyRequest): Promise<LimitVerdict> {
    for (const limit of checks) {
      const verdict = await limit(request);
      if (!verdict.isAllowed && verdict.isExceeded) return { limited: true, retryAfterSeconds: Math.max(1, verdict.ttlInSeconds) };
    }
    return { limited: false };
  };
}

export type SignInLimiter = ReturnType<typeof createSignInLimiter>;
