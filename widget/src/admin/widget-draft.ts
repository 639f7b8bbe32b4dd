/**
 * The admin panel's draft of the widget's settings (docs/admin-api.md, Widget): read from the settings list,
 * checked field by field by the rules the server applies (shared/src/fields.ts) so that a mistake is shown
 * beside its field before anything is sent, and turned into one PATCH. Also the launcher icon's upload and
 * removal, which the panel's general API client does not speak (multipart).
 */
import {
  parseAccentColor,
  parseHttpsUrl,
  parseWidgetAwayText,
  parseWidgetGreeting,
  parseWidgetLabel,
  parseWidgetReplyTime,
  WIDGET_LOCALES,
  type Field,
  type LocalizedText,
  type WidgetLocale,
} from '#shared/fields.js';
import { ApiError, readResponse } from '../api/client.js';
import type { Setting } from './api.js';

export type TextKey = 'teamName' | 'title' | 'avatarUrl' | 'accentColor' | 'launcherIconUrl';
export type LocalizedKey = 'greeting' | 'replyTime' | 'awayText';

/** What the form holds: every text as typed (empty for none). */
export interface WidgetDraft {
  teamName: string;
  title: string;
  avatarUrl: string;
  accentColor: string;
  launcherIconUrl: string;
  position: 'right' | 'left';
  greeting: Record<WidgetLocale, string>;
  replyTime: Record<WidgetLocale, string>;
  awayText: Record<WidgetLocale, string>;
}

/** The body of `PATCH /api/v1/admin/settings` for the widget. */
export interface WidgetPatch {
  widgetTeamName: string | null;
  widgetTitle: string | null;
  widgetAvatarUrl: string | null;
  widgetAccentColor: string | null;
  widgetLauncherIconUrl: string | null;
  widgetPosition: 'right' | 'left';
  widgetGreeting: LocalizedText;
  widgetReplyTime: LocalizedText;
  widgetAwayText: LocalizedText;
}

/** A field of the form: a text, or one locale of a localized text (`greeting.fr`). */
export type FieldKey = TextKey | `${LocalizedKey}.${WidgetLocale}`;

export const SETTING_OF: Readonly<Record<TextKey | LocalizedKey, keyof WidgetPatch>> = {
  teamName: 'widgetTeamName',
  title: 'widgetTitle',
  avatarUrl: 'widgetAvatarUrl',
  accentColor: 'widgetAccentColor',
  launcherIconUrl: 'widgetLauncherIconUrl',
  greeting: 'widgetGreeting',
  replyTime: 'widgetReplyTime',
  awayText: 'widgetAwayText',
};

/** The path an uploaded icon is served under (its URL is the public URL plus this and its file name). */
export const UPLOADED_ICON_PATH = '/widget/launcher-icon/';

export const isUploadedIcon = (url: string) => {
  try {
    return new URL(url).pathname.startsWith(UPLOADED_ICON_PATH);
  } catch {
    return false;
  }
};

const text = (value: unknown) => (typeof value === 'string' ? value : '');

function texts(value: unknown): Record<WidgetLocale, string> {
  const given = new Map(Object.entries(typeof value === 'object' && value !== null ? value : {}));
  return Object.fromEntries(WIDGET_LOCALES.map((locale) => [locale, text(given.get(locale))])) as Record<WidgetLocale, string>;
}

/** The draft of the widget settings in `settings`, or null when the server lists none (an older server). */
export function draftOf(settings: readonly Setting[]): WidgetDraft | null {
  const byName = new Map<string, unknown>(settings.map((s) => [s.name, s.value]));
  if (!byName.has('widgetPosition')) return null;
  return {
    teamName: text(byName.get('widgetTeamName')),
    title: text(byName.get('widgetTitle')),
    avatarUrl: text(byName.get('widgetAvatarUrl')),
    accentColor: text(byName.get('widgetAccentColor')),
    launcherIconUrl: text(byName.get('widgetLauncherIconUrl')),
    position: byName.get('widgetPosition') === 'left' ? 'left' : 'right',
    greeting: texts(byName.get('widgetGreeting')),
    replyTime: texts(byName.get('widgetReplyTime')),
    awayText: texts(byName.get('widgetAwayText')),
  };
}

const LIMITS: Readonly<Record<'label' | LocalizedKey, number>> = { label: 60, greeting: 200, replyTime: 80, awayText: 200 };

