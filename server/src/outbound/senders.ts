/**
 * The senders of the outbox's kinds (outbound/worker.ts): each kind of row and the module that sends it.
 * A kind listed nowhere here fails for good when the worker meets it.
 */
import type { Config } from '../config.js';
import type { Store } from '../store/database.js';
import type { OutboxRepository } from '../store/outbox.js';
import type { OutboxSender } from './worker.js';
import type { Settings } from '../admin/settings.js';
import { createMailSender, type MailTransport } from './mail-sender.js';
import { createNotificationSenders } from './notifications.js';
import { createWebhookSender } from './webhook-sender.js';

export interface SenderDeps {
  config: Config;
  store: Store;
  outbox: OutboxRepository;
  now: () => number;
  publicUrl: () => string;
  /** The admin panel's settings (the SMTP server, the team's name). */
  settings: Settings;
  /** The SMTP transport of `mail` rows (outbound/mail-sender.ts). */
  mail: MailTransport;
  /** The deadline of one webhook delivery (default 15 s; tests shorten it). */
  webhookTimeoutMs?: number;
}

export function createOutboundSenders(deps: SenderDeps): OutboxSender[] {
  return [
    createMailSender(deps.mail),
    createWebhookSender({ store: deps.store, allowPrivate: deps.config.webhooksAllowPrivate, publicUrl: deps.publicUrl, ...(deps.webhookTimeoutMs ? { timeoutMs: deps.webhookTimeoutMs } : {}) }),
    ...createNotificationSenders({
      store: deps.store,
      publicUrl: deps.publicUrl,
      emailEnabled: async () => (await deps.settings.get()).smtp !== null,
      teamName: async () => (await deps.settings.get()).widget.teamName ?? 'Parley',
    }),
  ];
}
