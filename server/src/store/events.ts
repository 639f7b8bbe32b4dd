/**
 * The event log behind `GET /api/v1/events`. Ids only grow, and (on PostgreSQL, through an advisory lock
 * held until commit) become visible in id order, so a client resuming after id N can never miss an event
 * that commits later with a smaller id.
 */
import { type Kysely, type Selectable, sql } from 'kysely';
import type { Store } from './database.js';
import type { Database, EventsTable } from './schema.js';
import { enqueueWebhookEvent } from '../outbound/webhook-events.js';

export type EventRow = Omit<Selectable<EventsTable>, 'id'> & { id: number };

const EVENT_ORDER_LOCK_KEY = 0x45766e74; // "Evnt"

/** The NOTIFY channel that wakes every instance's fan-out (chat/cluster-fanout.ts) when events commit. */
export const EVENTS_CHANNEL = 'parley_events';

export function createEventRepository(store: Store) {
  const { db } = store;
  return {
    /** Appends an event inside the caller's transaction. */
    async append(
      executor: Kysely<Database>,
      input: { conversationId: string; organizationId: string; documentId: string | null; type: string; payload: unknown; internal?: boolean },
      now: number,
    ): Promise<EventRow> {
      if (store.dialect === 'postgres') await sql`select pg_advisory_xact_lock(${EVENT_ORDER_LOCK_KEY})`.execute(executor);
      const row = {
        conversation_id: input.conversationId,
        organization_id: input.organizationId,
        document_id: input.documentId,
        type: input.type,
        payload: JSON.stringify(input.payload),
        created_at: now,
        internal: input.internal ? 1 : 0,
      };
      const { id } = await executor.insertInto('events').values(row).returning('id').executeTakeFirstOrThrow();
      // Webhook deliveries of the event, in its transaction; internal notes' events are never sent out.
      if (!input.internal) await enqueueWebhookEvent(store, executor, { organizationId: input.organizationId, type: input.type, data: input.payload, subject: input.conversationId }, now);
      // Delivered at commit, to every instance listening (PostgreSQL only).
      if (store.dialect === 'postgres') await sql`select pg_notify(${EVENTS_CHANNEL}, '')`.execute(executor);
      return { ...row, id: Number(id) };
    },

    /**
     * Events after `afterId`, oldest first: of the conversations a user takes part in (never an internal
     * one: those are for administrators), or (for an administrator's stream) of every conversation of an
     * organization.
     */
    async listSince(scope: { userId: string } | { organizationId: string }, afterId: number, limit: number): Promise<EventRow[]> {
      let query = db.selectFrom('events').selectAll().where('id', '>', afterId);
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

    /** Every event after `afterId`, oldest first (the cluster fan-out's reader). */
    async listAfter(afterId: number, limit: number): Promise<EventRow[]> {
      const rows = await db.selectFrom('events').selectAll().where('id', '>', afterId).orderBy('id', 'asc').limit(limit).execute();
      return rows.map((r) => ({ ...r, id: Number(r.id) }));
    },

    async latestId(): Promise<number> {
      const row = await db.selectFrom('events').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst();
      return Number(row?.id ?? 0);
    },
  };
}

export type EventRepository = ReturnType<typeof createEventRepository>;
