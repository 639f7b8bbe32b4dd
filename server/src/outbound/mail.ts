/**
 * Emails, as rows of the outbox (kind `mail`): `enqueueMail` writes one inside the caller's transaction, so
 * that an email exists exactly when the change that causes it commits; the mail sender
 * (outbound/mail-sender.ts) sends it over SMTP, with the outbox's retries.
 */
import { createOutboxRepository } from '../store/outbox.js';
import type { Store } from '../store/database.js';

export const MAIL_KIND = 'mail';

/** One email, ready to send: a text and an HTML body, and headers of its own (List-Unsubscribe…). */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
  headers?: Record<string, string>;
  /** What the email is about, for the outbox's log (an account's id); never shown to anyone. */
  target?: string;
}

/** Enqueues `message` in the transaction `tx` (use-cases' `inTransaction`); answers the outbox row's id. */
export async function enqueueMail(tx: Store, message: MailMessage, now: number): Promise<string> {
  const { target, ...payload } = message;
  const [id] = await createOutboxRepository(tx).enqueue(tx.db, [{ kind: MAIL_KIND, target: target ?? null, payload }], now);
  return id!;
}
