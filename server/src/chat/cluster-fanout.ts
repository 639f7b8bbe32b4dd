/**
 * Live events across instances. On PostgreSQL every event insert also sends `NOTIFY parley_events`
 * (delivered at commit); each instance LISTENs, reads the events it has not published yet in id order, and
 * publishes them to its local bus, so a stream on any instance sees every event, in order, once. On SQLite
 * (one process) the chat service publishes directly.
 *
 * Appends take no lock, so ids may commit out of order: the relay reads only up to the newest *final* fence
 * (store/events.ts says why that is enough). At each wake after a notification it takes a new fence; a
 * fence becomes final once the transactions running when it was taken have ended. While one is pending the
 * relay looks again after a short delay (the appends it waits for wake it too, when they commit). `horizon`
 * tells the event streams how far every event has been published: a stream replays the log only up to it,
 * and starts there when it has no Last-Event-ID. At start the relay waits for its first fence, so that no
 * stream of this instance ever starts past an id still to commit.
 *
 * The cursor moves past an event only once the event has been handed to the bus: when a read fails (the
 * database went away), the relay tries the same step again shortly, and the event is neither lost nor sent
 * twice.
 */
import { LISTEN_RESUMED, type Store } from '../store/database.js';
import { CHANGE_PREFIX, type Changes } from '../store/changes.js';
import type { ConversationRepository } from '../store/conversations.js';
import { EVENTS_CHANNEL, type EventFence, type EventRepository } from '../store/events.js';
import type { EventBus } from './event-bus.js';

const BATCH = 500;
/** Delays between attempts after a failed read: 100 ms doubling up to 1 s, so it is back within a second. */
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 1000;
/** While a fence is pending: look again after 2 ms, doubling up to 100 ms. */
const PENDING_FIRST_MS = 2;
const PENDING_MAX_MS = 100;

/** How far the relay has published every event (null until it has started; SQLite has none). */
export interface EventHorizon {
  through: number | null;
}

export interface ClusterFanoutDeps {
  store: Pick<Store, 'listen'>;
  events: Pick<EventRepository, 'fence' | 'watermark' | 'listAfter'>;
  conversations: Pick<ConversationRepository, 'participantIdsOf'>;
  bus: Pick<EventBus, 'deliver'>;
  changes: Pick<Changes, 'heard'>;
  /** Set as the relay publishes. */
  horizon?: EventHorizon;
  /** Told the first failure of a run of them (the database away, a query refused). */
  onError?: (error: unknown) => void;
}

/** Starts relaying committed events from the database to the local bus; answers the stop function. */
export async function startClusterFanout(deps: ClusterFanoutDeps): Promise<() => Promise<void>> {
  const { store, events, conversations, bus, changes } = deps;
  const horizon = deps.horizon ?? { through: null };
  if (!store.listen) throw new TypeError('cluster fan-out needs a store that can LISTEN (PostgreSQL)');
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  /** Fences taken and not yet final, oldest first. */
  const fences: EventFence[] = [];
  /** Whether a notification came since the last fence was taken: events may have committed past it. */
  let notified = true;
  let pendingDelay = PENDING_FIRST_MS;
  /** Every event ≤ `final` is final; every event ≤ `cursor` has been published (or predates the relay). */
  let final = 0;
  let cursor = 0;

  /** Moves `final` over the fences that `watermark` shows final. */
  function finalize(watermark: bigint): void {
    while (fences.length > 0 && fences[0]!.xid <= watermark) {
      final = Math.max(final, fences.shift()!.reserved);
      pendingDelay = PENDING_FIRST_MS;
    }
  }

  /**
   * Takes a fence if something may have committed since the last, and moves `final` over those now final.
   * The fence's statement also answers a watermark for the fences before it; under load (fences pending)
   * the new one is left to the next look (the next notification's, or the pending timer's), so that a
   * drain costs one round trip before its read, not two. From idle it is looked at at once.
   */
  async function settle(): Promise<void> {
    const pendingBefore = fences.length > 0;
    if (notified) {
      // Cleared only once the fence is taken: a failed fence is taken again at the retry.
      const fence = await events.fence();
      notified = false;
      finalize(fence.watermark);
      // A fence over ids already final is of no use (no event was appended since).
      if (fence.reserved > (fences.at(-1)?.reserved ?? final)) fences.push({ reserved: fence.reserved, xid: fence.xid });
      if (pendingBefore) return;
    }
    if (fences.length === 0) return;
    finalize(await events.watermark());
  }

  // The first fence, final before the relay starts: events up to it are not relayed, later ones are.
  await settle();
  while (fences.length > 0) {
    await new Promise((resolve) => setTimeout(resolve, pendingDelay));
    pendingDelay = Math.min(PENDING_MAX_MS, pendingDelay * 2);
    await settle();
  }
  pendingDelay = PENDING_FIRST_MS;
  cursor = final;
  horizon.through = cursor;

  async function drain(): Promise<void> {
    do {
      again = false;
      await settle();
      while (cursor < final) {
        const batch = await events.listAfter(cursor, BATCH, final);
        // One read of the participants for the whole batch, after its events committed: what a read per event
        // would see, in one round trip.
        const participants = await conversations.participantIdsOf(batch.map((event) => event.conversation_id));
        if (stopped) return;
        for (const event of batch) {
          bus.deliver({ event, participantIds: participants.get(event.conversation_id) ?? [] });
          cursor = event.id;
          horizon.through = cursor;
        }
        if (batch.length < BATCH) {
          cursor = final;
          horizon.through = cursor;
        }
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
          // A fence still pending: look again soon (its transactions may not notify: they need not append).
          if (fences.length > 0 && !stopped && !again) {
            retry = setTimeout(wake, pendingDelay);
            retry.unref();
            pendingDelay = Math.min(PENDING_MAX_MS, pendingDelay * 2);
          }
        },
        (error: unknown) => {
          // The database is unreachable for now: try again shortly (a reconnecting listener also wakes us).
          if (failures === 0) deps.onError?.(error);
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
    notified = true;
    wake();
  });
  notified = true;
  wake(); // anything committed between the first fence and listening
  return async () => {
    stopped = true;
    clearTimeout(retry);
    await stop();
    await running;
  };
}
