/**
 * Per-account limits on what one signed-in account can make Parley do (docs/security.md): messages and
 * conversations per window (`PARLEY_MESSAGE_RATE_LIMIT`, `PARLEY_CONVERSATION_RATE_LIMIT`), open event
 * streams (`PARLEY_STREAMS_PER_ACCOUNT`), and fixed limits on what a client sends on its own as a person reads
 * and types: read markers (`READ_LIMIT`) and typing signals (`TYPING_PER_CONVERSATION_LIMIT`,
 * `TYPING_LIMIT`). A sign-in limit counts per address; these count per account, so a session token spread
 * over many addresses is held too.
 *
 * Windows slide: an action is allowed while fewer than `max` of the account's earlier ones fall within the
 * last `windowSeconds`, and a refusal says when the oldest leaves the window (Retry-After). Time is the
 * app's clock. Counters are in memory, per instance, like the sign-in limits; with Redis
 * (`PARLEY_REDIS_URL`) they are sorted sets under `<prefix>rl:acct:…`, shared by every instance, and in
 * memory again while Redis is away.
 *
 * Streams are a registry rather than a counter: opening one beyond the limit closes the account's oldest,
 * which is first told why (`closeWithReason('too_many_streams')`), so a client that leaked streams keeps its
 * newest ones working.
 */
import type { FastifyInstance } from 'fastify';
import type { RateLimit } from '../config.js';
import { ParleyError } from '../errors.js';
import type { RedisLink } from '../redis/link.js';

/** Read markers moved (`POST …/read`): a client marks as it shows messages, far below this. */
export const READ_LIMIT: RateLimit = { max: 120, windowSeconds: 60 };
/**
 * Typing signals per (account, conversation): clients send one every 3 s at most (TYPING_SEND_INTERVAL_MS),
 * so one per 2 s leaves room for a late timer and refuses a client that sends on every key.
 */
export const TYPING_PER_CONVERSATION_LIMIT: RateLimit = { max: 1, windowSeconds: 2 };
/** Typing signals per account in all: an agent typing in three conversations at once stays well below. */
export const TYPING_LIMIT: RateLimit = { max: 60, windowSeconds: 60 };

export type StreamCloseReason = 'too_many_streams';

export interface AccountLimitOptions {
  messages: RateLimit;
  conversations: RateLimit;
  /** Open event streams per account; 0 = no limit. */
  streamsPerAccount: number;
  now: () => number;
  /** Counts in Redis, shared by every instance, while it is available. */
  redis?: RedisLink | null;
}

/** Beyond this many tracked accounts, windows that have emptied are swept before a new one is added. */
const SWEEP_AT = 10_000;

/**
 * An action counted (`release` gives the count back, for an action that turned out to do nothing, at most
 * once), or refused with the seconds to wait.
 */
export type LimitVerdict = { limited: false; release: () => void } | { limited: true; retryAfterSeconds: number };

/** Counts one action of an account if the limit allows it; a refusal says how many seconds to wait. */
export type AccountCounter = (accountId: string) => Promise<LimitVerdict>;

const NOTHING_TO_RELEASE = (): void => undefined;

/** One instance's counter of one limit. */
interface WindowCounter {
  /** Counts an action at `at` if the limit allows it (a limit of 0 allows everything and counts nothing). */
  take(accountId: string, at: number): { limited: false } | { limited: true; retryAfterSeconds: number };
  /** What counting at `at` would answer, without counting. */
  check(accountId: string, at: number): { limited: false } | { limited: true; retryAfterSeconds: number };
  /** Forgets one action counted at `at`. */
  give(accountId: string, at: number): void;
}

