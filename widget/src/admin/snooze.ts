/**
 * When a snooze ends, for the choices the inbox offers: in an hour, tomorrow at 9:00, next week (Monday at
 * 9:00), all in the browser's time zone; and the value of a `datetime-local` field as an instant.
 */

export interface SnoozeChoice {
  label: string;
  until: Date;
}

const at9 = (day: Date) => new Date(day.getFullYear(), day.getMonth(), day.getDate(), 9, 0, 0, 0);

/** The preset ends of a snooze from `now`. */
export function snoozeChoices(now: Date): SnoozeChoice[] {
  const tomorrow = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1);
  // The Monday after this week (a week from today when today is Monday).
  const untilMonday = ((8 - now.getDay()) % 7) || 7;
  const monday = new Date(now.getFullYear(), now.getMonth(), now.getDate() + untilMonday);
  return [
    { label: '1 hour', until: new Date(now.getTime() + 3_600_000) },
    { label: 'Tomorrow at 9:00', until: at9(tomorrow) },
    { label: 'Next week (Monday at 9:00)', until: at9(monday) },
  ];
}

/** A `datetime-local` value (`2026-12-03T09:00`) in the browser's time zone, or null when it is none. */
export function parseLocalDateTime(value: string): Date | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?$/.exec(value);
  if (!match) return null;
  const [, y, mo, d, h, mi] = match.map(Number) as [number, number, number, number, number, number];
  const date = new Date(y, mo - 1, d, h, mi);
  return date.getMonth() === mo - 1 && date.getDate() === d ? date : null;
}

/** `date` as a `datetime-local` value, in the browser's time zone. */
export function localDateTimeValue(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())}T${p(date.getHours())}:${p(date.getMinutes())}`;
}
