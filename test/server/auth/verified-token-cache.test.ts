import { describe, expect, it } from 'vitest';
import { createVerifiedTokenCache } from '../../../server/src/auth/verified-token-cache.js';
import type { VerificationKey, VerifyResult } from '../../../server/src/auth/verify-external-token.js';

const NOW = 1_800_000_000;
const key = (kid: string): VerificationKey => ({ kid, alg: 'HS256', key: new Uint8Array([kid.length]) });
const result = (kid: string, expiresAt = NOW + 600): Extract<VerifyResult, { ok: true }> => ({
  ok: true,
  kid,
  expiresAt,
  jti: undefined,
  issuer: undefined,
  identity: { form: 'id', id: 'usr_1' },
});

describe('the verified-token cache', () => {
  it('answers a verified token again while its key is the same active key object', () => {
    const cache = createVerifiedTokenCache();
    const k = key('k1');
    cache.put('tok', result('k1'), [k], 3600, false);
    expect(cache.get('tok', [k], 3600, 60, NOW)).toEqual(result('k1'));
    expect(cache.minted('tok')).toBe(false);
    expect(cache.minted('other')).toBeUndefined();
    cache.put('minted', result('k1'), [k], 3600, true);
    expect(cache.minted('minted')).toBe(true);
    expect(cache.get('other', [k], 3600, 60, NOW)).toBeUndefined();
  });

  it('forgets the entry at once when the key is retired or replaced', () => {
    const cache = createVerifiedTokenCache();
    const k = key('k1');
    cache.put('tok', result('k1'), [k], 3600, false);
    expect(cache.get('tok', [], 3600, 60, NOW)).toBeUndefined();
    cache.put('tok', result('k1'), [k], 3600, false);
    expect(cache.get('tok', [key('k1')], 3600, 60, NOW)).toBeUndefined(); // same kid, new key material
    expect(cache.size).toBe(0);
  });

  it('never outlives exp (with the tolerance) or a change of the lifetime policy', () => {
    const cache = createVerifiedTokenCache();
    const k = key('k1');
    cache.put('tok', result('k1', NOW + 10), [k], 3600, false);
    expect(cache.get('tok', [k], 3600, 60, NOW + 69)).toBeDefined();
    expect(cache.get('tok', [k], 3600, 60, NOW + 70)).toBeUndefined();
    cache.put('tok', result('k1'), [k], 3600, false);
    expect(cache.get('tok', [k], 60, 60, NOW)).toBeUndefined();
  });

  it('is bounded, evicting the least recently used', () => {
    const cache = createVerifiedTokenCache(2);
    const k = key('k1');
    cache.put('a', result('k1'), [k], 3600, false);
    cache.put('b', result('k1'), [k], 3600, false);
    cache.get('a', [k], 3600, 60, NOW);
    cache.put('c', result('k1'), [k], 3600, false);
    expect(cache.get('b', [k], 3600, 60, NOW)).toBeUndefined();
    expect(cache.get('a', [k], 3600, 60, NOW)).toBeDefined();
  });
});

describe('the verified-token cache, bounded', () => {
  it('keeps at most its number of entries, the least recently used going first', () => {
    const cache = createVerifiedTokenCache(2);
    const k = key('k1');
    cache.put('a', result('k1'), [k], 3600, false);
    cache.put('b', result('k1'), [k], 3600, false);
    expect(cache.get('a', [k], 3600, 60, NOW)).toBeDefined();
    cache.put('c', result('k1'), [k], 3600, false);
    expect(cache.size).toBe(2);
    expect(cache.get('b', [k], 3600, 60, NOW)).toBeUndefined();
    expect(cache.get('a', [k], 3600, 60, NOW)).toBeDefined();
    expect(cache.get('c', [k], 3600, 60, NOW)).toBeDefined();
  });

  it('keeps at most 8 million characters of tokens, however few they are', () => {
    const cache = createVerifiedTokenCache();
    const k = key('k1');
    const big = (i: number) => `${i}`.padEnd(8000, 'x');
    for (let i = 0; i < 1500; i++) cache.put(big(i), result('k1'), [k], 3600, false);
    expect(cache.size).toBe(1000);
    expect(cache.get(big(0), [k], 3600, 60, NOW)).toBeUndefined();
    expect(cache.get(big(1499), [k], 3600, 60, NOW)).toBeDefined();
    // Putting the same token again replaces its entry rather than counting it twice.
    cache.put(big(1499), result('k1'), [k], 3600, false);
    expect(cache.size).toBe(1000);
  });
});
