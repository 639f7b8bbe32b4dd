/**
 * The event log behind `GET /api/v1/events`. Ids only grow; a stream's position (its SSE id, and a
 * Last-Event-ID) is an event id, and a stream that resumes after id N is sent every event after N, once.
 *
 * On SQLite one writer commits at a time, so events become visible in id order: any id is final once read.
 *
 * On PostgreSQL appends run concurrently, with no lock between them: ids come from the table's sequence, so
 * a transaction may take id 103, another 105 and commit first. A reader that saw 105 and moved its position
 * past it would never send 103. So nothing reads past a *fence*: an id below which every event is final
 * (committed and visible, or never to be). A fence is taken in two steps (`fence()`):
 *  1. `reserved`: the sequence's last value, L. Every id ≤ L has been handed out by now; every later one is > L.
 *  2. `xid`: a fresh transaction id Y, taken after step 1 (the subquery is evaluated before the select list).
 * Every appending transaction takes its own transaction id before its event's id (`append` asks for
 * `pg_current_xact_id()` first, unless the transaction holds it already: PostgreSQL assigns it at the first
 * write, and the caller says it wrote, or the transaction appended before), so a transaction holding an id ≤ L got its xid before step 1, hence before
 * Y: its xid is < Y (xids are assigned in increasing order). Once the oldest transaction still running has
 * an xid ≥ Y (`watermark()`, the xmin of a snapshot taken after the fence's own transaction ended), every
 * transaction that could hold an id ≤ L has ended, and a read in that snapshot or a later one sees every
 * committed event ≤ L: the fence's L is final. The cluster fan-out (chat/cluster-fanout.ts) publishes
 * events only up to the newest final fence, in id order, and streams replay the log only up to what the
 * fan-out has published (`listSince`'s `upTo`), so no reader ever passes an id that may still commit.
 *
 * The price: delivery waits for the transactions running when a fence is taken (an append's: a few ms).
 * A transaction that holds an xid for long, anywhere on the PostgreSQL server (an open transaction that
 * wrote, left idle), holds every stream's delivery back until it ends; docs/deploy.md says how to bound it.
 * Each fence also uses one transaction id (one a drain of the fan-out, not one an event).
 *
 * Retention (`prune`) deletes old events in batches and records the newest id it deleted; a stream that
 * resumes from before it (`prunedThrough()`) has missed events that are gone, and is told to resync.
 */
import { type Kysely, type Selectable, sql } from 'kysely';
import type { Store } from './database.js';
import type { Database, EventsTable } from './schema.js';
import { transact } from './transaction.js';
import { enqueueWebhookEvent } from '../outbound/webhook-events.js';

export type EventRow = Omit<Selectable<EventsTable>, 'id'> & { id: number };

/** A fence (see above): every event id ≤ `reserved` is final once the watermark reaches `xid`. */
export interface EventFence {
  reserved: number;
  xid: bigint;
}

/**
 * A new fence, and the watermark of the statement that took it: the oldest transaction running when that
 * statement began. It may tell that fences taken by earlier statements are final, never this one (a
 * transaction that took its xid after the statement began, and an id before `reserved` was read, is not in it).
 */
export interface FenceWithWatermark extends EventFence {
  watermark: bigint;
}

/** The NOTIFY channel that wakes every instance's fan-out (chat/cluster-fanout.ts) when events commit. */
export const EVENTS_CHANNEL = 'parley_events';

/**
 * Transactions known to hold their xid already (they appended an event, which wrote a row): a later append in
 * the same transaction need not ask for it again. Weak, so a finished transaction's entry goes with it.
 */
const holdingXid = new WeakSet<Kysely<Database>>();

