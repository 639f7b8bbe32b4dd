/**
 * The outbox: everything that leaves Parley (an email, a webhook delivery, a notice that may become an email)
 * is a row written by `enqueue` inside the transaction of the change that causes it, so that it exists
 * exactly when the change does. outbound/worker.ts claims due rows, hands each to the sender of its kind and
 * records the outcome: done, another try later (`next_attempt_at`), or failed for good.
 *
 * Claiming is one `UPDATE … RETURNING` over rows that are due, or whose claim's lease ran out (an instance
 * that stopped mid-send): on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so that instances sharing the database
 * never claim the same row. Rows with the same `ordering_key` go one at a time, oldest first: a row waits
 * while an older one of its key is pending or being sent (a webhook endpoint's events of one conversation
 * arrive in order, even across retries).
 */
import { type Kysely, type Selectable, sql } from 'kysely';
import type { Store } from './database.js';
import type { Database, OutboxAttemptsTable, OutboxTable } from './schema.js';
import { newId } from '../ids.js';

export type OutboxRow = Omit<Selectable<OutboxTable>, 'seq'> & { seq: number };
export type OutboxAttemptRow = Omit<Selectable<OutboxAttemptsTable>, 'id' | 'outbox_seq'> & { id: number; outbox_seq: number };

export interface OutboxItem {
  kind: string;
  /** The row's public id (a webhook's `webhook-id`); a new `out_…` id when absent. */
  id?: string;
  /** What the row is for (a webhook endpoint's id, an account's id): its log is listed by it. */
  target?: string | null;
  /** Rows of one key are sent one at a time, in the order enqueued. */
  orderingKey?: string | null;
  payload: unknown;
  /** When it may be sent first (default: now). */
  dueAt?: number;
}

/** One try's record: how long it took and what came back. */
export interface AttemptRecord {
  durationMs: number;
  statusCode?: number | null;
  error?: string | null;
}

/** How long a claim holds a row before another worker may take it again (a stopped instance's rows). */
export const OUTBOX_LEASE_MS = 60_000;

/** At most this many characters of an error are kept. */
const ERROR_CHARS = 500;
const clip = (error: string | null | undefined) => (error == null ? null : error.slice(0, ERROR_CHARS));

const toRow = (row: Selectable<OutboxTable>): OutboxRow => ({
  ...row,
  seq: Number(row.seq),
  attempts: Number(row.attempts),
  next_attempt_at: Number(row.next_attempt_at),
  locked_until: row.locked_until === null ? null : Number(row.locked_until),
  created_at: Number(row.created_at),
  updated_at: Number(row.updated_at),
  done_at: row.done_at === null ? null : Number(row.done_at),
});

