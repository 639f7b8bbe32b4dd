/**
 * Keys from an integrator's JWK Set URL. The URL comes from an administrator, never from a token. It is
 * fetched over https only, never from a private, loopback or link-local address (unless
 * PARLEY_JWKS_ALLOW_PRIVATE), with a timeout and a size cap; the set is cached, and a token with an unknown
 * kid refetches at most once per cooldown, so a flood of made-up kids costs one request per cooldown.
 */
import { lookup } from 'node:dns/promises';
import { request } from 'node:https';
import { isIP } from 'node:net';
import { importJWK } from 'jose';
import { algOfJwk } from './public-keys.js';
import type { VerificationKey } from './verify-external-token.js';

/** Fetches and parses a JWK Set; rejects with a short reason. */
export type JwksFetch = (url: string) => Promise<unknown>;

const MAX_JWKS_BYTES = 256 * 1024;

function ipv4Private(ip: string): boolean {
  const [a = 0, b = 0] = ip.split('.').map(Number);
  return (
    a === 0 || a === 10 || a === 127 || a >= 224 || (a === 100 && b >= 64 && b < 128) || (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168) || (a === 198 && (b === 18 || b === 19))
  );
}

/** Loopback, private, link-local, unique-local, multicast and unspecified addresses, v4 and v6. */
export function isPrivateAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 4) return ipv4Private(ip);
  if (family !== 6) return true;
  const lower = ip.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (mapped) return ipv4Private(mapped[1] as string);
  return lower === '::' || lower === '::1' || /^f[cd]/.test(lower) || /^fe[89ab]/.test(lower) || /^ff/.test(lower);
}

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

/** The default fetcher: https only, resolved and checked addresses, pinned for the connection. */
export function createSafeJwksFetch(options: { allowPrivate: boolean; timeoutMs?: number }): JwksFetch {
  const timeoutMs = options.timeoutMs ?? 3000;
  return async (raw) => {
    const url = new URL(checkJwksUrl(raw));
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookup(host, { all: true, verbatim: true });
    if (addresses.length === 0) throw new Error('the JWKS host does not resolve');
    if (!options.allowPrivate && addresses.some((a) => isPrivateAddress(a.address))) throw new Error('the JWKS host is a private address');
    const pinned = addresses[0]!;
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method: 'GET',
          headers: { accept: 'application/jwk-set+json, application/json' },
          timeout: timeoutMs,
          // Connect to the address we checked, not to whatever a second lookup answers (DNS rebinding).
          lookup: (_hostname, _opts, callback) => (callback as (e: null, a: string, f: number) => void)(null, pinned.address, pinned.family),
        },
        (res) => {
          if (res.statusCode !== 200) {
            res.resume();
            reject(new Error(`the JWKS URL answered ${res.statusCode}`));
            return;
          }
          let size = 0;
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > MAX_JWKS_BYTES) req.destroy(new Error('the JWKS is too large'));
            else chunks.push(chunk);
          });
          res.on('end', () => {
            try {
              resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
            } catch {
              reject(new Error('the JWKS is not JSON'));
            }
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('the JWKS URL timed out')));
      req.on('error', reject);
      req.end();
    });
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
