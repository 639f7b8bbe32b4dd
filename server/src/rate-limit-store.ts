/**
 * The counter store of @fastify/rate-limit, reading Parley's clock instead of `Date.now()`, so every limit
 * (sign-in per address and per key, and any route limit built with `app.createRateLimit`) moves with the
 * injected clock in tests and agrees with the rest of the app on what time it is. It keeps the semantics of
 * the plugin's own LocalStore (a fixed window per key that starts at the first hit, a bounded LRU of keys);
 * the plugin offers no clock option, hence this small class.
 */

interface Counter {
  current: number;
  ttl: number;
  iterationStartMs: number;
}
type Callback = (error: Error | null, result: { current: number; ttl: number }) => void;

const DEFAULT_KEYS = 5000;

import type { RedisLink } from './redis/link.js';

/** A store class for `@fastify/rate-limit`'s `store` option, counting with `now`. */
export function createClockedStore(now: () => number) {
  return class ClockedStore {
    private readonly counters = new Map<string, Counter>();
    private readonly capacity: number;

    constructor(options: { cache?: number } = {}) {
      this.capacity = options.cache ?? DEFAULT_KEYS;
    }

    incr(key: string, callback: Callback, timeWindow: number): void {
      const at = now();
      let counter = this.counters.get(key);
      if (!counter || counter.iterationStartMs + timeWindow <= at) {
        counter = { current: 1, ttl: timeWindow, iterationStartMs: at };
      } else {
        counter.current++;
        counter.ttl = timeWindow - (at - counter.iterationStartMs);
      }
      // Least recently used first: a re-set key moves to the end.
      this.counters.delete(key);
      this.counters.set(key, counter);
      if (this.counters.size > this.capacity) this.counters.delete(this.counters.keys().next().value as string);
      callback(null, { current: counter.current, ttl: counter.ttl });
    }

    read(key: string, callback: Callback, timeWindow: number): void {
      const at = now();
      const counter = this.counters.get(key);
      if (!counter || counter.iterationStartMs + timeWindow <= at) return callback(null, { current: 0, ttl: 0 });
      callback(null, { current: counter.current, ttl: timeWindow - (at - counter.iterationStartMs) });
    }

    child(routeOptions: object): ClockedStore {
      return new ClockedStore(routeOptions as { cache?: number });
    }
  };
}

/**
 * A fixed window per key in Redis, with the same semantics as ClockedStore: the window starts at the first
 * hit, by the app's clock (passed in, so that every instance and the tests agree on one time); the key's
 * expiry is only its garbage collection.
 */
const FIXED_WINDOW = `
local start = tonumber(redis.call('HGET', KEYS[1], 's'))
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
if ARGV[3] == '0' then
  if not start or start + window <= now then return {0, 0} end
  return {tonumber(redis.call('HGET', KEYS[1], 'c')), window - (now - start)}
end
if not start or start + window <= now then
  redis.call('HSET', KEYS[1], 's', now, 'c', 1)
  redis.call('PEXPIRE', KEYS[1], window)
  return {1, window}
end
return {redis.call('HINCRBY', KEYS[1], 'c', 1), window - (now - start)}
`;

/**
 * The store class when Redis is configured: every instance counts in Redis under `<prefix>rl:<key>`, so a
 * limit of N allows N in all. While Redis is away (or a command fails) it counts in this instance's memory,
 * as without Redis, and goes back to Redis as soon as it is back. Written here rather than taken from the
 * plugin's `redis` option because that one reads Redis's clock and, on an error, either fails the request
 * or skips the limit (`skipOnError`); neither is a per-instance fallback.
 */
export function createSharedStore(now: () => number, link: RedisLink) {
  const Local = createClockedStore(now);
  return class SharedStore {
    private readonly local: InstanceType<typeof Local>;

    constructor(options: { cache?: number } = {}) {
      this.local = new Local(options);
    }

    private count(key: string, callback: Callback, timeWindow: number, increment: boolean): void {
      const fallback = () => (increment ? this.local.incr(key, callback, timeWindow) : this.local.read(key, callback, timeWindow));
      if (!link.available()) return fallback();
      link.commands.eval(FIXED_WINDOW, 1, `${link.prefix}rl:${key}`, now(), timeWindow, increment ? 1 : 0).then(
        (result) => {
          const [current, ttl] = result as [number, number];
          callback(null, { current: Number(current), ttl: Number(ttl) });
        },
        () => fallback(),
      );
    }

    incr(key: string, callback: Callback, timeWindow: number): void {
      this.count(key, callback, timeWindow, true);
    }

    read(key: string, callback: Callback, timeWindow: number): void {
      this.count(key, callback, timeWindow, false);
    }

    child(routeOptions: object): SharedStore {
      return new SharedStore(routeOptions as { cache?: number });
    }
  };
}