export function createOutboxRepository(store: Store) {
  const { db, dialect } = store;

  /** Writes the try's record and the row's new state, in one transaction. */
  async function settle(row: OutboxRow, attempt: AttemptRecord, now: number, change: Partial<Selectable<OutboxTable>>): Promise<void> {
    await db.transaction().execute(async (trx) => {
      await trx
        .insertInto('outbox_attempts')
        .values({ outbox_seq: row.seq, attempt: row.attempts, at: now, duration_ms: Math.max(0, Math.round(attempt.durationMs)), status_code: attempt.statusCode ?? null, error: clip(attempt.error) })
        .execute();
      // Only the claim it holds: a row taken over by another worker after the lease is that worker's.
      await trx
        .updateTable('outbox')
        .set({ ...change, locked_until: null, updated_at: now })
        .where('seq', '=', row.seq)
        .where('status', '=', 'sending')
        .where('attempts', '=', row.attempts)
        .execute();
    });
  }

  /** Adds `items` inside the caller's transaction (`executor`); answers their ids. */
  async function enqueue(executor: Kysely<Database>, items: readonly OutboxItem[], now: number): Promise<string[]> {
    if (items.length === 0) return [];
    const rows = items.map((item) => ({
      id: item.id ?? newId('out'),
      kind: item.kind,
      target: item.target ?? null,
      ordering_key: item.orderingKey ?? null,
      payload: JSON.stringify(item.payload),
      status: 'pending' as const,
      attempts: 0,
      next_attempt_at: item.dueAt ?? now,
      locked_until: null,
      last_error: null,
      created_at: now,
      updated_at: now,
      done_at: null,
    }));
    await executor.insertInto('outbox').values(rows).execute();
    return rows.map((r) => r.id);
  }

  return {
    enqueue,

    /**
     * Adds `item` (it has an ordering key) unless a row of its key is pending or being sent. Answers whether
     * it did, and when the row of the key that is now waiting will first be sent: the new row's due time, the
     * pending one's, or null when the one found is being sent at this moment. One statement on PostgreSQL.
     * The caller keeps two writers of the key from deciding at once (a lock taken by an earlier statement of
     * its transaction and held until it ends): in READ COMMITTED this statement then sees every row the other
     * one committed.
     */
    async enqueueUnlessPending(executor: Kysely<Database>, item: OutboxItem & { orderingKey: string }, now: number): Promise<{ enqueued: boolean; dueAt: number | null }> {
      const key = item.orderingKey;
      const dueAt = item.dueAt ?? now;
      if (dialect === 'postgres') {
        const { rows } = await sql<{ enqueued: boolean; status: string | null; next_attempt_at: number | string | null }>`
          with found as (
            select status, next_attempt_at from outbox where ordering_key = ${key} and status in ('pending', 'sending') order by seq desc limit 1
          ),
          added as (
            insert into outbox (id, kind, target, ordering_key, payload, status, attempts, next_attempt_at, locked_until, last_error, created_at, updated_at, done_at)
            select ${item.id ?? newId('out')}::text, ${item.kind}::text, ${item.target ?? null}::text, ${key}::text, ${JSON.stringify(item.payload)}::text, 'pending', 0,
              ${dueAt}::bigint, null, null, ${now}::bigint, ${now}::bigint, null
            where not exists (select 1 from found)
            returning 1
          )
          select exists (select 1 from added) as enqueued, (select status from found) as status, (select next_attempt_at from found) as next_attempt_at`.execute(executor);
        const row = rows[0]!;
        if (row.enqueued) return { enqueued: true, dueAt };
        return { enqueued: false, dueAt: row.status === 'pending' && row.next_attempt_at !== null ? Number(row.next_attempt_at) : null };
      }
      const found = await executor.selectFrom('outbox').select(['status', 'next_attempt_at']).where('ordering_key', '=', key).where('status', 'in', ['pending', 'sending']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
      if (found) return { enqueued: false, dueAt: found.status === 'pending' ? Number(found.next_attempt_at) : null };
      await enqueue(executor, [item], now);
      return { enqueued: true, dueAt };
    },

    /**
     * Claims up to `limit` rows that may be sent at `now` (of `kinds` when given, none of `excludeKinds`), oldest due first: each is
     * marked as being sent, its attempt counted, and held for `leaseMs`.
     */
    async claim(now: number, limit: number, options: { leaseMs?: number; kinds?: readonly string[]; excludeKinds?: readonly string[] } = {}): Promise<OutboxRow[]> {
      const lease = now + (options.leaseMs ?? OUTBOX_LEASE_MS);
      const included = options.kinds && options.kinds.length > 0 ? sql`and o.kind in (${sql.join(options.kinds)})` : sql``;
      const excluded = options.excludeKinds && options.excludeKinds.length > 0 ? sql`and o.kind not in (${sql.join(options.excludeKinds)})` : sql``;
      const kinds = sql`${included} ${excluded}`;
      const lock = dialect === 'postgres' ? sql`for update skip locked` : sql``;
      const { rows } = await sql<Selectable<OutboxTable>>`
        update outbox set status = 'sending', attempts = attempts + 1, locked_until = ${lease}, updated_at = ${now}
        where seq in (
          select o.seq from outbox o
          where ((o.status = 'pending' and o.next_attempt_at <= ${now}) or (o.status = 'sending' and o.locked_until <= ${now}))
            ${kinds}
            and (o.ordering_key is null or not exists (
              select 1 from outbox e where e.ordering_key = o.ordering_key and e.seq < o.seq and e.status in ('pending', 'sending')))
          order by o.next_attempt_at, o.seq
          limit ${limit}
          ${lock})
        returning *`.execute(db);
      return rows.map(toRow).sort((a, b) => a.next_attempt_at - b.next_attempt_at || a.seq - b.seq);
    },

    /** The row was sent; `kept` (JSON), when given, replaces its payload (what of it may stay stored). */
    async succeed(row: OutboxRow, attempt: AttemptRecord, now: number, kept?: string): Promise<void> {
      await settle(row, attempt, now, { status: 'done', done_at: now, last_error: null, ...(kept === undefined ? {} : { payload: kept }) });
    },

    /** The try failed: another at `nextAttemptAt`, or (null) never again, its payload then replaced by `kept` when given. */
    async fail(row: OutboxRow, attempt: AttemptRecord, now: number, nextAttemptAt: number | null, kept?: string): Promise<void> {
      const error = clip(attempt.error ?? (attempt.statusCode ? `HTTP ${attempt.statusCode}` : 'failed'));
      await settle(
        row,
        attempt,
        now,
        nextAttemptAt === null ? { status: 'failed', done_at: now, last_error: error, ...(kept === undefined ? {} : { payload: kept }) } : { status: 'pending', next_attempt_at: nextAttemptAt, last_error: error },
      );
    },

    /**
     * Sends a row again from now, with the same id (a delivery's "Resend"), with its tries counted afresh (the
     * record of the earlier ones stays); answers whether it changed: not for an unknown row, nor for one
     * being sent at this moment.
     */
    async resend(id: string, now: number): Promise<boolean> {
      const changed = await db
        .updateTable('outbox')
        .set({ status: 'pending', attempts: 0, next_attempt_at: now, locked_until: null, done_at: null, updated_at: now })
        .where('id', '=', id)
        .where('status', '!=', 'sending')
        .executeTakeFirst();
      return Number(changed.numUpdatedRows) > 0;
    },

    /** The row of `id`, or undefined. */
    async find(id: string): Promise<OutboxRow | undefined> {
      const row = await db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toRow(row);
    },

    /** Rows of one `kind` and `target`, newest first, before `beforeSeq` (paging). */
    async listFor(kind: string, target: string, limit: number, beforeSeq?: number): Promise<OutboxRow[]> {
      let query = db.selectFrom('outbox').selectAll().where('kind', '=', kind).where('target', '=', target);
      if (beforeSeq !== undefined) query = query.where('seq', '<', beforeSeq);
      return (await query.orderBy('seq', 'desc').limit(limit).execute()).map(toRow);
    },

    /** The tries of rows, oldest first, by row. */
    async attemptsOf(seqs: readonly number[]): Promise<Map<number, OutboxAttemptRow[]>> {
      const byRow = new Map<number, OutboxAttemptRow[]>(seqs.map((seq) => [seq, []]));
      if (seqs.length === 0) return byRow;
      const rows = await db.selectFrom('outbox_attempts').selectAll().where('outbox_seq', 'in', seqs).orderBy('id', 'asc').execute();
      for (const r of rows) {
        const row = { ...r, id: Number(r.id), outbox_seq: Number(r.outbox_seq), at: Number(r.at) };
        byRow.get(row.outbox_seq)?.push(row);
      }
      return byRow;
    },

    /** Whether a row of `orderingKey` is still to be sent (pending or being sent); answers the newest one. */
    async pendingOf(orderingKey: string): Promise<OutboxRow | undefined> {
      const row = await db.selectFrom('outbox').selectAll().where('ordering_key', '=', orderingKey).where('status', 'in', ['pending', 'sending']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
      return row && toRow(row);
    },

    /** The newest row of `orderingKey` sent (done), or undefined. */
    async lastDoneOf(orderingKey: string): Promise<OutboxRow | undefined> {
      const row = await db.selectFrom('outbox').selectAll().where('ordering_key', '=', orderingKey).where('status', '=', 'done').orderBy('seq', 'desc').limit(1).executeTakeFirst();
      return row && toRow(row);
    },

    /** How many rows wait, by status (the admin panel's and the metrics' view). */
    async counts(): Promise<Record<'pending' | 'sending' | 'done' | 'failed', number>> {
      const rows = await db.selectFrom('outbox').select(['status', (eb) => eb.fn.countAll().as('n')]).groupBy('status').execute();
      const counts = { pending: 0, sending: 0, done: 0, failed: 0 };
      for (const r of rows) counts[r.status] = Number(r.n);
      return counts;
    },
  };
}

export type OutboxRepository = ReturnType<typeof createOutboxRepository>;
