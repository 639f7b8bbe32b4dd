/**
 * Live events across instances (PRODUCT.md §9). On PostgreSQL every event insert also sends
 * `NOTIFY parley_events` (delivered at commit); each instance LISTENs, reads the events it has not
 * published yet in id order, and publishes them to its local bus, so a stream on any instance sees every
 * event, in order, once. On SQLite (one process) the chat service publishes directly.
 */
import type { Store } from '../store/database.js';
import { EVENTS_CHANNEL, type EventRepository } from '../store/events.js';

const BATCH = 500;
import type { ConversationRepository } from '../store/conversations.js';
import type { EventBus } from './event-bus.js';

/** Starts relaying committed events from the database to the local bus; answers the stop function. */
export async function startClusterFanout(deps: { store: Store; events: EventRepository; conversations: ConversationRepository; bus: EventBus }): Promise<() => Promise<void>> {
  const { store, events, conversations, bus } = deps;
  if (!store.listen) throw new TypeError('cluster fan-out needs a store that can LISTEN (PostgreSQL)');
  let cursor = await events.latestId();
  let running: Promise<void> | null = null;
  let again = false;

  async function drain(): Promise<void> {
    do {
      again = false;
      for (;;) {
        const batch = await events.listAfter(cursor, BATCH);
        for (const event of batch) {
          cursor = event.id;
          bus.deliver({ event, participantIds: await conversations.participantIds(event.conversation_id) });
        }
        if (batch.length < BATCH) break;
      }
    } while (again);
  }

  const wake = () => {
    if (running) {
      again = true;
      return;
    }
    running = drain()
      .catch(() => {
        // The database is unreachable for now: try again shortly (a reconnecting listener also wakes us).
        setTimeout(wake, 1000).unref();
      })
      .finally(() => {
        running = null;
      });
  };
  const stop = await store.listen(EVENTS_CHANNEL, wake);
  wake(); // anything committed between reading the cursor and listening
  return async () => {
    await stop();
    await running;
  };
}
