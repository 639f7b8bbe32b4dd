/**
 * The one path by which a write tells readers that what they hold is stale. A repository announces a topic
 * (`grants:<userId>`, `documents`) in the statement or transaction of its write; whoever keeps state derived
 * from those rows (an event stream's grant index) subscribes and reloads.
 * - SQLite (one process serves the file): subscribers hear it at once. The single connection serialises the
 *   write and any reload behind it, so a reload never reads the old rows.
 * - PostgreSQL (several instances): the announcement is a NOTIFY on the events channel, sent in the writer's
 *   transaction, so every instance hears it at commit, on the connection that hears the events (relayed by
 *   chat/cluster-fanout.ts to `heard` as soon as it arrives; events are applied once the relay has read
 *   them, so an event committed just before a change may be judged by the change: docs/operations.md).
 */
import { sql, type Kysely } from 'kysely';
import type { Store } from './database.js';
import { EVENTS_CHANNEL } from './events.js';
import type { Database } from './schema.js';

/** The prefix that tells a change apart from an event wake-up on the events channel. */
export const CHANGE_PREFIX = 'change:';

export interface Changes {
  /** Announces `topic` through `db` (the writer's transaction, or the store's connection). */
  announce(db: Kysely<Database>, topic: string): Promise<void>;
  /** Calls `listener` for every topic announced; answers the unsubscribe function. */
  subscribe(listener: (topic: string) => void): () => void;
  /** A topic heard from the database (PostgreSQL's relay), or `*` when announcements may have been missed. */
  heard(topic: string): void;
}

const feeds = new WeakMap<Store, Changes>();

/** The change feed of a store (shared by the transactions that run on it). */
export function changesOf(store: Store): Changes {
  const root = store.root ?? store;
  let feed = feeds.get(root);
  if (!feed) {
    const listeners = new Set<(topic: string) => void>();
    const heard = (topic: string) => {
      for (const listener of listeners) listener(topic);
    };
    feed = {
      async announce(db, topic) {
        if (root.dialect === 'postgres') await sql`select pg_notify(${EVENTS_CHANNEL}, ${CHANGE_PREFIX + topic})`.execute(db);
        else heard(topic);
      },
      subscribe(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      heard,
    };
    feeds.set(root, feed);
  }
  return feed;
}
