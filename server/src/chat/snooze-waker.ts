/**
 * Ends snoozes on time: every `intervalMs` it asks the use case to open the conversations whose snooze has
 * run out. A failed round (the database away) is simply the next round's work; rounds never overlap. With
 * several instances each runs its own waker, and the use case's conditional update announces each
 * conversation once.
 */
export const SNOOZE_CHECK_MS = 15_000;

export function startSnoozeWaker(options: { wake: () => Promise<unknown>; intervalMs?: number; onError?: (error: unknown) => void }): () => Promise<void> {
  let running: Promise<void> | null = null;
  const timer = setInterval(() => {
    if (running) return;
    running = options
      .wake()
      .then(
        () => undefined,
        (error: unknown) => options.onError?.(error),
      )
      .finally(() => {
        running = null;
      });
  }, options.intervalMs ?? SNOOZE_CHECK_MS);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