/** A sliding-window counter per account: the times of its recent actions, oldest first. */
function createWindowCounter(limit: RateLimit): WindowCounter {
  const windowMs = limit.windowSeconds * 1000;
  const recent = new Map<string, number[]>();

  function sweep(at: number): void {
    for (const [key, times] of recent) if (times[times.length - 1]! <= at - windowMs) recent.delete(key);
  }

  /** The account's times still in the window, and the verdict on one more action. */
  function judge(accountId: string, at: number) {
    let times = recent.get(accountId);
    if (!times) {
      if (recent.size >= SWEEP_AT) sweep(at);
      recent.set(accountId, (times = []));
    }
    while (times.length > 0 && times[0]! <= at - windowMs) times.shift();
    if (times.length >= limit.max) return { times, verdict: { limited: true as const, retryAfterSeconds: Math.max(1, Math.ceil((times[0]! + windowMs - at) / 1000)) } };
    return { times, verdict: { limited: false as const } };
  }

  return {
    take(accountId, at) {
      if (limit.max <= 0) return { limited: false };
      const { times, verdict } = judge(accountId, at);
      if (!verdict.limited) times.push(at);
      return verdict;
    },
    check: (accountId, at) => (limit.max <= 0 ? { limited: false } : judge(accountId, at).verdict),
    give(accountId, at) {
      const times = recent.get(accountId);
      const index = times?.lastIndexOf(at) ?? -1;
      if (index !== -1) times!.splice(index, 1);
    },
  };
}

/** One limit to count against, under a key of its own. */
interface Counted {
  name: string;
  limit: RateLimit;
  local: WindowCounter;
  key: string;
}

/** Counts one action on each counter if every one allows it; otherwise none, answering the first refusal. */
function takeEach(counted: readonly Counted[], at: number): LimitVerdict {
  for (const { local, key } of counted) {
    const verdict = local.check(key, at);
    if (verdict.limited) return verdict;
  }
  for (const { local, key } of counted) local.take(key, at);
  return { limited: false, release: once(() => counted.forEach(({ local, key }) => local.give(key, at))) };
}

/** `action`, run on the first call only. */
function once(action: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    action();
  };
}

/**
 * The sliding windows of several limits in Redis, all or none: each key is a sorted set of the times of its
 * recent actions (the app's clock, passed in), trimmed to its window; one more is added to every set only
 * when none is full. A refusal answers the index of the full set (1-based) and the milliseconds until its
 * oldest leaves the window. The key's expiry is its garbage collection.
 */
const SLIDING_WINDOWS = `
local now = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  local max = tonumber(ARGV[1 + 2 * i])
  local window = tonumber(ARGV[2 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) >= max then
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    return {i, tonumber(oldest[2]) + window - now}
  end
end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[2])
  redis.call('PEXPIRE', key, tonumber(ARGV[2 + 2 * i]))
end
return {0, 0}
`;

let sequence = 0;

/** Counts `counted` in Redis when it is available, else (or when Redis fails the command) in this instance. */
function createCounting(now: () => number, redis: RedisLink | null | undefined) {
  return async function take(counted: readonly Counted[]): Promise<LimitVerdict> {
    const active = counted.filter((c) => c.limit.max > 0);
    if (active.length === 0) return { limited: false, release: NOTHING_TO_RELEASE };
    if (redis?.available()) {
      const at = now();
      // A member per action: two actions in the same millisecond are two.
      const member = `${at}:${process.pid}:${++sequence}:${Math.random().toString(36).slice(2, 8)}`;
      const args = active.flatMap((c) => [c.limit.max, c.limit.windowSeconds * 1000]);
      try {
        const keys = active.map((c) => `${redis.prefix}rl:acct:${c.name}:${c.key}`);
        const [refused, waitMs] = (await redis.commands.eval(SLIDING_WINDOWS, keys.length, ...keys, at, member, ...args)) as [number, number];
        if (Number(refused) !== 0) return { limited: true, retryAfterSeconds: Math.max(1, Math.ceil(Number(waitMs) / 1000)) };
        // Given back by removing the action's member (a Redis gone meanwhile keeps it until the window ends).
        return { limited: false, release: once(() => void Promise.all(keys.map((key) => redis.commands.zrem(key, member))).catch(() => undefined)) };
      } catch {
        // Redis went away meanwhile: this instance counts until it is back.
      }
    }
    // The time read now, not before a Redis call that failed: each window's times stay oldest first.
    return takeEach(active, now());
  };
}

