/**
 * What `GET /metrics` exports (routes/metrics.ts, docs/deploy.md, Metrics), in the Prometheus text format
 * through prom-client. Each app has its own registry, never prom-client's global one: a test process builds
 * many apps, and each app's counters must start at zero and be read alone. Labels take only bounded values
 * (doors, error codes, kinds, route patterns), never an id or an address.
 *
 * The process metrics (CPU, memory, event loop, GC) belong to the process, not to an app: prom-client's
 * collectors start a GC observer and an event-loop monitor that are never released, so they are collected
 * once per process, into a registry of their own made at the first scrape, and printed before the app's.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ErrorCode } from '#shared/errors.js';

/** What the outbox answers for its rows by status (store/outbox.ts `counts`). */
export type OutboxCounts = () => Promise<Record<'pending' | 'sending' | 'done' | 'failed', number>>;

/** A message as counted: a user's, an administrator's answer, or an internal note. */
export type MessageKind = 'user' | 'agent' | 'note';

/** One try of an outbox row: sent, to be tried again, or failed for good. */
export type OutboxSendOutcome = 'ok' | 'retry' | 'failed';
/** How an assistant's reply ended. */
export type AssistantReplyOutcome = 'done' | 'stopped' | 'failed' | 'limited' | 'skipped';

/** From 1 ms (a stream on the instance that committed) to 5 s (a stream far behind, or a slow fan-out). */
const DELIVERY_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const HTTP_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

let processRegistry: Registry | undefined;

/** The process's own metrics, collected from the first call on. */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** One app's metrics: its registry, and the instruments the code that counts calls. */
export function createMetrics() {
  const register = new Registry();
  const registers = [register];
  let outboxCounts: OutboxCounts | undefined;
  const signIns = new Counter({
    name: 'parley_sign_ins_total',
    help: 'Sign-in attempts by door (link, exchange, admin_link, email_code, email_link) and outcome (ok, or the error code).',
    labelNames: ['door', 'outcome'] as const,
    registers,
  });
  const streamsOpen = new Gauge({ name: 'parley_event_streams_open', help: 'Event streams (GET /api/v1/events) open on this instance.', registers });
  const messages = new Counter({
    name: 'parley_messages_total',
    help: 'Messages posted, by kind: user (a user), agent (an administrator), note (an internal note).',
    labelNames: ['kind'] as const,
    registers,
  });
  const deliverySeconds = new Histogram({
    name: 'parley_event_delivery_seconds',
    help: 'From an event written to its transaction to its write on a live event stream (replays of the log are not counted).',
    buckets: DELIVERY_BUCKETS_SECONDS,
    registers,
  });
  const outboxSends = new Counter({
    name: 'parley_outbox_sends_total',
    help: 'Tries of outbox rows, by kind (mail, webhook, …) and outcome: ok, retry (tried again later), failed (for good).',
    labelNames: ['kind', 'outcome'] as const,
    registers,
  });
  const databaseErrors = new Counter({
    name: 'parley_database_errors_total',
    help: 'Failures because the database could not be reached, by where they were met: request (answered 503), background (the outbox worker, the snooze waker), metrics (a scrape).',
    labelNames: ['source'] as const,
    registers,
  });
  new Gauge({
    name: 'parley_outbox_rows',
    help: 'Outbox rows by status (pending, sending, done, failed), read from the database at each scrape.',
    labelNames: ['status'] as const,
    registers,
    async collect() {
      if (!outboxCounts) return;
      try {
        const counts = await outboxCounts();
        for (const [status, n] of Object.entries(counts)) this.set({ status }, n);
      } catch {
        // No numbers rather than stale ones; the scrape itself still answers.
        this.reset();
        databaseErrors.inc({ source: 'metrics' });
      }
    },
  });
  const redisErrors = new Counter({
    name: 'parley_redis_errors_total',
    help: 'Errors and unexpected closes of the Redis connections, by connection (commands, subscriber) and event (error, close).',
    labelNames: ['connection', 'event'] as const,
    registers,
  });
  const assistantReplies = new Counter({
    name: 'parley_assistant_replies_total',
    help: 'Replies of the assistant (docs/assistant.md), by outcome: done, stopped, failed (handed to the team), limited (a daily limit reached), skipped (not needed after all).',
    labelNames: ['outcome'] as const,
    registers,
  });
  const assistantFirstToken = new Histogram({
    name: 'parley_assistant_first_token_seconds',
    help: 'From a reply starting (its job claimed) to the first token from the provider.',
    buckets: [0.1, 0.25, 0.5, 1, 2, 4, 8, 15],
    registers,
  });
  const httpSeconds = new Histogram({
    name: 'parley_http_request_duration_seconds',
    help: 'HTTP requests answered, by method, route pattern (unmatched for none) and status class (2xx, 4xx, …); event streams are not counted.',
    labelNames: ['method', 'route', 'status_class'] as const,
    buckets: HTTP_BUCKETS_SECONDS,
    registers,
  });

  return {
    /** The app's registry (not the process metrics: see `render`). */
    register,
    /** The Content-Type of `render()`'s text. */
    contentType: register.contentType,
    signIn(door: string, outcome: 'ok' | ErrorCode): void {
      signIns.inc({ door, outcome });
    },
    streamOpened(): void {
      streamsOpen.inc();
    },
    streamClosed(): void {
      streamsOpen.dec();
    },
    messagePosted(kind: MessageKind): void {
      messages.inc({ kind });
    },
    /** An event reached a live stream `seconds` after it was written. */
    eventDelivered(seconds: number): void {
      deliverySeconds.observe(Math.max(0, seconds));
    },
    outboxSent(kind: string, outcome: OutboxSendOutcome): void {
      outboxSends.inc({ kind, outcome });
    },
    /** Where the outbox backlog is read from at each scrape. */
    watchOutbox(counts: OutboxCounts): void {
      outboxCounts = counts;
    },
    databaseError(source: 'request' | 'background'): void {
      databaseErrors.inc({ source });
    },
    redisError(connection: 'commands' | 'subscriber', event: 'error' | 'close'): void {
      redisErrors.inc({ connection, event });
    },
    assistantReplyEnded(outcome: AssistantReplyOutcome): void {
      assistantReplies.inc({ outcome });
    },
    assistantFirstToken(seconds: number): void {
      assistantFirstToken.observe(Math.max(0, seconds));
    },
    httpRequest(method: string, route: string | undefined, statusCode: number, seconds: number): void {
      httpSeconds.observe({ method, route: route ?? 'unmatched', status_class: `${Math.floor(statusCode / 100)}xx` }, seconds);
    },
    /** The exposition: the process's metrics, then the app's. */
    async render(): Promise<string> {
      const [own, process] = await Promise.all([register.metrics(), processMetrics().metrics()]);
      return `${process}\n${own}`;
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
