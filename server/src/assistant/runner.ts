/**
 * The worker of `assistant_reply` outbox rows. The outbox's own worker (outbound/worker.ts) sends a batch
 * and claims the next once the whole batch is done: right for mail and webhooks, which take milliseconds,
 * wrong for a reply that streams for seconds, which would hold back every reply asked for meanwhile. This
 * one claims as soon as a lane is free (a nudge at each commit, a poll for other instances' rows and for
 * leases that ran out), up to `concurrency` replies at once, and records each outcome as that worker does
 * (store/outbox.ts succeed/fail). The main worker leaves these rows to it (`excludeKinds`).
 */
import type { OutboxSender, SendOutcome } from '../outbound/worker.js';
import type { OutboxRepository, OutboxRow } from '../store/outbox.js';

export interface AssistantRunnerOptions {
  outbox: OutboxRepository;
  sender: OutboxSender;
  now: () => number;
  concurrency?: number;
  pollMs?: number;
  /** Called when the worker stops (the process shuts down): the replies in progress end now. */
  onStop?: () => void;
  onError?: (error: unknown) => void;
}

export function createAssistantRunner(options: AssistantRunnerOptions) {
  const { outbox, sender, now, concurrency = 32, pollMs = 1000 } = options;
  const inFlight = new Set<Promise<void>>();
  let claiming: Promise<void> | null = null;
  let again = false;
  let stopped = true;
  let timer: NodeJS.Timeout | null = null;

  async function sendOne(row: OutboxRow): Promise<void> {
    const started = performance.now();
    let outcome: SendOutcome;
    try {
      outcome = await sender.send(row, now());
    } catch (error) {
      outcome = { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
    const attempt = { durationMs: performance.now() - started, statusCode: outcome.statusCode ?? null, error: outcome.ok ? null : outcome.error };
    const at = now();
    if (outcome.ok) return outbox.succeed(row, attempt, at);
    const delay = outcome.retry === false ? undefined : sender.retryDelaysMs[row.attempts - 1];
    await outbox.fail(row, attempt, at, delay === undefined ? null : at + delay);
  }

  /** Claims while lanes are free and rows are due; a call during a claim claims again after it. */
  function claim(): Promise<void> {
    if (claiming) {
      again = true;
      return claiming;
    }
    claiming = (async () => {
      do {
        again = false;
        while (inFlight.size < concurrency) {
          const rows = await outbox.claim(now(), concurrency - inFlight.size, { kinds: [sender.kind] });
          if (rows.length === 0) break;
          for (const row of rows) {
            const running: Promise<void> = sendOne(row)
              .catch((error: unknown) => options.onError?.(error))
              .finally(() => {
                inFlight.delete(running);
                if (!stopped) void claim();
              });
            inFlight.add(running);
          }
        }
      } while (again);
    })()
      .catch((error: unknown) => options.onError?.(error))
      .finally(() => {
        claiming = null;
      });
    return claiming;
  }

  return {
    start(): () => Promise<void> {
      stopped = false;
      timer = setInterval(() => void claim(), pollMs);
      timer.unref();
      void claim();
      return async () => {
        stopped = true;
        if (timer) clearInterval(timer);
        timer = null;
        options.onStop?.();
        await claiming;
        await Promise.all(inFlight);
      };
    },
    /** A reply was enqueued (after its commit): claim it now. */
    nudge(): void {
      if (!stopped) void claim();
    },
    /** Resolves once nothing is due and nothing is being sent (tests, with an injected clock). */
    async drain(): Promise<void> {
      for (;;) {
        await claim();
        if (inFlight.size === 0) {
          await claim();
          if (inFlight.size === 0) return;
        }
        await Promise.race(inFlight);
      }
    },
  };
}

export type AssistantRunner = ReturnType<typeof createAssistantRunner>;
