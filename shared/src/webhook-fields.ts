/**
 * The rules of a webhook endpoint's inputs (one per input, like fields.ts): its URL, the events it receives,
 * its description. Each parser is a pure function of an `unknown` answering the value or a reason that reads
 * after the field's name. Whether the URL's host is a private address is the server's check (it resolves it).
 */
import type { Field } from './fields.js';

/** Every event type a webhook endpoint may receive (Standard Webhooks' `type`). */
export const WEBHOOK_EVENT_TYPES = [
  'conversation.created',
  'conversation.updated',
  'message.created',
  'message.updated',
  'message.deleted',
  'user.created',
  'user.deactivated',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const MAX_WEBHOOK_URL_CHARS = 2_000;
export const MAX_WEBHOOK_DESCRIPTION_CHARS = 200;

const ok = <T>(value: T): Field<T> => ({ ok: true, value });
const no = (reason: string): Field<never> => ({ ok: false, reason });
const TYPES: ReadonlySet<string> = new Set(WEBHOOK_EVENT_TYPES);

/** An absolute http or https URL of at most 2,000 characters, without credentials; answered as written. */
export function parseWebhookUrl(value: unknown): Field<string> {
  if (typeof value !== 'string' || value.trim() === '') return no('must be an http or https URL');
  const raw = value.trim();
  if (raw.length > MAX_WEBHOOK_URL_CHARS) return no(`must be at most ${MAX_WEBHOOK_URL_CHARS} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return no('must be an http or https URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return no('must be an http or https URL');
  if (url.username !== '' || url.password !== '') return no('must not carry credentials');
  if (url.hostname === '') return no('must name a host');
  return ok(url.href);
}

/** A non-empty list of event types, each once; answered in the order of WEBHOOK_EVENT_TYPES. */
export function parseWebhookEvents(value: unknown): Field<WebhookEventType[]> {
  if (!Array.isArray(value) || value.length === 0) return no(`must be a non-empty list of ${WEBHOOK_EVENT_TYPES.join(', ')}`);
  for (const item of value) if (typeof item !== 'string' || !TYPES.has(item)) return no(`must be a non-empty list of ${WEBHOOK_EVENT_TYPES.join(', ')}`);
  const chosen = new Set(value as string[]);
  return ok(WEBHOOK_EVENT_TYPES.filter((type) => chosen.has(type)));
}

/** At most 200 characters on one line, or null (an empty text is null). */
export function parseWebhookDescription(value: unknown): Field<string | null> {
  if (value === null) return ok(null);
  if (typeof value !== 'string') return no('must be a text or null');
  const trimmed = value.trim();
  if (trimmed === '') return ok(null);
  if ([...trimmed].length > MAX_WEBHOOK_DESCRIPTION_CHARS) return no(`must be at most ${MAX_WEBHOOK_DESCRIPTION_CHARS} characters`);
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) return no('must not contain control characters');
  return ok(trimmed);
}
