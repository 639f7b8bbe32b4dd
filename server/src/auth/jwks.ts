/**
 * Keys from an integrator's JWK Set URL. The URL comes from an administrator, never from a token. It is
 * fetched over https only, never from a private, loopback or link-local address (unless
 * PARLEY_JWKS_ALLOW_PRIVATE), with a timeout and a size cap, through outbound/http.ts; the set is cached, and a token with an unknown
 * kid refetches at most once per cooldown, so a flood of made-up kids costs one request per cooldown.
 */
import { importJWK } from 'jose';
import { OutboundError, outboundRequest } from '../outbound/http.js';
import { algOfJwk } from './public-keys.js';
import type { VerificationKey } from './verify-external-token.js';

/** The one address rule of every outbound request (outbound/http.ts). */
export { isPrivateAddress } from '../outbound/http.js';

/** Fetches and parses a JWK Set; rejects with a short reason. */
export type JwksFetch = (url: string) => Promise<unknown>;

const MAX_JWKS_BYTES = 256 * 1024;

/** Checks a JWKS URL as registered: absolute https, no credentials. */
export function checkJwksUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error('the JWKS URL is not a URL');
  }
  if (url.protocol !== 'https:') throw new Error('the JWKS URL must use https');
  if (url.username || url.password) throw new Error('the JWKS URL must not carry credentials');
  return url.href;
}

/** The default fetcher: https only, through the guarded outbound module (outbound/http.ts). */
export function createSafeJwksFetch(options: { allowPrivate: boolean; timeoutMs?: number }): JwksFetch {
  const timeoutMs = options.timeoutMs ?? 3000;
  return async (raw) => {
    const url = checkJwksUrl(raw);
    let res;
    try {
      res = await outboundRequest(
        { url, method: 'GET', headers: { accept: 'application/jwk-set+json, application/json' } },
        { schemes: ['https:'], allowPrivate: options.allowPrivate, timeoutMs, maxBodyBytes: MAX_JWKS_BYTES, overflow: 'fail' },
      );
    } catch (error) {
      throw error instanceof OutboundError ? new Error(`the JWKS URL failed: ${error.message}`) : error;
    }
    if (res.statusCode !== 200) throw new Error(`the JWKS URL answered ${res.statusCode}`);
    try {
      return JSON.parse(res.body.toString('utf8'));
    } catch {
      throw new Error('the JWKS is not JSON');
    }
  };
}

export interface JwksSourceOptions {
  url: string;
  /** The key id prefix of this source's keys in logs and `last used`: its own row's kid. */
  sourceKid: string;
  fetch: JwksFetch;
  now: () => number;
  cacheTtlMs?: number;
  cooldownMs?: number;
}

/** A cached JWK Set: `keys()` never fetches; `refresh()` fetches at most once per cooldown. */
export function createJwksSource(options: JwksSourceOptions) {
  const ttl = options.cacheTtlMs ?? 10 * 60_000;
  const cooldown = options.cooldownMs ?? 30_000;
  let keys: VerificationKey[] = [];
  let fetchedAt = -Infinity;
  let attemptedAt = -Infinity;
  let inflight: Promise<void> | null = null;

  async function load(): Promise<void> {
    attemptedAt = options.now();
    const body = await options.fetch(options.url);
    const list = (body as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(list)) throw new Error('the JWKS has no keys array');
    const next: VerificationKey[] = [];
    for (const jwk of list.slice(0, 100)) {
      if (typeof jwk !== 'object' || jwk === null) continue;
      const record = jwk as Record<string, unknown>;
      const alg = algOfJwk(record);
      const kid = record['kid'];
      if (!alg || typeof kid !== 'string' || kid === '' || kid.length > 256) continue;
      next.push({ kid, alg, key: (await importJWK(record as never, alg)) as CryptoKey });
    }
    keys = next;
    fetchedAt = options.now();
  }

  return {
    url: options.url,
    keys: () => keys,
    /** Fetches if the cache is stale, or (for an unknown kid) if the cooldown has passed. */
    refresh(reason: 'stale' | 'unknown-kid'): Promise<void> {
      const now = options.now();
      const due = reason === 'stale' ? now - fetchedAt >= ttl : true;
      if (!due || now - attemptedAt < cooldown) return inflight ?? Promise.resolve();
      inflight ??= load()
        .catch(() => undefined) // a failing JWKS keeps its last good keys
        .finally(() => {
          inflight = null;
        });
      return inflight;
    },
  };
}

export type JwksSource = ReturnType<typeof createJwksSource>;
