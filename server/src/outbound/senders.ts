/**
 * The senders of the outbox's kinds (outbound/worker.ts): each kind of row and the module that sends it.
 * A kind listed nowhere here fails for good when the worker meets it.
 */
import type { Config } from '../config.js';
import type { Store } from '../store/database.js';
import type { OutboxRepository } from '../store/outbox.js';
import type { OutboxSender } from './worker.js';

export interface SenderDeps {
  config: Config;
  store: Store;
  outbox: OutboxRepository;
  now: () => number;
  publicUrl: () => string;
}

export function createOutboundSenders(_deps: SenderDeps): OutboxSender[] {
  return [];
}
