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
