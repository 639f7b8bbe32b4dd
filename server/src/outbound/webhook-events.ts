/**
 * What a webhook endpoint is sent: `enqueueWebhookEvent` writes, in the transaction of the change, one outbox
 * row (kind `webhook`) per enabled endpoint of the organization that takes the event's type. The row's id
 * (`msg_…`) is the delivery's `webhook-id`, the same on every try and on Resend; its payload is the body,
 * `{"type","timestamp","data"}`, sent exactly as stored (outbound/webhook-sender.ts signs those bytes).
 * Rows of one endpoint and one conversation (or one account) share an ordering key, so they arrive in order.
 */
import type { Kysely } from 'kysely';
import type { Store } from '../store/database.js';
import { createOutboxRepository } from '../store/outbox.js';
import type { Database } from '../store/schema.js';
import { createWebhookEndpointRepository } from '../store/webhook-endpoints.js';
import { newId } from '../ids.js';
import { presentAdminUser } from '../admin/users.js';
import type { UserRow } from '../store/users.js';

export const WEBHOOK_KIND = 'webhook';

export interface WebhookEvent {
  organizationId: string;
  type: string;
  data: unknown;
  /** What orders this event among the endpoint's others: `conversation:<id>` is `<id>`, an account `user:<id>`. */
  subject: string;
}

/** Enqueues `event` for every endpoint that takes it, through `executor` (the change's transaction); answers the rows' ids. */
export async function enqueueWebhookEvent(store: Store, executor: Kysely<Database>, event: WebhookEvent, now: number): Promise<string[]> {
  const endpoints = await createWebhookEndpointRepository(store).subscribedTo(executor, event.organizationId, event.type);
  if (endpoints.length === 0) return [];
  const payload = { type: event.type, timestamp: new Date(now).toISOString(), data: event.data };
  return createOutboxRepository(store).enqueue(
    executor,
    endpoints.map((endpoint) => ({ kind: WEBHOOK_KIND, id: newId('msg'), target: endpoint.id, orderingKey: `${endpoint.id}:${event.subject}`, payload })),
    now,
  );
}

/** `user.created` or `user.deactivated`: `{"user"}` as the admin API shows an account, ordered per account. */
export function enqueueUserWebhook(store: Store, executor: Kysely<Database>, type: 'user.created' | 'user.deactivated', user: UserRow, now: number): Promise<string[]> {
  return enqueueWebhookEvent(store, executor, { organizationId: user.organization_id, type, data: { user: presentAdminUser(user) }, subject: `user:${user.id}` }, now);
}
