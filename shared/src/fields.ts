/**
 * One rule per input. Every door that takes one of these fields (sign-in's token verification, the token API,
 * the admin REST, the CLI, the environment) reads it with the parser here, so a value one door accepts is a
 * value every other door accepts, and a token Parley mints always signs in. Each parser is a pure function of
 * an `unknown`: it answers the value to use, or a reason that reads after the field's name
 * (`userId must be in Unicode NFC`). Routes keep their JSON Schemas for the shape of a body; what a string
 * may contain is decided here. Lengths are counted as JavaScript counts them, in UTF-16 code units, except a
 * conversation title's, which is counted in characters (code points) as a person reads it, like a message.
 *
 * Kept free of dependencies so that the widget can share it without growing.
 */

export type Field<T> = { ok: true; value: T } | { ok: false; reason: string };

export const MAX_ID_CHARS = 256;
export const MAX_EMAIL_CHARS = 320;
export const MAX_NAME_CHARS = 200;
export const MAX_URL_CHARS = 2048;
export const MAX_ORIGINS = 100;
export const MAX_SEAT_COUNT = 999_999_999;
/** A conversation title given by a person, in characters (code points). */
export const MAX_TITLE_CHARS = 200;
/** A title taken from a conversation's first message, in characters (code points). */
export const MAX_DERIVED_TITLE_CHARS = 80;

const ok = <T>(value: T): Field<T> => ({ ok: true, value });
const no = (reason: string): Field<never> => ({ ok: false, reason });

// C0 controls and DEL: never meant in an identifier or a name, and how log and header injection start.
const CONTROL = /[\u0000-\u001f\u007f]/;
/** Why a field with a control character is refused, for a door that finds one before reading the field. */
export const CONTROL_REASON = 'must not contain control characters (U+0000 to U+001F, U+007F)';
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+$/;
const ORIGIN_RULE = 'must be origins like https://app.example.com (scheme, host and port only)';
const DURATION = /^(\d{1,9})([smhdw]?)$/;
const DURATION_UNITS: ReadonlyMap<string, number> = new Map([['s', 1], ['m', 60], ['h', 3600], ['d', 86_400], ['w', 604_800]]);

/**
 * The character rule shared by ids, emails, names and URLs: no C0 control character or DEL, and no lone
 * surrogate (databases store those differently, so two distinct strings could become one row).
 */
function plainTextReason(s: string): string | undefined {
  if (CONTROL.test(s)) return CONTROL_REASON;
  if (!s.isWellFormed()) return 'must not contain lone surrogates';
  return undefined;
}

/**
 * An identifier: an integrator's user id (`user.id`, `userId`), an organization, folder or document id, or a
 * Parley user id. A string of 1 to 256 characters, without control characters or lone surrogates, in Unicode
 * NFC. Ids are compared exactly (case matters), so NFC is what keeps two spellings of one visible id
 * (`é` composed, or `e` + U+0301) from being two accounts or two documents.
 */
export function parseId(value: unknown): Field<string> {
  if (typeof value !== 'string' || value.length < 1 || value.length > MAX_ID_CHARS) return no(`must be a string of 1 to ${MAX_ID_CHARS} characters`);
  const reason = plainTextReason(value);
  if (reason) return no(reason);
  if (value !== value.normalize('NFC')) return no('must be in Unicode NFC');
  return ok(value);
}

/**
 * An email address: at most 320 characters, `local@domain` with no whitespace and exactly one `@`, without
 * control characters or lone surrogates, and unchanged by Unicode NFC and NFKC normalisation. Accounts are
 * found by their email case-insensitively after NFC, so an address that normalisation would change (the
 * Kelvin sign K in `\u212Aevin@x`, fullwidth letters, ligatures) could reach the account of another
 * address; such an address is refused rather than folded.
 */
