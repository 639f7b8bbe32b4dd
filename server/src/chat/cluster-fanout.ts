/**
 * Live events across instances. On PostgreSQL every event insert also sends `NOTIFY parley_events`
 * (delivered at commit); each instance LISTENs, reads the events it has not published yet in id order, and
 * publishes them to its local bus, so a stream on any instance sees every event, in order, once. On SQLite
 * (one process) the chat service publishes directly.
 *
 * The cursor moves past an event only once the event has been handed to the bus: when a read fails (the
 * database went away), the relay tries the same step again shortly, and the event is neither lost nor sent
 * twice.
 */
import { LISTEN_RESUMED, type Store } from '../store/database.js';
import { CHANGE_PREFIX, type Changes } from '../store/changes.js';
import type { ConversationRepository } from '../store/conversations.js';
import { EVENTS_CHANNEL, type EventRepository } from '../store/events.js';
import type { EventBus } from './event-bus.js';

const BATCH = 500;
/** Delays between attempts after a failed read: 100 ms doubling up to 1 s, so it is back within a second. */
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 1000;

export interface ClusterFanoutDeps {
  store: Pick<Store, 'listen'>;
  events: Pick<EventRepository, 'latestId' | 'listAfter'>;
  conversations: Pick<ConversationRepository, 'participantIds'>;
  bus: Pick<EventBus, 'deliver'>;
  changes: Pick<Changes, 'heard'>;
}

/** Starts relaying committed events from the database to the local bus; answers the stop function. */
export async function startClusterFanout(deps: ClusterFanoutDeps): Promise<() => Promise<void>> {
  const { store, events, conversations, bus, changes } = deps;
  if (!store.listen) throw new TypeError('cluster fan-out needs a store that can LISTEN (PostgreSQL)');
  let cursor = await events.latestId();
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;

  async function drain(): Promise<void> {
    do {
      again = false;
      for (;;) {
        const batch = await events.listAfter(cursor, BATCH);
        for (const event of batch) {
          const participantIds = await conversations.participantIds(event.conversation_id);
          if (stopped) return;
          bus.deliver({ event, participantIds });
          cursor = event.id;
        }
        if (batch.length < BATCH) break;
      }
    } while (again && !stopped);
  }

  const wake = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    clearTimeout(retry);
    retry = undefined;
    running = drain()
      .then(
        () => {
          failures = 0;
        },
        () => {
          // The database is unreachable for now: try again shortly (a reconnecting listener also wakes us).
          again = false;
          if (stopped) return;
          retry = setTimeout(wake, Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** failures++));
          retry.unref();
        },
      )
      .finally(() => {
        running = null;
        // A notification that came after drain() last looked for more must not wait for the next one.
        if (again) wake();
      });
  };
  // The channel also carries changes (store/changes.ts), in commit order with the events: hand those to the
  // change feed. After a reconnect, announcements may have been missed: everything counts as changed.
  const stop = await store.listen(EVENTS_CHANNEL, (payload) => {
    if (payload.startsWith(CHANGE_PREFIX)) return changes.heard(payload.slice(CHANGE_PREFIX.length));
    if (payload === LISTEN_RESUMED) changes.heard('*');
    wake();
  });
  wake(); // anything committed between reading the cursor and listening
  return async () => {
    stopped = true;
    clearTimeout(retry);
    await stop();
    await running;
  };
}
