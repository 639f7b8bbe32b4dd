/** How the chat writes times and authors, in the view's language. */
import type { Message, User } from '#shared/api.js';
import type { Strings } from './strings.js';

const valid = (iso: string) => {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? null : date;
};

/** The time of day (hours and minutes). */
export function time(iso: string, lang: string | undefined): string {
  return valid(iso)?.toLocaleTimeString(lang ?? [], { hour: '2-digit', minute: '2-digit' }) ?? '';
}

/** The time when `iso` is today, else a short date (with the year when it is not this year's). */
export function when(iso: string, lang: string | undefined, now: Date): string {
  const date = valid(iso);
  if (!date) return '';
  if (date.toDateString() === now.toDateString()) return time(iso, lang);
  return date.toLocaleDateString(lang ?? [], { day: 'numeric', month: 'short', ...(date.getFullYear() !== now.getFullYear() ? { year: 'numeric' } : {}) });
}

export const isMine = (message: Message, me: User) => message.author.type === 'user' && message.author.id === me.id;

/**
 * "You" for my messages, else the author's name; an agent (the team) without one is the team's name, else
 * "Support"; anyone else without one is what kind of author it is.
 */
export const authorName = (message: Message, me: User, t: Strings, team?: string | null) =>
  isMine(message, me) ? t.you : (message.author.name ?? (message.author.agent ? team || t.support : (t.authors[message.author.type] ?? message.author.type)));

/**
 * A message's text as one line for a list: its Markdown marks (emphasis, code, list and quote markers,
 * headings, link brackets) dropped, whitespace folded, at most `max` characters.
 */
export function preview(text: string, max = 120): string {
  return text
    .replace(/^\s*(?:[-*+]|\d+[.)]|>|#{1,6})\s+/gm, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\*+|`+|~~|__/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, max);
}
