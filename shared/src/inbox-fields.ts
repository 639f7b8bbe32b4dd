/**
 * The rules of the inbox's inputs (one per input, like fields.ts): a conversation's status, the end of a
 * snooze, the inbox's filters, a canned reply. Each parser is a pure function of an `unknown` answering the
 * value or a reason that reads after the field's name.
 */
import type { Field } from './fields.js';

export type ConversationStatus = 'open' | 'resolved' | 'snoozed';
export const CONVERSATION_STATUSES: readonly ConversationStatus[] = ['open', 'resolved', 'snoozed'];
/** A snooze ends at most this far ahead. */
export const MAX_SNOOZE_MS = 366 * 86_400_000;
export const MAX_CANNED_TITLE_CHARS = 80;
export const MAX_CANNED_TEXT_CHARS = 10_000;
export const MAX_DISPLAY_NAME_CHARS = 100;

const ok = <T>(value: T): Field<T> => ({ ok: true, value });
const no = (reason: string): Field<never> => ({ ok: false, reason });
const CONTROL_EXCEPT_NEWLINES = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
const ID = /^[A-Za-z0-9_-]{1,64}$/;

const characters = (s: string) => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

export function parseStatus(value: unknown): Field<ConversationStatus> {
  return typeof value === 'string' && (CONVERSATION_STATUSES as readonly string[]).includes(value) ? ok(value as ConversationStatus) : no('must be open, resolved or snoozed');
}

/** The inbox's status filter: a status, or `all`. */
export function parseStatusFilter(value: unknown): Field<ConversationStatus | 'all'> {
  return value === 'all' ? ok('all') : parseStatus(value).ok ? (parseStatus(value) as Field<ConversationStatus>) : no('must be open, resolved, snoozed or all');
}

/** The inbox's assignee filter: `me`, `none`, or an administrator's id. */
export function parseAssigneeFilter(value: unknown): Field<'me' | 'none' | { id: string }> {
  if (value === 'me' || value === 'none') return ok(value);
  return typeof value === 'string' && ID.test(value) ? ok({ id: value }) : no('must be me, none or an administrator’s id');
}

/** An assignee: an account id, or null to unassign (whether it is an administrator is the use case's check). */
export function parseAssigneeId(value: unknown): Field<string | null> {
  if (value === null) return ok(null);
  return typeof value === 'string' && ID.test(value) ? ok(value) : no('must be an administrator’s id or null');
}

/** Whether the date and time of an ISO 8601 text are real ones (no 31 November, no 24:00), which Date.parse would roll over. */
function existsAsWritten(value: string): boolean {
  const [, y, mo, d, h, mi, sec] = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(value)!.map(Number);
  const day = new Date(Date.UTC(y!, mo! - 1, d!));
  return day.getUTCFullYear() === y && day.getUTCMonth() === mo! - 1 && day.getUTCDate() === d && h! < 24 && mi! < 60 && (Number.isNaN(sec) || sec! < 60);
}

/** The end of a snooze: an ISO 8601 time with its offset, after `now` and at most a year ahead; answered in milliseconds. */
export function parseSnoozedUntil(value: unknown, now: number): Field<number> {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) return no('must be an ISO 8601 time such as 2026-12-03T09:00:00Z');
  const at = Date.parse(value);
  if (!Number.isFinite(at) || !existsAsWritten(value)) return no('must be an ISO 8601 time such as 2026-12-03T09:00:00Z');
  if (at <= now) return no('must be in the future');
  if (at > now + MAX_SNOOZE_MS) return no('must be at most a year ahead');
  return ok(at);
}

function text(value: unknown, max: number, what: string, multiline: boolean): Field<string> {
  if (typeof value !== 'string') return no(`must be ${what}`);
  const trimmed = value.trim();
  if (trimmed === '' || characters(trimmed) > max) return no(`must be 1 to ${max} characters`);
  if ((multiline ? CONTROL_EXCEPT_NEWLINES : /[\u0000-\u001f\u007f]/).test(trimmed)) return no('must not contain control characters');
  if (!trimmed.isWellFormed()) return no('must not contain lone surrogates');
  return ok(trimmed);
}

export const parseCannedTitle = (value: unknown) => text(value, MAX_CANNED_TITLE_CHARS, 'a text', false);
export const parseCannedText = (value: unknown) => text(value, MAX_CANNED_TEXT_CHARS, 'a text', true);
/** An administrator's display name, shown on their messages. */
export const parseDisplayName = (value: unknown) => text(value, MAX_DISPLAY_NAME_CHARS, 'a name', false);

/** The longest page (origin and path) kept for the inbox's side panel; a longer path is cut. */
export const MAX_PAGE_CHARS = 300;

/**
 * The page where the widget opened: an absolute http or https URL, of which only the origin and path are
 * kept (never the query or fragment, which may carry tokens), cut to 300 characters.
 */
export function parsePage(value: unknown): Field<string> {
  const rule = 'must be an http or https URL';
  if (typeof value !== 'string' || value.length > 2048 || /[\u0000-\u001f\u007f]/.test(value)) return no(rule);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return no(rule);
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password) return no(rule);
  return ok((url.origin + url.pathname).slice(0, MAX_PAGE_CHARS));
}
