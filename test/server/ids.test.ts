import { describe, expect, it } from 'vitest';
import { pooledRandomBytes } from '../../server/src/ids.js';

describe('pooled random bytes', () => {
  it('never hands out the same bytes twice, across many refills of the pool', () => {
    const seen = new Set<string>();
    // 16 bytes x 2,000 = 32,000 bytes: the 4 KB pool is refilled several times, with a partial slice left over.
    for (let i = 0; i < 2000; i++) {
      const bytes = pooledRandomBytes(16);
      expect(bytes.length).toBe(16);
      seen.add(bytes.toString('hex'));
    }
    expect(seen.size).toBe(2000);
  });

  it('keeps a slice it handed out unchanged when the pool is refilled', () => {
    const kept = pooledRandomBytes(24);
    const copy = Buffer.from(kept);
    for (let i = 0; i < 500; i++) pooledRandomBytes(24);
    expect(kept.equals(copy)).toBe(true);
  });

  it('hands out bytes in memory of their own: the pool (ids not yet issued) is not reachable through them', () => {
    const bytes = pooledRandomBytes(16);
    expect(bytes.buffer.byteLength).toBe(16);
    expect(bytes.byteOffset).toBe(0);
  });

  it('answers sizes larger than the pool straight from the CSPRNG', () => {
    expect(pooledRandomBytes(10_000).length).toBe(10_000);
  });
});
