/** Reads a server-sent event stream with fetch, the way the widget will: frames parsed as they arrive. */
import type { Kysely } from 'kysely';
import type { Database } from '../../server/src/store/schema.js';

export interface SseFrame {
  id?: string;
  event?: string;
  data?: string;
  /** The reconnection time the server asks for (`retry:`), as sent. */
  retry?: string;
  comment?: string;
}

export interface SseReader {
  frames: SseFrame[];
  /** Resolves once `predicate` holds for the frames received so far (bounded by `timeoutMs`). */
  until(predicate: (frames: SseFrame[]) => boolean, timeoutMs?: number): Promise<SseFrame[]>;
  close(): void;
  status: number;
  /** Resolves when the server ends the stream (or the test closes it). */
  ended: Promise<void>;
}

export async function openSse(url: string, headers: Record<string, string>): Promise<SseReader> {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  const frames: SseFrame[] = [];
  const waiters = new Set<() => void>();
  let markEnded: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => (markEnded = resolve));
  if (!response.body) markEnded();
  if (response.body) {
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) !== -1) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const frame: SseFrame = {};
            for (const line of block.split('\n')) {
              if (line.startsWith(':')) frame.comment = line.slice(1).trim();
              else {
                const colon = line.indexOf(':');
                const field = line.slice(0, colon);
                const value = line.slice(colon + 1).replace(/^ /, '');
                if (field === 'id' || field === 'event' || field === 'data' || field === 'retry') frame[field] = value;
              }
            }
            frames.push(frame);
            for (const wake of waiters) wake();
          }
        }
      } catch {
        // aborted
      }
      markEnded();
    })();
  }
  return {
    frames,
    status: response.status,
    until(predicate, timeoutMs = 3000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (predicate(frames)) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(frames);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`SSE condition not met in ${timeoutMs} ms; frames: ${JSON.stringify(frames)}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () => controller.abort(),
    ended,
  };
}

/**
 * Headers that open a stream from now on: `Last-Event-ID` is the newest event committed. Without it, a stream
 * on PostgreSQL starts after the last event its instance has relayed, and may still deliver events committed
 * just before it opened (LISTEN brings them a moment later): a test counting events would count those too.
 */
export async function fromNow(db: Kysely<Database>, headers: Record<string, string>): Promise<Record<string, string>> {
  const row = await db.selectFrom('events').select((eb) => eb.fn.max('id').as('last')).executeTakeFirst();
  const last = Number(row?.last ?? 0);
  return last > 0 ? { ...headers, 'last-event-id': String(last) } : headers;
}
