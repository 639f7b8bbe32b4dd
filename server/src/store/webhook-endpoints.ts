/**
 * Webhook endpoints (Standard Webhooks): each organization's URLs, the event types each receives, its
 * signing secret, and since when its deliveries fail. Every chat event and account change asks which of its
 * organization's enabled endpoints take its type (`subscribedTo`): one indexed query, answered from a read
 * cache (read-cache.ts: exact on SQLite, kept on PostgreSQL until a write announces itself), which every
 * write here forgets and announces.
 */
import { type Kysely, type Selectable } from 'kysely';
import type { Store } from './database.js';
import type { Database, WebhookEndpointsTable } from './schema.js';
import { announceCacheChange, readCacheOf } from './read-cache.js';
import { newId } from '../ids.js';

export type WebhookEndpointRow = Omit<Selectable<WebhookEndpointsTable>, 'events'> & { events: string[] };

/** What an event needs to know of an endpoint to enqueue its delivery. */
export interface EndpointSubscription {
  id: string;
  events: readonly string[];
}

const CACHE = 'webhook_endpoints';

const toRow = (row: Selectable<WebhookEndpointsTable>): WebhookEndpointRow => {
  let events: string[] = [];
  try {
    const parsed: unknown = JSON.parse(row.events);
    if (Array.isArray(parsed)) events = parsed.filter((e): e is string => typeof e === 'string');
  } catch {
    // a malformed list receives nothing
  }
  return {
    ...row,
    events,
    enabled: Number(row.enabled),
    failing_since: row.failing_since === null ? null : Number(row.failing_since),
    created_at: Number(row.created_at),
    updated_at: Number(row.updated_at),
  };
};

export interface NewEndpoint {
  organizationId: string;
  url: string;
  description: string | null;
  events: readonly string[];
  enabled: boolean;
  secret: string;
}

export interface EndpointPatch {
  url?: string;
  description?: string | null;
  events?: readonly string[];
  enabled?: boolean;
  secret?: string;
}

export function createWebhookEndpointRepository(store: Store) {
  const { db } = store;
  const root = store.root ?? store;
  const cache = readCacheOf<{ endpoints: EndpointSubscription[] }>(root, CACHE, { announced: true });
  /** After every write: this process forgets at once, the others at the write's commit. */
  const changed = async (executor: Kysely<Database>) => {
    cache.clear();
    await announceCacheChange(store, executor, CACHE);
  };

  return {
    findById: async (id: string, executor: Kysely<Database> = db) => {
      const row = await executor.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toRow(row);
    },

    /** The organization's endpoints, oldest first. */
    async list(organizationId: string): Promise<WebhookEndpointRow[]> {
      const rows = await db.selectFrom('webhook_endpoints').selectAll().where('organization_id', '=', organizationId).orderBy('created_at').orderBy('id').execute();
      return rows.map(toRow);
    },

    /**
     * The organization's enabled endpoints that take `type`, read through `executor` (the event's own
     * transaction: a query on the root connection would wait behind it on SQLite) and kept in the root's
     * cache, which is exact: endpoints are never written in the transactions that append events.
     */
    async subscribedTo(executor: Kysely<Database>, organizationId: string, type: string): Promise<EndpointSubscription[]> {
      const entry = await cache.get(organizationId, async () => {
        const rows = await executor.selectFrom('webhook_endpoints').select(['id', 'events']).where('organization_id', '=', organizationId).where('enabled', '=', 1).orderBy('created_at').orderBy('id').execute();
        return { endpoints: rows.map((r) => ({ id: r.id, events: toRow({ ...r, events: r.events } as Selectable<WebhookEndpointsTable>).events })) };
      });
      return (entry?.endpoints ?? []).filter((e) => e.events.includes(type));
    },

    async create(executor: Kysely<Database>, input: NewEndpoint, now: number): Promise<WebhookEndpointRow> {
      const row = {
        id: newId('wh'),
        organization_id: input.organizationId,
        url: input.url,
        description: input.description,
        events: JSON.stringify(input.events),
        enabled: input.enabled ? 1 : 0,
        secret: input.secret,
        failing_since: null,
        disabled_reason: null,
        created_at: now,
        updated_at: now,
      };
      await executor.insertInto('webhook_endpoints').values(row).execute();
      await changed(executor);
      return toRow(row);
    },

    /** Changes an endpoint; enabling it again clears its failure and the reason it was disabled. */
    async update(executor: Kysely<Database>, id: string, patch: EndpointPatch, now: number): Promise<WebhookEndpointRow | undefined> {
      const values: Partial<Selectable<WebhookEndpointsTable>> = { updated_at: now };
      if (patch.url !== undefined) values.url = patch.url;
      if (patch.description !== undefined) values.description = patch.description;
      if (patch.events !== undefined) values.events = JSON.stringify(patch.events);
      if (patch.secret !== undefined) values.secret = patch.secret;
      if (patch.enabled !== undefined) {
        values.enabled = patch.enabled ? 1 : 0;
        if (patch.enabled) Object.assign(values, { failing_since: null, disabled_reason: null });
      }
      const row = await executor.updateTable('webhook_endpoints').set(values).where('id', '=', id).returningAll().executeTakeFirst();
      await changed(executor);
      return row && toRow(row);
    },

    async delete(executor: Kysely<Database>, id: string): Promise<boolean> {
      const result = await executor.deleteFrom('webhook_endpoints').where('id', '=', id).executeTakeFirst();
      await changed(executor);
      return Number(result.numDeletedRows) > 0;
    },

    /** A delivery failed: the endpoint fails since `now` unless it already did; answers since when. */
    async markFailing(id: string, now: number): Promise<number | null> {
      await db.updateTable('webhook_endpoints').set({ failing_since: now }).where('id', '=', id).where('failing_since', 'is', null).execute();
      const row = await db.selectFrom('webhook_endpoints').select('failing_since').where('id', '=', id).executeTakeFirst();
      return row?.failing_since == null ? null : Number(row.failing_since);
    },

    /** A delivery succeeded: the endpoint no longer fails. */
    async markHealthy(id: string): Promise<void> {
      await db.updateTable('webhook_endpoints').set({ failing_since: null }).where('id', '=', id).where('failing_since', 'is not', null).execute();
    },

    /** Disables an endpoint that is still enabled, with its reason; answers whether this call did it. */
    async disable(executor: Kysely<Database>, id: string, reason: string, now: number): Promise<boolean> {
      const result = await executor.updateTable('webhook_endpoints').set({ enabled: 0, disabled_reason: reason, updated_at: now }).where('id', '=', id).where('enabled', '=', 1).executeTakeFirst();
      await changed(executor);
      return Number(result.numUpdatedRows) > 0;
    },
  };
}

export type WebhookEndpointRepository = ReturnType<typeof createWebhookEndpointRepository>;
