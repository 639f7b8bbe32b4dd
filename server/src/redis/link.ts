/**
 * The one connection pair an instance keeps to Redis (`PARLEY_REDIS_URL`): a command connection (counters,
 * presence, publishing) and a subscriber connection (a Redis connection that has subscribed can do nothing
 * else). Everything that uses Redis asks `available()` first and does its per-instance work instead when
 * Redis is away, so no request waits on a dead Redis:
 * - no offline queue: a command sent while disconnected fails at once instead of waiting for a reconnect;
 * - a short connect timeout and command timeout, and no retry of a failed command;
 * - reconnects every 100 ms doubling up to 1 s, so shared work resumes within a second of Redis's return.
 *
 * The log says it once each way: one warning when Redis goes away, one info line when it is back.
 * Subscriptions are restored by ioredis on reconnect; what was published meanwhile is lost, so listeners of
 * `onResubscribed` (the event streams) check again what they would have heard.
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { RedisConfig } from '../config.js';

export interface RedisLog {
  warn(object: object, message: string): void;
  info(object: object, message: string): void;
}

export interface RedisLink {
  /** The command connection; use it only when `available()`. */
  readonly commands: Redis;
  /** The prefix of every key and channel of this deployment (`parley:` unless told otherwise). */
  readonly prefix: string;
  /** Both connections are up: commands go through and published messages are heard. */
  available(): boolean;
  /**
   * Moves on each time the subscriber connection is lost: a stream that saw the same value at its start and
   * now has heard every message published since.
   */
  subscriptionEpoch(): number;
  /** Publishes `message` on the channel `name` (prefixed); false when Redis is away or refused it. */
  publish(name: string, message: string): Promise<boolean>;
  /** Calls `listener` for every message on the channel `name` (prefixed); answers the unsubscribe function. */
  subscribe(name: string, listener: (message: string) => void): () => void;
  /** Calls `listener` when the subscriber connection is back after a loss (messages may have been missed). */
  onResubscribed(listener: () => void): () => void;
  /** Resolves once both connections are up, or after `ms` (false). */
  whenAvailable(ms: number): Promise<boolean>;
  close(): Promise<void>;
}

const CONNECT_TIMEOUT_MS = 500;
const COMMAND_TIMEOUT_MS = 300;
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 1000;

export const DEFAULT_REDIS_PREFIX = 'parley:';

/** Told of each error, and of each close not asked for by `close()`, of either connection (the metrics count them). */
export type RedisErrorListener = (connection: 'commands' | 'subscriber', event: 'error' | 'close') => void;

/** Opens the link; it connects in the background and keeps reconnecting until closed. */
export function openRedisLink(config: RedisConfig, options: { prefix?: string; log: RedisLog; onError?: RedisErrorListener }): RedisLink {
  const prefix = options.prefix ?? DEFAULT_REDIS_PREFIX;
  const base: RedisOptions = {
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: (times) => Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** Math.min(times - 1, 10)),
    // Checked by `available()` rather than waited for.
    enableReadyCheck: true,
    lazyConnect: false,
  };
  const commands = new Redis(config.url, { ...base, enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: COMMAND_TIMEOUT_MS });
  // SUBSCRIBE is queued until the connection is up, and ioredis subscribes again after every reconnect.
  const subscriber = new Redis(config.url, { ...base, enableOfflineQueue: true, maxRetriesPerRequest: null, autoResubscribe: true });
  const channels = new Map<string, Set<(message: string) => void>>();
  const resubscribed = new Set<() => void>();
  const where = { host: config.host, port: config.port, tls: config.tls, db: config.db };

  let up = false;
  let warnedAtBoot = false;
  let everUp = false;
  let closing = false;
  let epoch = 0;
  let subscriberWasReady = false;
  const waiters = new Set<() => void>();

  const available = () => commands.status === 'ready' && subscriber.status === 'ready';
  const update = () => {
    if (closing) return;
    const now = available();
    if (now === up) return;
    up = now;
    if (now) {
      if (everUp || warnedAtBoot) options.log.info(where, 'Redis is back: rate limits, typing and presence are shared again');
      else options.log.info(where, 'Redis connected: rate limits, typing and presence are shared by every instance');
      everUp = true;
      for (const wake of waiters) wake();
    } else {
      options.log.warn(where, 'Redis unavailable: rate limits count per instance, typing and presence stay per instance until it is back');
    }
  };
  // Not reached at boot: said once, like a loss later.
  const bootWarning = setTimeout(() => {
    if (!everUp && !closing && !warnedAtBoot) {
      warnedAtBoot = true;
      options.log.warn(where, 'Redis unavailable: rate limits count per instance, typing and presence stay per instance until it is back');
    }
  }, CONNECT_TIMEOUT_MS * 2);
  bootWarning.unref();

  for (const [connection, client] of [['commands', commands], ['subscriber', subscriber]] as const) {
    // Errors are states here, told once by `update`; without a listener ioredis would print each one.
    client.on('error', () => {
      if (!closing) options.onError?.(connection, 'error');
      update();
    });
    client.on('ready', () => update());
    client.on('close', () => {
      if (!closing) options.onError?.(connection, 'close');
      update();
    });
    client.on('end', () => update());
  }
  // At every (re)connect, the first included: a stream opened before it may have missed a message.
  subscriber.on('ready', () => {
    subscriberWasReady = true;
    for (const listener of resubscribed) listener();
  });
  subscriber.on('close', () => {
    if (subscriberWasReady) epoch++;
  });
  subscriber.on('message', (channel: string, message: string) => {
    for (const listener of channels.get(channel) ?? []) {
      try {
        listener(message);
      } catch {
        // One listener's failure is not the others'.
      }
    }
  });
  return {
    commands,
    prefix,
    available,
    subscriptionEpoch: () => epoch,
    async publish(name, message) {
      if (commands.status !== 'ready') return false;
      try {
        await commands.publish(prefix + name, message);
        return true;
      } catch {
        return false;
      }
    },
    subscribe(name, listener) {
      const channel = prefix + name;
      let set = channels.get(channel);
      if (!set) {
        channels.set(channel, (set = new Set()));
        subscriber.subscribe(channel).catch(() => undefined);
      }
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0 && channels.get(channel) === set) {
          channels.delete(channel);
          if (!closing) subscriber.unsubscribe(channel).catch(() => undefined);
        }
      };
    },
    onResubscribed(listener) {
      resubscribed.add(listener);
      return () => resubscribed.delete(listener);
    },
    whenAvailable(ms) {
      if (available()) return Promise.resolve(true);
      return new Promise((resolve) => {
        const done = (value: boolean) => {
          clearTimeout(timer);
          waiters.delete(wake);
          resolve(value);
        };
        const wake = () => done(available());
        const timer = setTimeout(() => done(available()), ms);
        waiters.add(wake);
      });
    },
    async close() {
      closing = true;
      clearTimeout(bootWarning);
      for (const wake of waiters) wake();
      commands.disconnect();
      subscriber.disconnect();
    },
  };
}
