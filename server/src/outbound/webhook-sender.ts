/**
 * Sends `webhook` rows of the outbox as the Standard Webhooks specification says
 * (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md): a POST of
 * the stored JSON body, exactly those bytes, with `webhook-id` (the row's id, the same on every try),
 * `webhook-timestamp` (this try's time, in seconds) and `webhook-signature` (`v1,<base64 HMAC-SHA256>` of
 * `id.timestamp.body`, computed by the `standardwebhooks` package). A 2xx answer is a delivery; anything else,
 * a redirect included, or no answer within the timeout, is a failed try, retried after WEBHOOK_RETRY_DELAYS_MS.
 *
 * An endpoint fails since its first failed try and is healthy again at its next success; one failing
 * continuously for five days is disabled, and the owners of its organization are emailed. A disabled
 * endpoint's deliveries fail for good at their next try (Resend sends one again once it is enabled); a
 * delivery whose endpoint was deleted fails for good.
 */
import { Webhook } from 'standardwebhooks';
import { enqueueMail } from './mail.js';
import { OutboundError, outboundRequest, type Resolve } from './http.js';
import { WEBHOOK_KIND } from './webhook-events.js';
import type { OutboxSender, SendOutcome } from './worker.js';
import type { Store } from '../store/database.js';
import type { OutboxRow } from '../store/outbox.js';
import { inTransaction } from '../store/transaction.js';
import { createWebhookEndpointRepository, type WebhookEndpointRow } from '../store/webhook-endpoints.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
/** Eight tries over about 27.6 hours: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h after the one before. */
export const WEBHOOK_RETRY_DELAYS_MS: readonly number[] = [5 * SECOND, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR];
/** An endpoint whose deliveries have failed for this long without a success is disabled. */
export const WEBHOOK_DISABLE_AFTER_MS = 5 * 24 * HOUR;
export const WEBHOOK_TIMEOUT_MS = 15 * SECOND;
/** At most this much of an answer is read, and this much of it kept in the log. */
const MAX_ANSWER_BYTES = 64 * 1024;
const KEPT_ANSWER_BYTES = 1024;
export const WEBHOOK_USER_AGENT = 'Parley-Webhooks/1';

export interface WebhookSenderOptions {
  store: Store;
  allowPrivate: boolean;
  publicUrl: () => string;
  timeoutMs?: number;
  resolve?: Resolve;
}

/** The headers and body of one try (exported for the docs' example and the tests). */
export function signedRequest(endpoint: Pick<WebhookEndpointRow, 'secret'>, row: Pick<OutboxRow, 'id' | 'payload'>, now: number) {
  const at = new Date(Math.floor(now / 1000) * 1000);
  return {
    'content-type': 'application/json',
    'user-agent': WEBHOOK_USER_AGENT,
    'webhook-id': row.id,
    'webhook-timestamp': String(Math.floor(now / 1000)),
    'webhook-signature': new Webhook(endpoint.secret).sign(row.id, at, row.payload),
  };
}

export function createWebhookSender(options: WebhookSenderOptions): OutboxSender {
  const { store } = options;
  const endpoints = createWebhookEndpointRepository(store);
  const timeoutMs = options.timeoutMs ?? WEBHOOK_TIMEOUT_MS;

  /** Disables the endpoint and emails its organization's owners (all owners when it has none), in one transaction. */
  async function disable(endpoint: WebhookEndpointRow, now: number): Promise<void> {
    const days = Math.floor(WEBHOOK_DISABLE_AFTER_MS / (24 * HOUR));
    const reason = `Deliveries failed for ${days} days without a success.`;
    await inTransaction(store, async (tx) => {
      if (!(await createWebhookEndpointRepository(tx).disable(tx.db, endpoint.id, reason, now))) return;
      const owners = tx.db.selectFrom('users').select(['id', 'email']).where('role', '=', 'owner').where('active', '=', 1).where('email', 'is not', null);
      let rows = await owners.where('organization_id', '=', endpoint.organization_id).execute();
      if (rows.length === 0) rows = await owners.execute();
      const link = `${options.publicUrl()}/admin#/webhooks`;
      for (const owner of rows) {
        const text = `Parley stopped sending webhooks to ${endpoint.url}: ${reason}\n\nEnable the endpoint again in the admin panel once it answers: ${link}\n`;
        const html = `<p>Parley stopped sending webhooks to <code>${escapeHtml(endpoint.url)}</code>: ${escapeHtml(reason)}</p><p>Enable the endpoint again in the admin panel once it answers: <a href="${escapeHtml(link)}">${escapeHtml(link)}</a></p>`;
        await enqueueMail(tx, { to: owner.email!, subject: 'A webhook endpoint was disabled', text, html, target: owner.id }, now);
      }
    });
  }

  return {
    kind: WEBHOOK_KIND,
    retryDelaysMs: WEBHOOK_RETRY_DELAYS_MS,

    async send(row: OutboxRow, now: number): Promise<SendOutcome> {
      const endpoint = row.target === null ? undefined : await endpoints.findById(row.target);
      if (!endpoint) return { ok: false, error: 'the endpoint was deleted', retry: false };
      if (endpoint.enabled !== 1) return { ok: false, error: 'the endpoint is disabled', retry: false };
      try {
        const answer = await outboundRequest(
          { url: endpoint.url, method: 'POST', headers: signedRequest(endpoint, row, now), body: row.payload },
          { schemes: ['http:', 'https:'], allowPrivate: options.allowPrivate, timeoutMs, maxBodyBytes: MAX_ANSWER_BYTES, overflow: 'truncate' },
        );
        if (answer.statusCode >= 200 && answer.statusCode < 300) return { ok: true, statusCode: answer.statusCode };
        const text = answer.body.subarray(0, KEPT_ANSWER_BYTES).toString('utf8').trim();
        const redirect = answer.statusCode >= 300 && answer.statusCode < 400 ? ' (redirects are not followed)' : '';
        return { ok: false, statusCode: answer.statusCode, error: `HTTP ${answer.statusCode}${redirect}${text ? `: ${text}` : ''}` };
      } catch (error) {
        if (error instanceof OutboundError) return { ok: false, error: error.message };
        throw error;
      }
    },

    async afterAttempt(row: OutboxRow, outcome: SendOutcome, now: number): Promise<void> {
      if (row.target === null) return;
      if (outcome.ok) return endpoints.markHealthy(row.target);
      if (outcome.retry === false) return; // deleted or disabled: nothing about the endpoint's health
      const since = await endpoints.markFailing(row.target, now);
      if (since !== null && now - since >= WEBHOOK_DISABLE_AFTER_MS) {
        const endpoint = await endpoints.findById(row.target);
        if (endpoint && endpoint.enabled === 1) await disable(endpoint, now);
      }
    },
  };
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
