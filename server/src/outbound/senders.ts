/**
 * The senders of the outbox's kinds (outbound/worker.ts): each kind of row and the module that sends it.
 * A kind listed nowhere here fails for good when the worker meets it.
 */
import type { Config } from '../config.js';
import type { Store } from '../store/database.js';
import type { OutboxRepository } from '../store/outbox.js';
import type { OutboxSender } from './worker.js';
import { createWebhookSender } from './webhook-sender.js';

export interface SenderDeps {
  config: Config;
  store: Store;
  outbox: OutboxRepository;
  now: () => number;
  publicUrl: () => string;
  /** The deadline of one webhook delivery (default 15 s; tests shorten it). */
  webhookTimeoutMs?: number;
}

export function createOutboundSenders(deps: SenderDeps): OutboxSender[] {
  return [
    createWebhookSender({ store: deps.store, allowPrivate: deps.config.webhooksAllowPrivate, publicUrl: deps.publicUrl, ...(deps.webhookTimeoutMs ? { timeoutMs: deps.webhookTimeoutMs } : {}) }),
  ];
}
