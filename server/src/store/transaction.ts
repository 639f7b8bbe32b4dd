/**
 * Transactions that span repositories. A use case runs its change and its audit entry in one transaction:
 * `inTransaction(store, (tx) => …)` hands it a `Store` whose `db` is the transaction, so the repositories it
 * builds on `tx` write inside it. Their read caches are the root store's, passed through: a write inside
 * forgets the root's entries at once, and nothing read inside (possibly rolled back) is ever kept.
 */
import type { Kysely } from 'kysely';
import type { Store } from './database.js';
import type { Database } from './schema.js';

/** The store a transaction belongs to (itself, outside one). */
const rootOf = (store: Store): Store => store.root ?? store;

/** Runs `run` in a transaction over `store`; inside one already, it joins it. */
export function inTransaction<T>(store: Store, run: (tx: Store) => Promise<T>): Promise<T> {
  if (store.db.isTransaction) return run(store);
  return store.db.transaction().execute((trx) => run({ db: trx, dialect: store.dialect, close: store.close, root: rootOf(store) }));
}

/**
 * A repository's own multi-statement write: its own transaction, or the caller's when it already runs in
 * one (Kysely does not nest transactions; PostgreSQL advisory locks taken inside last until the outer end).
 */
export function transact<T>(db: Kysely<Database>, run: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  return db.isTransaction ? run(db) : db.transaction().execute(run);
}