export function parseEmail(value: unknown): Field<string> {
  if (typeof value !== 'string') return no('must be an email address');
  if (value.length > MAX_EMAIL_CHARS) return no(`must be an email address of at most ${MAX_EMAIL_CHARS} characters`);
  const reason = plainTextReason(value);
  if (reason) return no(reason);
  if (!EMAIL_SHAPE.test(value)) return no('must be an email address');
  if (value !== value.normalize('NFC') || value !== value.normalize('NFKC')) return no('must not change under Unicode NFC or NFKC normalisation');
  return ok(value);
}

/**
 * A display name (a user's, or the label of a credential or key): a string of at most 200 characters, which
 * may be empty, without control characters (so no line break) or lone surrogates. Shown as text, never
 * interpreted; not normalised.
 */
export function parseName(value: unknown): Field<string> {
  if (typeof value !== 'string' || value.length > MAX_NAME_CHARS) return no(`must be a string of at most ${MAX_NAME_CHARS} characters`);
  const reason = plainTextReason(value);
  return reason ? no(reason) : ok(value);
}

/**
 * An avatar URL: at most 2048 characters, without control characters or lone surrogates, that the WHATWG URL
 * parser reads as an absolute `http:` or `https:` URL (so never `javascript:`, `data:` or `file:`). Kept as
 * given.
 */
export function parseAvatarUrl(value: unknown): Field<string> {
  if (typeof value !== 'string' || value.length > MAX_URL_CHARS) return no(`must be an http(s) URL of at most ${MAX_URL_CHARS} characters`);
  const url = absoluteUrl(value);
  if (typeof url === 'string') return no(url || 'must be an http(s) URL');
  return url.protocol === 'https:' || url.protocol === 'http:' ? ok(value) : no('must be an http(s) URL');
}

/**
 * A string of at most MAX_URL_CHARS read by the WHATWG URL parser as an absolute URL, or why not: the plain
 * text rule's reason (control characters, lone surrogates), or '' when it is no URL at all.
 */
function absoluteUrl(value: string): URL | string {
  const reason = plainTextReason(value);
  if (reason) return reason;
  try {
    return new URL(value);
  } catch {
    return '';
  }
}

/**
 * A web origin (RFC 6454) as a browser sends it in `Origin`: `http:` or `https:`, host and port only, already
 * in its serialised form (lower-case host, no default port, no path, query or fragment; one trailing `/` is
 * tolerated and dropped). Answers the serialised origin, the string that is compared with `Origin`.
 */
export function parseOrigin(value: unknown): Field<string> {
  const refused = () => no(ORIGIN_RULE.replace('origins', 'an origin'));
  if (typeof value !== 'string' || value.length > MAX_URL_CHARS) return refused();
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return refused();
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== value.replace(/\/$/, '')) return refused();
  return ok(url.origin);
}

/**
 * The allowed-origins setting: `null` or an empty list (Parley's own origin only), `["*"]` (any origin), or a
 * list of at most 100 origins as `parseOrigin` reads them (`*` is not combined with others), without repeats.
 */
export function parseOriginList(value: unknown): Field<readonly string[] | null> {
  if (value === null) return ok(null);
  if (!Array.isArray(value) || value.length > MAX_ORIGINS) return no(`must be a list of at most ${MAX_ORIGINS} origins, ["*"], or null`);
  if (value.length === 0) return ok(null);
  if (value.length === 1 && value[0] === '*') return ok(['*']);
  const origins = new Set<string>();
  for (const item of value) {
    if (item === '*') return no('may not combine * with other origins');
    const origin = parseOrigin(item);
    if (!origin.ok) return no(`${ORIGIN_RULE}, and ${JSON.stringify(item)?.slice(0, 100) ?? 'undefined'} is not one`);
    origins.add(origin.value);
  }
  return ok([...origins]);
}

/**
 * A duration, in seconds: a string of up to nine digits with an optional unit `s`, `m`, `h`, `d` or `w`
 * (`3600`, `90s`, `30m`, `12h`, `7d`, `1w`), surrounding whitespace ignored, of at least one second.
 */
