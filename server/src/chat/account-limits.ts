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
 * app's clock. Counters are in memory, per instance, like the sign-in limits.
 *
 * Streams are a registry rather than a counter: opening one beyond the limit closes the account's oldest,
 * which is first told why (`closeWithReason('too_many_streams')`), so a client that leaked streams keeps its
 * newest ones working.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { RateLimit } from '../config.js';
import { ParleyError } from '../errors.js';

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
}

/** Beyond this many tracked accounts, windows that have emptied are swept before a new one is added. */
const SWEEP_AT = 10_000;

export type LimitVerdict = { limited: false } | { limited: true; retryAfterSeconds: number };

/** Counts one action of an account if the limit allows it; a refusal says how many seconds to wait. */
export interface WindowCounter {
  (accountId: string): LimitVerdict;
  /** What counting now would answer, without counting. */
  check(accountId: string): LimitVerdict;
}

/** A sliding-window counter per account: the times of its recent actions, oldest first. */
function createWindowCounter(limit: RateLimit, now: () => number): WindowCounter {
  const windowMs = limit.windowSeconds * 1000;
  const recent = new Map<string, number[]>();

  function sweep(at: number): void {
    for (const [key, times] of recent) if (times[times.length - 1]! <= at - windowMs) recent.delete(key);
  }

  /** The account's times still in the window, and the verdict on one more action. */
  function judge(accountId: string, at: number): { times: number[]; verdict: LimitVerdict } {
    let times = recent.get(accountId);
    if (!times) {
      if (recent.size >= SWEEP_AT) sweep(at);
      recent.set(accountId, (times = []));
    }
    while (times.length > 0 && times[0]! <= at - windowMs) times.shift();
    if (times.length >= limit.max) return { times, verdict: { limited: true, retryAfterSeconds: Math.max(1, Math.ceil((times[0]! + windowMs - at) / 1000)) } };
    return { times, verdict: { limited: false } };
  }

  const take = (accountId: string): LimitVerdict => {
    if (limit.max <= 0) return { limited: false };
    const at = now();
    const { times, verdict } = judge(accountId, at);
    if (!verdict.limited) times.push(at);
    return verdict;
  };
  const check = (accountId: string): LimitVerdict => (limit.max <= 0 ? { limited: false } : judge(accountId, now()).verdict);
  return Object.assign(take, { check });
}

/** Counts one action on each counter if every one allows it; otherwise none, answering the first refusal. */
function takeEach(accountId: string, counters: readonly WindowCounter[]): LimitVerdict {
  for (const counter of counters) {
    const verdict = counter.check(accountId);
    if (verdict.limited) return verdict;
  }
  for (const counter of counters) counter(accountId);
  return { limited: false };
}

/** Goes on unless the verdict is a refusal: then `429 rate_limited`, with Retry-After on `reply`. */
export function enforceLimit(reply: FastifyReply, verdict: LimitVerdict): void {
  if (!verdict.limited) return;
  reply.header('retry-after', String(verdict.retryAfterSeconds));
  throw new ParleyError('rate_limited', `Too many requests from this account. Try again in ${verdict.retryAfterSeconds} s.`);
}

export function createAccountLimits(options: AccountLimitOptions) {
  if (typeof options.now !== 'function') throw new TypeError('createAccountLimits needs the app clock');
  const streams = new Map<string, { closeWithReason: (reason: StreamCloseReason) => void }[]>();
  const message = createWindowCounter(options.messages, options.now);
  const conversation = createWindowCounter(options.conversations, options.now);
  const typingIn = createWindowCounter(TYPING_PER_CONVERSATION_LIMIT, options.now);
  const typingAll = createWindowCounter(TYPING_LIMIT, options.now);

  return {
    /** Counts a message an account posts, unless it is over the limit. */
    message,
    /** Counts a conversation an account creates, unless it is over the limit. */
    conversation,
    /**
     * Counts a conversation created with its first message: one conversation and one message, or neither
     * when either limit refuses.
     */
    conversationWithMessage: (accountId: string) => takeEach(accountId, [conversation, message]),
    /** Counts a read marker an account moves, unless it is over the limit. */
    read: createWindowCounter(READ_LIMIT, options.now),
    /** Counts a typing signal of an account in a conversation: both limits allow it, or neither counts. */
    typing(accountId: string, conversationId: string): LimitVerdict {
      const pair = `${accountId} ${conversationId}`;
      const verdict = typingIn.check(pair);
      if (verdict.limited) return verdict;
      const overall = typingAll(accountId);
      if (overall.limited) return overall;
      return typingIn(pair);
    },

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
    });
    perApp.set(app.services, limits);
  }
  return limits;
}