/**
 * Goes on unless the verdict is a refusal: then throws `429 rate_limited`, with its Retry-After (sent only
 * if the refusal is the answer: a refused retry answers its stored message). Answers how to give the count
 * back (for an action that stored nothing: a retry of a stored message, a failure).
 */
export function enforceLimit(verdict: LimitVerdict): () => void {
  if (!verdict.limited) return verdict.release;
  throw new ParleyError('rate_limited', `Too many requests from this account. Try again in ${verdict.retryAfterSeconds} s.`, { retryAfterSeconds: verdict.retryAfterSeconds });
}

export function createAccountLimits(options: AccountLimitOptions) {
  if (typeof options.now !== 'function') throw new TypeError('createAccountLimits needs the app clock');
  const streams = new Map<string, { closeWithReason: (reason: StreamCloseReason) => void }[]>();
  const take = createCounting(options.now, options.redis);
  const limit = (name: string, rateLimit: RateLimit) => ({ name, limit: rateLimit, local: createWindowCounter(rateLimit) });
  const message = limit('message', options.messages);
  const conversation = limit('conversation', options.conversations);
  const read = limit('read', READ_LIMIT);
  const typingIn = limit('typing-in', TYPING_PER_CONVERSATION_LIMIT);
  const typingAll = limit('typing', TYPING_LIMIT);
  const one = (counter: typeof message): AccountCounter => (accountId) => take([{ ...counter, key: accountId }]);

  return {
    /** Counts a message an account posts, unless it is over the limit. */
    message: one(message),
    /** Counts a conversation an account creates, unless it is over the limit. */
    conversation: one(conversation),
    /**
     * Counts a conversation created with its first message: one conversation and one message, or neither
     * when either limit refuses.
     */
    conversationWithMessage: (accountId: string) => take([{ ...conversation, key: accountId }, { ...message, key: accountId }]),
    /** Counts a read marker an account moves, unless it is over the limit. */
    read: one(read),
    /** Counts a typing signal of an account in a conversation: both limits allow it, or neither counts. */
    typing: (accountId: string, conversationId: string): Promise<LimitVerdict> =>
      take([{ ...typingIn, key: `${accountId}:${conversationId}` }, { ...typingAll, key: accountId }]),

    /**
     * Registers an open event stream of `accountId`; answers the function that unregisters it (call it when
     * the stream ends, any number of times). When the account already has the maximum, its oldest stream is
     * unregistered and `closeWithReason` is called on it, synchronously.
     */
    openStream(accountId: string, closeWithReason: (reason: StreamCloseReason) => void): () => void {
      const entry = { closeWithReason };
      let open = streams.get(accountId);
      if (!open) streams.set(accountId, (open = []));
      open.push(entry);
      const max = options.streamsPerAccount;
      while (max > 0 && open.length > max) {
        const oldest = open.shift()!;
        try {
          oldest.closeWithReason('too_many_streams');
        } catch {
          // A stream that fails to close itself must not keep the new one from opening.
        }
      }
      return () => {
        const list = streams.get(accountId);
        if (!list) return;
        const index = list.indexOf(entry);
        if (index !== -1) list.splice(index, 1);
        if (list.length === 0) streams.delete(accountId);
      };
    },

    /** How many streams the account has open (for tests and the log). */
    openStreams: (accountId: string) => streams.get(accountId)?.length ?? 0,
  };
}

export type AccountLimits = ReturnType<typeof createAccountLimits>;

const perApp = new WeakMap<object, AccountLimits>();

/**
 * The app's one set of account limits, made from its configuration and clock at first use. The chat routes
 * and the event stream route are separate plugins; both reach the same counters through this.
 */
export function accountLimitsOf(app: FastifyInstance): AccountLimits {
  let limits = perApp.get(app.services);
  if (!limits) {
    limits = createAccountLimits({
      messages: app.config.messageRateLimit,
      conversations: app.config.conversationRateLimit,
      streamsPerAccount: app.config.streamsPerAccount,
      now: app.now,
      redis: app.redis,
    });
    perApp.set(app.services, limits);
  }
  return limits;
}