export function parseDuration(value: unknown): Field<number> {
  const match = typeof value === 'string' ? DURATION.exec(value.trim()) : null;
  if (!match) return no('must be a duration such as 3600, 30m, 12h or 7d');
  const seconds = Number(match[1]) * (DURATION_UNITS.get(match[2] || 's') ?? 1);
  return seconds < 1 ? no('must be at least one second') : ok(seconds);
}

/** A yes-or-no field (`isAdmin`): JSON `true` or `false`, never `"true"`, `1` or `null`. */
export function parseFlag(value: unknown): Field<boolean> {
  return typeof value === 'boolean' ? ok(value) : no('must be true or false');
}

/** A seat count (the seat limit): a whole number from 0 to 999,999,999, as a JSON number. */
export function parseSeatCount(value: unknown): Field<number> {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > MAX_SEAT_COUNT) return no('must be a whole number from 0 to 999,999,999');
  return ok(value);
}

/** A seat count written as text (the environment, a command line): one to nine decimal digits. */
export function parseSeatCountText(value: unknown): Field<number> {
  if (typeof value !== 'string' || !/^\d{1,9}$/.test(value)) return no('must be a whole number from 0 to 999,999,999');
  return parseSeatCount(Number(value));
}

/** Characters as a person counts them: code points, so an emoji is one. */
const codePoints = (s: string): string[] => Array.from(s);

/**
 * A conversation title given by a person (creating a conversation, an administrator renaming one): a string
 * of 1 to 200 characters (code points) once surrounding whitespace is trimmed, without control characters
 * (so no line break) or lone surrogates. Answers the trimmed title.
 */
export function parseTitle(value: unknown): Field<string> {
  const rule = `must be a string of 1 to ${MAX_TITLE_CHARS} characters (surrounding spaces do not count)`;
  if (typeof value !== 'string') return no(rule);
  const title = value.trim();
  if (title === '' || codePoints(title).length > MAX_TITLE_CHARS) return no(rule);
  const reason = plainTextReason(title);
  return reason ? no(reason) : ok(title);
}

/**
 * The title a conversation created without one takes from its first message: the message's first line
 * that is not blank, trimmed, of at most 80 characters (code points: an emoji is one); a longer line is cut
 * to its first 79 characters followed by "…". Null when the text has no such line.
 */
export function titleFromMessage(text: string): string | null {
  for (const line of text.split(/\r\n|\r|\n/)) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    const chars = codePoints(trimmed);
    return chars.length <= MAX_DERIVED_TITLE_CHARS ? trimmed : `${chars.slice(0, MAX_DERIVED_TITLE_CHARS - 1).join('')}…`;
  }
  return null;
}

// ── The widget's look and words (docs/admin-api.md, Widget) ──────────────────────────────────────────────

/** The locales the widget speaks (widget/src/i18n/locales.ts), in which its texts may be set. */
export const WIDGET_LOCALES = ['en', 'fr', 'ar'] as const;
export type WidgetLocale = (typeof WIDGET_LOCALES)[number];
/** Texts by locale; a locale without one is absent. */
export type LocalizedText = Readonly<Partial<Record<WidgetLocale, string>>>;

export const MAX_WIDGET_LABEL_CHARS = 60;
export const MAX_WIDGET_GREETING_CHARS = 200;
export const MAX_WIDGET_REPLY_TIME_CHARS = 80;
export const MAX_WIDGET_AWAY_TEXT_CHARS = 200;

const WIDGET_LOCALE_SET: ReadonlySet<string> = new Set(WIDGET_LOCALES);
const HEX_COLOR = /^#[0-9a-f]{6}$/i;

/** One line of text of at most `max` characters after trimming, or `null` for none (also `""` and blanks). */
function optionalLine(value: unknown, max: number): Field<string | null> {
  if (value === null) return ok(null);
  if (typeof value !== 'string') return no(`must be a string of at most ${max} characters, or null`);
  const reason = plainTextReason(value);
  if (reason) return no(reason);
  const text = value.trim();
  if (text.length > max) return no(`must be a string of at most ${max} characters, or null`);
  return ok(text === '' ? null : text);
}

