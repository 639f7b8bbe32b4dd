/**
 * Group commit for SQLite: small writes that arrive together (a session and an audit entry per sign-in,
 * from many concurrent sign-ins) run in one transaction, so they share one WAL commit instead of paying one
 * each. Every caller still waits for its own write to be committed before answering. On PostgreSQL, where
 * writes from a pool run in parallel, each write simply runs on its own.
 */
import type { Kysely } from 'kysely';
import type { Store } from './database.js';
import type { Database } from './schema.js';

type Write = (executor: Kysely<Database>) => Promise<unknown>;

const MAX_BATCH = 256;

export function createWriteBatcher(store: Store) {
  let queue: { write: Write; resolve: () => void; reject: (e: unknown) => void }[] = [];
  let scheduled = false;

  async function flush(): Promise<void> {
    scheduled = false;
    const batch = queue.splice(0, MAX_BATCH);
    if (queue.length > 0) schedule();
    try {
      await store.db.transaction().execute(async (trx) => {
        for (const item of batch) await item.write(trx);
      });
      for (const item of batch) item.resolve();
    } catch {
      // One bad write must not fail its neighbours: run each on its own and report each outcome.
      for (const item of batch) item.write(store.db).then(() => item.resolve(), item.reject);
    }
  }

  function schedule(): void {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => void flush());
  }

  return {
    /** Runs `write` (in a shared transaction on SQLite) and resolves once it is committed. */
    run(write: Write): Promise<void> {
      if (store.dialect !== 'sqlite') return write(store.db).then(() => undefined);
      return new Promise((resolve, reject) => {
        queue.push({ write, resolve, reject });
        schedule();
      });
    },
  };
}

export type WriteBatcher = ReturnType<typeof createWriteBatcher>;
