/** Random identifiers and secrets, all from the CSPRNG. */
import { createHash, randomBytes } from 'node:crypto';

/** A public id such as `usr_4f3kq…`: a prefix naming the kind, then 96 random bits. */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('base64url')}`;
}

/** A bearer secret of 256 random bits, base64url. */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/** SHA-256 of a secret, base64url: what the database keeps instead of the secret. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let taken = 0;

/**
 * `size` random bytes cut from a pooled CSPRNG buffer: one system call per 4 KB instead of one per id, for
 * ids made on hot paths (a session per sign-in). A used slice is never handed out again.
 */
export function pooledRandomBytes(size: number): Buffer {
  if (size > POOL_BYTES) return randomBytes(size);
  if (taken + size > pool.length) {
    pool = randomBytes(POOL_BYTES);
    taken = 0;
  }
  const bytes = pool.subarray(taken, taken + size);
  taken += size;
  return bytes;
}
