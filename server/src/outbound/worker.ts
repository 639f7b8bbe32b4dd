/**
 * Sends what the outbox holds (store/outbox.ts). Every `pollMs`, and at once after `nudge()`, it claims the
 * rows that are due and hands each to the sender of its kind, a few at a time; a sender answers what
 * happened, and the worker records it: done, another try after the kind's next delay, or failed for good
 * once the delays are used up (or the sender says a retry cannot help). A sender that throws counts as a
 * failed try; a row of an unknown kind fails for good. Nothing a sender does can stop the worker, and a
 * round that fails (the database away) is the next round's work. With several instances on PostgreSQL each
 * runs its own worker, and claims never overlap.
 */
import type { OutboxRepository, OutboxRow } from '../store/outbox.js';
import type { OutboxSendOutcome } from '../metrics.js';

/** What a sender answers for one row. */
export type SendOutcome =
  | { ok: true; statusCode?: number | null }
  | { ok: false; error: string; statusCode?: number | null; /** false: no retry can help (a permanent refusal). */ retry?: boolean };

export interface OutboxSender {
  kind: string;
  /** Sends one row (its payload as JSON); `now` is the worker's clock. */
  send(row: OutboxRow, now: number): Promise<SendOutcome>;
  /** The delays between tries, in ms: a row is tried `retryDelaysMs.length + 1` times at most. */
  retryDelaysMs: readonly number[];
  /** Called once a row of this kind failed for good (after its record is written). */
  onGaveUp?(row: OutboxRow, now: number): Promise<void>;
  /**
   * What of a row's payload stays stored once it is sent or failed for good (JSON), e.g. an email's address
   * and subject without its one-time links; the whole payload stays when absent.
   */
  keptPayload?(row: OutboxRow): string;
  /** Called after every try of a row of this kind, with its outcome (after its record is written). */
  afterAttempt?(row: OutboxRow, outcome: SendOutcome, now: number): Promise<void>;
}

export interface OutboxWorkerOptions {
  outbox: OutboxRepository;
  senders: readonly OutboxSender[];
  now: () => number;
  pollMs?: number;
  /** Rows sent at the same time. */
  concurrency?: number;
  /** How long one send may take before it counts as a failed try (default OUTBOX_SEND_DEADLINE_MS). */
  sendDeadlineMs?: number;
  onError?: (error: unknown) => void;
  /** Told of each try once its record is written: sent, to be tried again, or failed for good. */
  onSent?: (kind: string, outcome: OutboxSendOutcome) => void;
  /** Kinds another worker sends (assistant/runner.ts): this one never claims them. */
  excludeKinds?: readonly string[];
}

export const OUTBOX_POLL_MS = 1_000;
const BATCH = 20;

/** How long one send may take: well within the claim's lease (OUTBOX_LEASE_MS). */
export const OUTBOX_SEND_DEADLINE_MS = 45_000;

export function createOutboxWorker({ outbox, senders, now, pollMs = OUTBOX_POLL_MS, concurrency = 8, onError, onSent, sendDeadlineMs = OUTBOX_SEND_DEADLINE_MS, excludeKinds }: OutboxWorkerOptions) {
  const byKind = new Map(senders.map((s) => [s.kind, s]));
  let running: Promise<number> | null = null;
  let again = false;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;

  async function sendOne(row: OutboxRow): Promise<void> {
    const sender = byKind.get(row.kind);
    const started = performance.now();
    let outcome: SendOutcome;
    if (!sender) outcome = { ok: false, error: `no sender for kind ${row.kind}`, retry: false };
    else {
      let deadline: NodeJS.Timeout | undefined;
      try {
        // A send that hangs is a failed try before the claim's lease ends, so that no other worker takes the
        // row while this one may still send it, and one hung send never holds this worker's round.
        const late = new Promise<SendOutcome>((resolve) => {
          deadline = setTimeout(() => resolve({ ok: false, error: `no answer within ${sendDeadlineMs} ms` }), sendDeadlineMs);
        });
        outcome = await Promise.race([sender.send(row, now()), late]);
      } catch (error) {
        outcome = { ok: false, error: error instanceof Error ? error.message : String(error) };
      } finally {
        clearTimeout(deadline);
      }
    }
    const attempt = { durationMs: performance.now() - started, statusCode: outcome.statusCode ?? null, error: outcome.ok ? null : outcome.error };
    const at = now();
    const kept = () => sender?.keptPayload?.(row);
    if (outcome.ok) {
      await outbox.succeed(row, attempt, at, kept());
      onSent?.(row.kind, 'ok');
    } else {
      const delay = outcome.retry === false ? undefined : sender?.retryDelaysMs[row.attempts - 1];
      await outbox.fail(row, attempt, at, delay === undefined ? null : at + delay, delay === undefined ? kept() : undefined);
      // An unknown kind is not a label: the kinds of the senders are few, the rows' could be anything.
      onSent?.(sender ? row.kind : 'unknown', delay === undefined ? 'failed' : 'retry');
      if (delay === undefined) await sender?.onGaveUp?.(row, at).catch((error: unknown) => onError?.(error));
    }
    await sender?.afterAttempt?.(row, outcome, at).catch((error: unknown) => onError?.(error));
  }

  /** One round: claims and sends until nothing more is due; answers how many rows it tried. */
  async function round(): Promise<number> {
    let tried = 0;
    for (;;) {
      const rows = await outbox.claim(now(), BATCH, excludeKinds ? { excludeKinds } : {});
      if (rows.length === 0) return tried;
      let next = 0;
      const lane = async () => {
        while (next < rows.length) {
          const row = rows[next++]!;
          await sendOne(row).catch((error: unknown) => onError?.(error));
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, rows.length) }, lane));
      tried += rows.length;
      if (stopped) return tried;
    }
  }

  /** Runs a round unless one runs; a nudge during a round runs another after it. */
  function kick(): Promise<number> {
    if (running) {
      again = true;
      return running;
    }
    running = round()
      .catch((error: unknown) => {
        onError?.(error);
        return 0;
      })
      .finally(() => {
        running = null;
        if (again && !stopped) {
          again = false;
          void kick();
        }
      });
    return running;
  }

  return {
    /** Polls until `stop()`; answers the stop function, which waits for the round under way. */
    start(): () => Promise<void> {
      stopped = false;
      timer = setInterval(() => void kick(), pollMs);
      timer.unref();
      void kick();
      return async () => {
        stopped = true;
        if (timer) clearInterval(timer);
        timer = null;
        await running;
      };
    },
    /** Something was enqueued (after its commit): send it now rather than at the next poll. */
    nudge(): void {
      if (!stopped && timer) void kick();
    },
    /**
     * Sends everything due at the clock's time, round after round, until a round finds nothing (tests, with
     * an injected clock); answers how many tries were made.
     */
    async drain(): Promise<number> {
      let total = 0;
      for (;;) {
        while (running) await running;
        // Its rounds are the worker's only ones meanwhile: a poll or a nudge waits for them.
        const mine = round().catch((error: unknown) => {
          onError?.(error);
          return 0;
        });
        running = mine;
        let tried: number;
        try {
          tried = await mine;
        } finally {
          running = null;
        }
        total += tried;
        if (tried === 0) return total;
      }
    },
  };
}

export type OutboxWorker = ReturnType<typeof createOutboxWorker>;
