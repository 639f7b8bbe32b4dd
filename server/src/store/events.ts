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

    async latestId(): Promise<number> {
      const row = await db.selectFrom('events').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst();
      return Number(row?.id ?? 0);
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
