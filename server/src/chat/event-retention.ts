/**
 * Keeps the event log to `PARLEY_EVENT_RETENTION`: every `intervalMs` it deletes the events created before
 * then, in batches (store/events.ts, prune), so that no round holds the table long. A failed round is the
 * next round's work; rounds never overlap. With several instances each runs its own, and deleting what
 * another already deleted is nothing. A stream resuming from a deleted id is told to resync
 * (routes/chat/events.ts).
 */
import type { EventRepository } from '../store/events.js';

export const RETENTION_CHECK_MS = 10 * 60_000;
export const RETENTION_BATCH = 1000;

/** Deletes every event created before `now() - retentionMs`, a batch at a time; answers how many. */
export async function pruneEvents(events: Pick<EventRepository, 'prune'>, before: number, batch = RETENTION_BATCH): Promise<number> {
  let deleted = 0;
  for (;;) {
    const n = await events.prune(before, batch);
    deleted += n;
    if (n < batch) return deleted;
  }
}

export function startEventRetention(options: {
  events: Pick<EventRepository, 'prune'>;
  now: () => number;
  retentionMs: number;
  intervalMs?: number;
  onError?: (error: unknown) => void;
}): () => Promise<void> {
  let running: Promise<void> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = pruneEvents(options.events, options.now() - options.retentionMs)
      .then(
        () => undefined,
        (error: unknown) => options.onError?.(error),
      )
      .finally(() => {
        running = null;
      });
  }, options.intervalMs ?? RETENTION_CHECK_MS);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