/** Why a field's draft cannot be saved, in the panel's words; undefined when it can. */
export function problemOf(draft: WidgetDraft, key: FieldKey, uploadedIconUrl: string | null): string | undefined {
  const refused = (field: Field<unknown>, sentence: string) => (field.ok ? undefined : sentence);
  const [name, locale] = key.split('.') as [TextKey | LocalizedKey, WidgetLocale | undefined];
  switch (name) {
    case 'teamName':
    case 'title':
      return refused(parseWidgetLabel(draft[name]), `At most ${LIMITS.label} characters, on one line.`);
    case 'avatarUrl':
      return refused(parseHttpsUrl(draft.avatarUrl.trim()), 'Enter an https:// address of an image, or leave it empty.');
    case 'launcherIconUrl':
      if (draft.launcherIconUrl.trim() === uploadedIconUrl) return undefined;
      return refused(parseHttpsUrl(draft.launcherIconUrl.trim()), 'Enter an https:// address of an image, upload one, or leave it empty.');
    case 'accentColor':
      return refused(parseAccentColor(draft.accentColor.trim() || null), 'Enter a colour as # and six hex digits, such as #3056d3, or leave it empty.');
    case 'greeting':
    case 'replyTime':
    case 'awayText': {
      const parse = name === 'greeting' ? parseWidgetGreeting : name === 'replyTime' ? parseWidgetReplyTime : parseWidgetAwayText;
      return refused(parse({ [locale!]: draft[name][locale!] }), `At most ${LIMITS[name]} characters, on one line.`);
    }
  }
}

/** Every field of the form, in its order. */
export const FIELD_KEYS: readonly FieldKey[] = [
  'teamName',
  'title',
  'avatarUrl',
  'accentColor',
  'launcherIconUrl',
  ...WIDGET_LOCALES.map((l) => `greeting.${l}` as const),
  ...WIDGET_LOCALES.map((l) => `replyTime.${l}` as const),
  ...WIDGET_LOCALES.map((l) => `awayText.${l}` as const),
];

/** The problems of the draft by field (empty when it can be saved). */
export function problemsOf(draft: WidgetDraft, uploadedIconUrl: string | null): Map<FieldKey, string> {
  const problems = new Map<FieldKey, string>();
  for (const key of FIELD_KEYS) {
    const problem = problemOf(draft, key, uploadedIconUrl);
    if (problem) problems.set(key, problem);
  }
  return problems;
}

const orNull = (value: string) => (value.trim() === '' ? null : value.trim());
const localized = (values: Record<WidgetLocale, string>): LocalizedText =>
  Object.fromEntries(WIDGET_LOCALES.filter((l) => values[l].trim() !== '').map((l) => [l, values[l].trim()]));

/** The PATCH body of a draft without problems. */
export function patchOf(draft: WidgetDraft): WidgetPatch {
  return {
    widgetTeamName: orNull(draft.teamName),
    widgetTitle: orNull(draft.title),
    widgetAvatarUrl: orNull(draft.avatarUrl),
    widgetAccentColor: orNull(draft.accentColor)?.toLowerCase() ?? null,
    widgetLauncherIconUrl: orNull(draft.launcherIconUrl),
    widgetPosition: draft.position,
    widgetGreeting: localized(draft.greeting),
    widgetReplyTime: localized(draft.replyTime),
    widgetAwayText: localized(draft.awayText),
  };
}

/** The accent colour of a draft when it is one, for the preview; null otherwise (the widget's own). */
export function accentOf(draft: WidgetDraft): string | null {
  const parsed = parseAccentColor(draft.accentColor.trim() || null);
  return parsed.ok ? parsed.value : null;
}

/** The texts of one locale of the draft, else its English ones (as the widget gets them), else null. */
export function textIn(values: Record<WidgetLocale, string>, locale: WidgetLocale): string | null {
  return orNull(values[locale]) ?? orNull(values.en);
}

/** Sends the launcher icon (`PUT …/settings/launcher-icon`, multipart) or removes it; answers the settings. */
export async function sendLauncherIcon(file: File | null): Promise<Setting[]> {
  let response: Response;
  try {
    const init: RequestInit = { method: file ? 'PUT' : 'DELETE', credentials: 'same-origin', headers: { accept: 'application/json' } };
    if (file) {
      const form = new FormData();
      form.append('file', file);
      init.body = form;
    }
    response = await fetch('/api/v1/admin/settings/launcher-icon', init);
  } catch {
    throw new ApiError(0, 'network_error', 'Parley could not be reached.');
  }
  return ((await readResponse(response)) as { settings: Setting[] }).settings;
}
