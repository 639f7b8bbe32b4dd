/**
 * Remembers external tokens whose signature and claims verified, so the same code presented again (the
 * widget exchanges it at every page load) skips the cryptography. It never weakens a check: an entry is
 * used only while its key is still active as the very same key object (retirement or rotation ends it at
 * once), only before the token's `exp` (with the usual tolerance), and only under the same lifetime policy.
 * Account checks (deactivation, seats, one-time jti) run on every sign-in regardless, after this.
 * Entries are keyed by the token itself (hashing it cost more than the lookup), within a character budget.
 */
import type { VerificationKey, VerifyResult } from './verify-external-token.js';

type Verified = Extract<VerifyResult, { ok: true }>;

interface Entry {
  result: Verified;
  /** Whether Parley minted it: the sign-in then checks it against Parley's own keys. */
  minted: boolean;
  key: VerificationKey['key'];
  maxLifetimeSeconds: number;
}

const MAX_ENTRIES = 10_000;
/** Tokens are at most 8 KB; 10,000 of a typical 300 characters take 3 M, and this bounds the unusual. */
const MAX_CHARACTERS = 8_000_000;

export function createVerifiedTokenCache(maxEntries = MAX_ENTRIES) {
  const entries = new Map<string, Entry>();
  let characters = 0;
  const remove = (token: string) => {
    if (entries.delete(token)) characters -= token.length;
  };

  return {
    /** Whether a token in the cache was one Parley minted (undefined when it is not in the cache). */
    minted(token: unknown): boolean | undefined {
      return typeof token === 'string' ? entries.get(token)?.minted : undefined;
    },

    /** The cached result, if it still holds for these keys, this policy and this time (Unix seconds). */
    get(token: unknown, keys: readonly VerificationKey[], maxLifetimeSeconds: number, toleranceSeconds: number, now: number): Verified | undefined {
      if (typeof token !== 'string' || token.length > 8192) return undefined;
      const entry = entries.get(token);
      if (!entry) return undefined;
      const stillActive = keys.some((k) => k.kid === entry.result.kid && k.key === entry.key);
      if (!stillActive || entry.maxLifetimeSeconds !== maxLifetimeSeconds || entry.result.expiresAt <= now - toleranceSeconds) {
        remove(token);
        return undefined;
      }
      // Most recently used last: the Map's order is the eviction order.
      entries.delete(token);
      entries.set(token, entry);
      return entry.result;
    },

    put(token: string, result: Verified, keys: readonly VerificationKey[], maxLifetimeSeconds: number, minted: boolean): void {
      const key = keys.find((k) => k.kid === result.kid)?.key;
      if (!key) return;
      remove(token);
      while (entries.size > 0 && (entries.size >= maxEntries || characters + token.length > MAX_CHARACTERS)) remove(entries.keys().next().value as string);
      entries.set(token, { result, minted, key, maxLifetimeSeconds });
      characters += token.length;
    },

    get size() {
      return entries.size;
    },
  };
}

export type VerifiedTokenCache = ReturnType<typeof createVerifiedTokenCache>;