/**
 * A short label of the widget (the team name, the panel's title): at most 60 characters after trimming,
 * without control characters or lone surrogates; `null`, `""` or blanks for none.
 */
export function parseWidgetLabel(value: unknown): Field<string | null> {
  return optionalLine(value, MAX_WIDGET_LABEL_CHARS);
}

/**
 * An image URL every host page loads (the team's avatar, the launcher icon): an absolute `https:` URL of at
 * most 2048 characters that the WHATWG URL parser reads, without control characters, lone surrogates or
 * credentials (`user:password@` would be shown to every visitor); `null` or `""` for none. Kept as given.
 */
export function parseHttpsUrl(value: unknown): Field<string | null> {
  if (value === null || value === '') return ok(null);
  const rule = `must be an https URL of at most ${MAX_URL_CHARS} characters, or null`;
  if (typeof value !== 'string' || value.length > MAX_URL_CHARS) return no(rule);
  const url = absoluteUrl(value);
  if (typeof url === 'string') return no(url || rule);
  if (url.protocol !== 'https:') return no(rule);
  if (url.username || url.password) return no('must not carry a user name or password');
  return ok(value);
}

/** The accent colour: `#rrggbb` in either case, answered in lower case; `null` for the widget's own. */
export function parseAccentColor(value: unknown): Field<string | null> {
  if (value === null) return ok(null);
  return typeof value === 'string' && HEX_COLOR.test(value) ? ok(value.toLowerCase()) : no('must be a colour written #rrggbb, or null');
}

/** Where the launcher sits: `"right"` or `"left"`. */
export function parseWidgetPosition(value: unknown): Field<'right' | 'left'> {
  return value === 'right' || value === 'left' ? ok(value) : no('must be "right" or "left"');
}

/**
 * Texts by widget locale (`{"en": "Hi {name}", "fr": "Bonjour {name}"}`), each one line of at most `max`
 * characters after trimming; a locale may be absent, `null` or `""` (no text in it); `null` for none at all.
 * A key that is not a widget locale is refused.
 */
function parseLocalizedText(value: unknown, max: number): Field<LocalizedText> {
  if (value === null) return ok({});
  if (typeof value !== 'object' || Array.isArray(value)) return no(`must be an object of texts by locale (${WIDGET_LOCALES.join(', ')}), or null`);
  const given = new Map(Object.entries(value as Record<string, unknown>));
  for (const key of given.keys()) {
    if (!WIDGET_LOCALE_SET.has(key)) return no(`has no locale ${JSON.stringify(key.slice(0, 20))} (the locales are ${WIDGET_LOCALES.join(', ')})`);
  }
  const texts: Partial<Record<WidgetLocale, string>> = {};
  for (const locale of WIDGET_LOCALES) {
    if (!given.has(locale)) continue;
    const text = optionalLine(given.get(locale), max);
    if (!text.ok) return no(`in ${locale} ${text.reason}`);
    if (text.value !== null) texts[locale] = text.value;
  }
  return ok(texts);
}

/** The home view's greeting by locale, at most 200 characters each; `{name}` stands for the user's first name. */
export function parseWidgetGreeting(value: unknown): Field<LocalizedText> {
  return parseLocalizedText(value, MAX_WIDGET_GREETING_CHARS);
}

/** The expected reply time by locale (`"We usually answer within a day"`), at most 80 characters each. */
export function parseWidgetReplyTime(value: unknown): Field<LocalizedText> {
  return parseLocalizedText(value, MAX_WIDGET_REPLY_TIME_CHARS);
}

/**
 * What the widget says while no administrator is online (`"We usually answer within a few hours"`), by
 * locale, at most 200 characters each.
 */
export function parseWidgetAwayText(value: unknown): Field<LocalizedText> {
  return parseLocalizedText(value, MAX_WIDGET_AWAY_TEXT_CHARS);
}
