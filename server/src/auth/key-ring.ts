/**
 * The set of keys that may sign an external token right now: the environment's secret (kid `env`) and every
 * unretired key in the database. Secrets are imported as CryptoKeys once per kid; the list itself is read on
 * every call so that a key retired by the CLI or another instance verifies nothing from that moment on.
 */
import { webcrypto } from 'node:crypto';
import type { KeyRepository } from '../store/keys.js';
import type { VerificationKey } from './verify-external-token.js';

export const ENV_KID = 'env';

function importHmac(secret: Uint8Array): Promise<CryptoKey> {
  return webcrypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']) as Promise<CryptoKey>;
}

export function createKeyRing(envSecret: Uint8Array | null, keys: KeyRepository) {
  const imported = new Map<string, { secret: string; key: Promise<CryptoKey> }>();
  const envKey = envSecret ? importHmac(envSecret) : null;

  async function importStored(kid: string, secret: string): Promise<CryptoKey> {
    const cached = imported.get(kid);
    if (cached && cached.secret === secret) return cached.key;
    const key = importHmac(new Uint8Array(Buffer.from(secret, 'base64url')));
    imported.set(kid, { secret, key });
    return key;
  }

  return {
    /** The active keys, the environment's first. */
    async active(): Promise<VerificationKey[]> {
      const rows = await keys.listActive();
      const result: VerificationKey[] = envKey ? [{ kid: ENV_KID, key: await envKey }] : [];
      for (const row of rows) if (row.kid !== ENV_KID) result.push({ kid: row.kid, key: await importStored(row.kid, row.secret) });
      return result;
    },
  };
}

export type KeyRing = ReturnType<typeof createKeyRing>;
