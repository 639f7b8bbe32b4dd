/**
 * The keys that may sign an external token right now: the environment's secret (kid `env`), every
 * unretired stored key, and the keys of every registered JWK Set. Keys are imported once per kid; the list
 * of rows is asked of the repository on every call (exactly cached on SQLite: store/read-cache.ts), so a
 * key retired by the CLI or another instance verifies nothing from that moment on.
 */
import { webcrypto } from 'node:crypto';
import { importJWK } from 'jose';
import type { KeyRepository, KeyRow } from '../store/keys.js';
import { createJwksSource, type JwksFetch, type JwksSource } from './jwks.js';
import type { KidResolver, TokenAlg, VerificationKey } from './verify-external-token.js';

export const ENV_KID = 'env';

function importHmac(secret: Uint8Array): Promise<CryptoKey> {
  return webcrypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']) as Promise<CryptoKey>;
}

export interface ActiveKeys {
  keys: VerificationKey[];
  /** Present when a JWK Set is registered: resolves a kid the cache does not have yet. */
  resolveKid: KidResolver | undefined;
}

export function createKeyRing(options: { envSecret: Uint8Array | null; keys: KeyRepository; jwksFetch: JwksFetch; now: () => number }) {
  const imported = new Map<string, { material: string; key: Promise<VerificationKey> }>();
  const sources = new Map<string, JwksSource>();
  const envKey: Promise<VerificationKey> | null = options.envSecret
    ? importHmac(options.envSecret).then((key) => ({ kid: ENV_KID, alg: 'HS256' as const, key }))
    : null;

  function importRow(row: KeyRow): Promise<VerificationKey> {
    const material = row.secret ?? row.public_jwk ?? '';
    const cached = imported.get(row.kid);
    if (cached && cached.material === material) return cached.key;
    const alg = row.alg as TokenAlg;
    const key =
      row.alg === 'HS256'
        ? // The HMAC key is the secret exactly as shown to the integrator (its UTF-8 bytes), as every JWT library takes it.
          importHmac(new TextEncoder().encode(material)).then((k) => ({ kid: row.kid, alg, key: k }))
        : importJWK(JSON.parse(material) as never, alg).then((k) => ({ kid: row.kid, alg, key: k as CryptoKey }));
    imported.set(row.kid, { material, key });
    return key;
  }

  function sourceFor(row: KeyRow): JwksSource {
    const url = row.jwks_url ?? '';
    let source = sources.get(row.kid);
    if (!source || source.url !== url) {
      source = createJwksSource({ url, sourceKid: row.kid, fetch: options.jwksFetch, now: options.now });
      sources.set(row.kid, source);
    }
    return source;
  }

  // Without JWK Sets, the answer depends only on the rows: while the repository answers the same (cached)
  // list, the same keys are answered.
  let last: { rows: readonly KeyRow[]; active: ActiveKeys } | null = null;

  return {
    async active(): Promise<ActiveKeys> {
      const rows = await options.keys.listActive();
      if (last?.rows === rows) return last.active;
      const keys: VerificationKey[] = envKey ? [await envKey] : [];
      const jwks: JwksSource[] = [];
      for (const row of rows) {
        if (row.kid === ENV_KID) continue;
        if (row.alg === 'JWKS') jwks.push(sourceFor(row));
        else keys.push(await importRow(row));
      }
      // A stale (or never fetched) set is refreshed before use; a failing fetch keeps the last good keys.
      await Promise.all(jwks.map((s) => s.refresh('stale')));
      for (const source of jwks) keys.push(...source.keys());
      const resolveKid: KidResolver | undefined =
        jwks.length === 0
          ? undefined
          : async (kid, alg) => {
              await Promise.all(jwks.map((s) => s.refresh('unknown-kid')));
              for (const source of jwks) {
                const found = source.keys().find((k) => k.kid === kid && k.alg === alg);
                if (found) return found;
              }
              return undefined;
            };
      const active = { keys, resolveKid };
      last = jwks.length === 0 ? { rows, active } : null;
      return active;
    },
  };
}

export type KeyRing = ReturnType<typeof createKeyRing>;
