/**
 * Webhook endpoints of an organization (docs/admin-api.md, Webhooks): create, change (URL, description,
 * events, enabled), delete, rotate the signing secret, resend a delivery; each audited as
 * `webhook.<create|update|delete|rotate_secret|resend>`. Only administrators; another organization's
 * endpoint is `webhook_not_found`, as an unknown id. A URL whose host is or resolves to a private address is
 * `webhook_url_private` unless PARLEY_WEBHOOKS_ALLOW_PRIVATE; a host that does not resolve now is accepted
 * (its deliveries fail and are retried until it does).
 */
import { randomBytes } from 'node:crypto';
import { ParleyError } from '../errors.js';
import { OutboundError, resolveOutboundHost, type Resolve } from '../outbound/http.js';
import { WEBHOOK_KIND } from '../outbound/webhook-events.js';
import type { Store } from '../store/database.js';
import { createOutboxRepository, type OutboxAttemptRow, type OutboxRow } from '../store/outbox.js';
import { createWebhookEndpointRepository, type EndpointPatch, type WebhookEndpointRow } from '../store/webhook-endpoints.js';
import { rightsOf, type Context } from './actor.js';
import type { Audited } from './audited.js';
import { organizationOf } from './canned-replies.js';

export interface NewWebhook {
  url: string;
  events: readonly string[];
  description: string | null;
  enabled: boolean;
}

export interface WebhookDeliveryRow {
  row: OutboxRow;
  tries: OutboxAttemptRow[];
}

/** A new signing secret: `whsec_` and 32 random bytes in base64, the form Standard Webhooks libraries read. */
export const newWebhookSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

export function createWebhookUseCases(deps: { audited: Audited; store: Store; allowPrivate: boolean; now: () => number; resolve?: Resolve }) {
  const { audited, store, now } = deps;
  const endpoints = createWebhookEndpointRepository(store);
  const outbox = createOutboxRepository(store);

  const requireAdministrator = (ctx: Context) => {
    if (rightsOf(ctx.actor) === 'member') throw new ParleyError('admin_required');
  };

  /** The actor's organization's endpoint, or `webhook_not_found`. */
  async function own(ctx: Context, id: string, tx: Store = store): Promise<WebhookEndpointRow> {
    const row = await createWebhookEndpointRepository(tx).findById(id, tx.db);
    if (!row || row.organization_id !== organizationOf(ctx)) throw new ParleyError('webhook_not_found');
    return row;
  }

  /** Refuses a URL on a private address (checked before the transaction: it may wait for DNS). */
  async function checkAddress(url: string): Promise<void> {
    if (deps.allowPrivate) return;
    try {
      await resolveOutboundHost(new URL(url), false, deps.resolve);
    } catch (error) {
      if (error instanceof OutboundError && error.reason === 'private_address') throw new ParleyError('webhook_url_private', 'url is, or resolves to, a private address');
      if (!(error instanceof OutboundError && error.reason === 'unresolved')) throw error;
    }
  }

  return {
    /** The organization's endpoints, oldest first. */
    async list(ctx: Context): Promise<WebhookEndpointRow[]> {
      requireAdministrator(ctx);
      return endpoints.list(organizationOf(ctx));
    },

    async get(ctx: Context, id: string): Promise<WebhookEndpointRow> {
      requireAdministrator(ctx);
      return own(ctx, id);
    },

    async create(ctx: Context, input: NewWebhook): Promise<{ endpoint: WebhookEndpointRow; secret: string }> {
      requireAdministrator(ctx);
      await checkAddress(input.url);
      const secret = newWebhookSecret();
      const endpoint = await audited(
        ctx,
        'webhook.create',
        null,
        (tx) => createWebhookEndpointRepository(tx).create(tx.db, { organizationId: organizationOf(ctx), ...input, secret }, now()),
        (row) => row.id,
      );
      return { endpoint, secret };
    },

    async update(ctx: Context, id: string, patch: Omit<EndpointPatch, 'secret'>): Promise<WebhookEndpointRow> {
      requireAdministrator(ctx);
      if (patch.url !== undefined) await checkAddress(patch.url);
      return audited(ctx, 'webhook.update', id, async (tx) => {
        const before = await own(ctx, id, tx);
        return (await createWebhookEndpointRepository(tx).update(tx.db, id, patch, now())) ?? before;
      });
    },

    delete(ctx: Context, id: string): Promise<void> {
      return audited(ctx, 'webhook.delete', id, async (tx) => {
        requireAdministrator(ctx);
        await own(ctx, id, tx);
        await createWebhookEndpointRepository(tx).delete(tx.db, id);
      });
    },

    /** A new secret at once: the next try of every delivery is signed with it. */
    async rotateSecret(ctx: Context, id: string): Promise<{ endpoint: WebhookEndpointRow; secret: string }> {
      const secret = newWebhookSecret();
      const endpoint = await audited(ctx, 'webhook.rotate_secret', id, async (tx) => {
        requireAdministrator(ctx);
        await own(ctx, id, tx);
        return (await createWebhookEndpointRepository(tx).update(tx.db, id, { secret }, now()))!;
      });
      return { endpoint, secret };
    },

    /** The endpoint's deliveries, newest first, `limit` at a time after the cursor (a delivery's sequence). */
    async deliveries(ctx: Context, id: string, limit: number, beforeSeq: number | undefined): Promise<{ deliveries: WebhookDeliveryRow[]; nextBeforeSeq: number | null }> {
      requireAdministrator(ctx);
      await own(ctx, id);
      const rows = await outbox.listFor(WEBHOOK_KIND, id, limit + 1, beforeSeq);
      const page = rows.slice(0, limit);
      const tries = await outbox.attemptsOf(page.map((r) => r.seq));
      return { deliveries: page.map((row) => ({ row, tries: tries.get(row.seq) ?? [] })), nextBeforeSeq: rows.length > limit ? page.at(-1)!.seq : null };
    },

    /** Sends a delivery again from now, with the same webhook-id. */
    async resend(ctx: Context, id: string, deliveryId: string): Promise<WebhookDeliveryRow> {
      await audited(ctx, 'webhook.resend', deliveryId, async (tx) => {
        requireAdministrator(ctx);
        await own(ctx, id, tx);
        const row = await createOutboxRepository(tx).find(deliveryId);
        if (!row || row.kind !== WEBHOOK_KIND || row.target !== id) throw new ParleyError('not_found', 'No delivery of this endpoint has this id.');
        if (!(await createOutboxRepository(tx).resend(deliveryId, now()))) throw new ParleyError('delivery_in_progress');
      });
      const row = (await outbox.find(deliveryId))!;
      return { row, tries: (await outbox.attemptsOf([row.seq])).get(row.seq) ?? [] };
    },
  };
}

export type WebhookUseCases = ReturnType<typeof createWebhookUseCases>;