export function createEventRepository(store: Store) {
  const { db } = store;
  return {
    /**
     * Appends an event inside the caller's transaction. `afterWrite`: the transaction has already written a
     * row (an insert or update that changed something), so it holds its xid, taken before this event's id
     * (PostgreSQL assigns a transaction's xid at its first write); the round trip that asks for it is spared.
     */
    async append(
      executor: Kysely<Database>,
      input: { conversationId: string; organizationId: string; documentId: string | null; type: string; payload: unknown; internal?: boolean },
      now: number,
      options: { afterWrite?: boolean } = {},
    ): Promise<EventRow> {
      const postgres = store.dialect === 'postgres';
      // The transaction's xid before the event's id: what makes a fence's argument hold (see above).
      if (postgres && options.afterWrite !== true && !holdingXid.has(executor)) await sql`select pg_current_xact_id()`.execute(executor);
      const row = {
        conversation_id: input.conversationId,
        organization_id: input.organizationId,
        document_id: input.documentId,
        type: input.type,
        payload: JSON.stringify(input.payload),
        created_at: now,
        internal: input.internal ? 1 : 0,
      };
      // On PostgreSQL the insert also sends `NOTIFY parley_events` (from its RETURNING, in the same round trip),
      // which is delivered at commit to every instance listening; identical notifications of one transaction
      // are delivered once.
      const { id } = postgres
        ? await executor.insertInto('events').values(row).returning(['id', sql<string>`pg_notify(${EVENTS_CHANNEL}, '')`.as('notified')]).executeTakeFirstOrThrow()
        : await executor.insertInto('events').values(row).returning('id').executeTakeFirstOrThrow();
      if (postgres) holdingXid.add(executor);
      // Webhook deliveries of the event, in its transaction; internal notes' events are never sent out.
      if (!input.internal) await enqueueWebhookEvent(store, executor, { organizationId: input.organizationId, type: input.type, data: input.payload, subject: input.conversationId }, now);
      return { ...row, id: Number(id) };
    },

    /**
     * Events after `afterId`, oldest first: of the conversations a user takes part in (never an internal
     * one: those are for administrators), or (for an administrator's stream) of every conversation of an
     * organization. Never past `upTo` when given (what the cluster fan-out has published: see above).
     */
    async listSince(scope: { userId: string } | { organizationId: string }, afterId: number, limit: number, upTo?: number): Promise<EventRow[]> {
      let query = db.selectFrom('events').selectAll().where('id', '>', afterId);
      if (upTo !== undefined) query = query.where('id', '<=', upTo);
      query =
        'userId' in scope
          ? query.where('internal', '=', 0).where((eb) =>
              eb.or([
                eb('conversation_id', 'in', eb.selectFrom('participants').select('conversation_id').where('user_id', '=', scope.userId)),
                // Document rooms are read by grant, not participation: the stream checks each one's grant.
                eb.and([eb('document_id', 'is not', null), eb('organization_id', '=', eb.selectFrom('users').select('organization_id').where('id', '=', scope.userId))]),
              ]),
            )
          : query.where('organization_id', '=', scope.organizationId);
      const rows = await query
        .orderBy('id', 'asc')
        .limit(limit)
        .execute();
      return rows.map((r) => ({ ...r, id: Number(r.id) }));
    },

    /** Every event after `afterId` and up to `upTo`, oldest first (the cluster fan-out's reader). */
    async listAfter(afterId: number, limit: number, upTo: number): Promise<EventRow[]> {
      const rows = await db.selectFrom('events').selectAll().where('id', '>', afterId).where('id', '<=', upTo).orderBy('id', 'asc').limit(limit).execute();
      return rows.map((r) => ({ ...r, id: Number(r.id) }));
    },

    /**
     * PostgreSQL: a new fence (see above), with the watermark of its own statement (FenceWithWatermark), so
     * that the relay learns about the earlier fences in the same round trip. The subquery (kept apart by
     * `offset 0`) reads the sequence before the select list takes the transaction id; the statement commits
     * on its own, ending that transaction.
     */
    async fence(): Promise<FenceWithWatermark> {
      const { rows } = await sql<{ reserved: string; xid: string; xmin: string }>`select reserved, pg_current_xact_id()::text as xid, pg_snapshot_xmin(pg_current_snapshot())::text as xmin from (select coalesce(pg_sequence_last_value(pg_get_serial_sequence('events', 'id')::regclass), 0) as reserved offset 0) s`.execute(db);
      return { reserved: Number(rows[0]!.reserved), xid: BigInt(rows[0]!.xid), watermark: BigInt(rows[0]!.xmin) };
    },

    /** PostgreSQL: the xid of the oldest transaction still running (the xmin of a snapshot taken now). */
    async watermark(): Promise<bigint> {
      const { rows } = await sql<{ xmin: string }>`select pg_snapshot_xmin(pg_current_snapshot())::text as xmin`.execute(db);
      return BigInt(rows[0]!.xmin);
    },

    /**
     * Deletes up to `batch` of the oldest events created before `before` (looking only at the oldest `batch`
     * by id, so that a round with nothing to delete reads no more than that) and records the newest id
     * deleted; answers how many were deleted.
     */
    async prune(before: number, batch: number): Promise<number> {
      return transact(db, async (trx) => {
        const oldest = trx.selectFrom('events').select(['id', 'created_at']).orderBy('id', 'asc').limit(batch).as('oldest');
        const ids = (await trx.selectFrom(oldest).select('id').where('created_at', '<', before).execute()).map((r) => Number(r.id));
        if (ids.length === 0) return 0;
        await trx.deleteFrom('events').where('id', 'in', ids).execute();
        const through = Math.max(...ids);
        await trx
          .insertInto('events_pruned')
          .values({ id: 1, through })
          .onConflict((oc) => oc.column('id').doUpdateSet({ through: sql`case when events_pruned.through > excluded.through then events_pruned.through else excluded.through end` }))
          .execute();
        return ids.length;
      });
    },

    /** The newest event id retention has deleted (0: none): a stream resuming from before it has a real gap. */
    async prunedThrough(): Promise<number> {
      const row = await db.selectFrom('events_pruned').select('through').where('id', '=', 1).executeTakeFirst();
      return Number(row?.through ?? 0);
    },

    /**
     * Rewrites, inside the caller's transaction, every stored event of `conversationId` that carries the message
     * `message.id` (as `message`, or as a conversation's `lastMessage`) to carry `message` as it now is: a
     * deleted message's text leaves the log too, so that no stream resuming from an old id replays it.
     */
    async rewriteMessage(executor: Kysely<Database>, conversationId: string, message: { id: string }): Promise<number> {
      const contains = store.dialect === 'postgres' ? sql<boolean>`strpos(payload, ${message.id}) > 0` : sql<boolean>`instr(payload, ${message.id}) > 0`;
      const rows = await executor.selectFrom('events').select(['id', 'payload']).where('conversation_id', '=', conversationId).where(contains).execute();
      let rewritten = 0;
      for (const row of rows) {
        const payload = JSON.parse(row.payload) as unknown;
        const replaced = replaceMessage(payload, message);
        if (replaced === payload) continue;
        await executor.updateTable('events').set({ payload: JSON.stringify(replaced) }).where('id', '=', row.id).execute();
        rewritten++;
      }
      return rewritten;
    },

    /** The newest id given out: the newest event's, or (the log emptied by retention) the newest deleted. */
    async latestId(): Promise<number> {
      const row = await db.selectFrom('events').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst();
      const pruned = await db.selectFrom('events_pruned').select('through').where('id', '=', 1).executeTakeFirst();
      return Math.max(Number(row?.id ?? 0), Number(pruned?.through ?? 0));
    },
  };
}

export type EventRepository = ReturnType<typeof createEventRepository>;

/** `value` with every message object of `message.id` in it replaced by `message` (the same value when none). */
function replaceMessage(value: unknown, message: { id: string }): unknown {
  if (Array.isArray(value)) {
    const items = value.map((item) => replaceMessage(item, message));
    return items.some((item, i) => item !== value[i]) ? items : value;
  }
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, unknown>;
  if (object['id'] === message.id && 'text' in object) return message;
  let changed = false;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(object)) {
    out[key] = replaceMessage(item, message);
    if (out[key] !== item) changed = true;
  }
  return changed ? out : value;
}
