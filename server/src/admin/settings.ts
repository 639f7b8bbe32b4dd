/**
 * The settings an administrator can change (docs/admin-api.md): seat limit, allowed origins, token maximum
 * lifetime, the external-auth switch, the sign-in methods offered and email sign-in's domains, and the widget's look and words (team name, avatar, title, accent
 * colour, launcher icon, position, and greeting, reply time and away text by locale). Each value is read by
 * its rule in shared/src/fields.ts, the one the environment's value follows too. A setting the environment
 * sets is locked; the others live in the `settings` table, the uploaded launcher icon too (one row, its bytes in
 * base64, read only by the icon's own route). Every request reads them, so they are kept in memory
 * (store/read-cache.ts), exactly: a change made here counts from the next request; one made by another
 * process on SQLite (the CLI) from the next turn of the event loop; one made by another instance on
 * PostgreSQL as soon as its announcement arrives, at the change's commit.
 */
import { ParleyError } from '../errors.js';
import type { Config } from '../config.js';
import { ConfigError, loadConfig, parseSmtpUrl, type SmtpConfig } from '../config.js';
import type { SettingName } from '#shared/admin-api.js';
import {
  parseAccentColor,
  parseDuration,
  parseFlag,
  parseHttpsUrl,
  parseOriginList,
  parseSeatCount,
  parseWidgetAwayText,
  parseWidgetGreeting,
  parseWidgetLabel,
  parseWidgetPosition,
  parseWidgetReplyTime,
  type Field,
  type LocalizedText,
} from '#shared/fields.js';
import { parseEmailSignInDomains, parseSignInMethods, type SignInMethod } from '#shared/sign-in-fields.js';
import type { Store } from '../store/database.js';
import { announceCacheChange, readCacheOf } from '../store/read-cache.js';
import { LAUNCHER_ICON_FILE, launcherIconUrl, sniffImage, type LauncherIcon } from './launcher-icon.js';

export interface EffectiveSettings {
  seatLimit: number;
  /** null = the public URL's origin only; ['*'] = any. */
  allowedOrigins: readonly string[] | null;
  tokenMaxLifetimeSeconds: number;
  /** The administrator's switch; with it on, sign-in still needs at least one key. */
  externalAuthEnabled: boolean;
  /** The SMTP server emails go through (PARLEY_SMTP_URL, else the `smtpUrl` setting); null: email is off. */
  smtp: SmtpConfig | null;
  /** PARLEY_MAIL_FROM, else the `mailFrom` setting; null: `parley@` the public URL's host. */
  mailFrom: string | null;
  /** What a visitor without a session is offered, as stored (email needs an SMTP server too: `offeredSignInMethods`). */
  signInMethods: readonly SignInMethod[];
  /** Domains whose addresses may get a new account by email; empty: any. */
  emailSignInDomains: readonly string[];
  widget: WidgetSettings;
}

/** The widget's look and words; null (or no text in a locale) leaves the widget's own default. */
export interface WidgetSettings {
  teamName: string | null;
  avatarUrl: string | null;
  title: string | null;
  /** `#rrggbb`, lower case. */
  accentColor: string | null;
  /** An https URL, or the uploaded icon by its file name (its URL follows the public URL). */
  launcherIcon: { url: string } | { upload: string } | null;
  position: 'right' | 'left';
  greeting: LocalizedText;
  replyTime: LocalizedText;
  /** Said while no administrator is online (GET /api/v1/presence). */
  awayText: LocalizedText;
}

export interface SettingView {
  name: SettingName;
  variable: string | null;
  value: unknown;
  locked: boolean;
}

export type SettingsPatch = { [name in SettingName]?: unknown };

/** The settings row that holds the uploaded launcher icon (not a setting of its own: see widgetLauncherIconUrl). */
const LAUNCHER_ICON_ROW = 'widgetLauncherIcon';

/** How the uploaded icon is kept: its name, and its bytes in base64. */
interface StoredIcon {
  file: string;
  data: string;
}

const NO_WIDGET: WidgetSettings = { teamName: null, avatarUrl: null, title: null, accentColor: null, launcherIcon: null, position: 'right', greeting: {}, replyTime: {}, awayText: {} };

/** A stored launcher icon setting (`"https://…"`, `{"upload":"<file>"}` or null), narrowed. */
function readLauncherIcon(value: unknown): WidgetSettings['launcherIcon'] {
  if (typeof value === 'string') return { url: value };
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const upload = (value as Record<string, unknown>)['upload'];
    if (typeof upload === 'string' && LAUNCHER_ICON_FILE.test(upload)) return { upload };
  }
  return null;
}

/** The stored icon row, narrowed; null when there is none or it is not one. */
function readStoredIcon(text: string | undefined): LauncherIcon | null {
  if (text === undefined) return null;
  try {
    const { file, data } = JSON.parse(text) as Partial<StoredIcon>;
    if (typeof file !== 'string' || !LAUNCHER_ICON_FILE.test(file) || typeof data !== 'string') return null;
    const bytes = Buffer.from(data, 'base64');
    const kind = sniffImage(bytes);
    return kind ? { ...kind, file, bytes } : null;
  } catch {
    return null;
  }
}

const UNITS: [number, string][] = [[604_800, 'w'], [86_400, 'd'], [3600, 'h'], [60, 'm']];

/** 604800 → "7d"; the largest unit that divides it. */
export function formatDuration(seconds: number): string {
  for (const [size, unit] of UNITS) if (seconds % size === 0) return `${seconds / size}${unit}`;
  return `${seconds}s`;
}

/** The value a field rule accepted, or `bad_request` naming the setting. */
function setting<T>(name: string, parsed: Field<T>): T {
  if (!parsed.ok) throw new ParleyError('bad_request', `${name} ${parsed.reason}`);
  return parsed.value;
}

/** A stored `smtpUrl` read again by the environment's rule; null when unset or refused. */
function storedSmtp(value: unknown): SmtpConfig | null {
  if (typeof value !== 'string') return null;
  try {
    return parseSmtpUrl(value);
  } catch {
    return null;
  }
}

/** How the admin panel sees the SMTP server: never its password (`smtp://user:••••@host:587`). */
function shownSmtp(smtp: SmtpConfig | null): string | null {
  if (!smtp) return null;
  const host = smtp.host.includes(':') ? `[${smtp.host}]` : smtp.host;
  const user = smtp.user === null ? '' : `${encodeURIComponent(smtp.user)}${smtp.password === null ? '' : ':••••'}@`;
  return `${smtp.secure ? 'smtps' : 'smtp'}://${user}${host}:${smtp.port}`;
}

/** An `smtpUrl` by PARLEY_SMTP_URL's rule (config.ts); the reason never echoes the value. */
function readSmtpUrl(value: unknown): string {
  if (typeof value !== 'string' || value.length > 2000) throw new ParleyError('bad_request', 'smtpUrl must be a URL like smtp://user:password@host:587, or null');
  try {
    parseSmtpUrl(value);
  } catch (error) {
    throw new ParleyError('bad_request', `smtpUrl ${(error as Error).message}`);
  }
  return value;
}

/** A `mailFrom` by PARLEY_MAIL_FROM's rule: the configuration's own parser, through loadConfig. */
function readMailFrom(value: unknown): string {
  if (typeof value !== 'string' || value.length > 320) throw new ParleyError('bad_request', 'mailFrom must be an email address, or a name and <address>, or null');
  try {
    return loadConfig({ PARLEY_MAIL_FROM: value }).mailFrom!;
  } catch (error) {
    const reason = error instanceof ConfigError ? (error.problems[0] ?? '').replace(/^PARLEY_MAIL_FROM \(--mail-from\): /, '') : 'is not valid';
    throw new ParleyError('bad_request', `mailFrom ${reason}`);
  }
}

export function createSettings(options: { store: Store; config: Config; now: () => number }) {
  const { store, config } = options;
  const env = config.fromEnvironment;
  // One cache for the settings and the uploaded icon (kept as `{icon}`, so that none is remembered too):
  // every write forgets and announces both.
  const cache = readCacheOf<EffectiveSettings | { icon: LauncherIcon | null }>(store, 'settings', { announced: true });

  async function stored(): Promise<Map<string, unknown>> {
    const rows = await store.db.selectFrom('settings').selectAll().where('name', '!=', LAUNCHER_ICON_ROW).execute();
    return new Map(rows.map((r) => [r.name, JSON.parse(r.value) as unknown]));
  }

  /** A stored value read again by its rule; `fallback` when unset or refused. */
  function readStored<T>(db: Map<string, unknown>, name: string, parse: (value: unknown) => Field<T>, fallback: T): T {
    if (!db.has(name)) return fallback;
    const parsed = parse(db.get(name));
    return parsed.ok ? parsed.value : fallback;
  }

  /** The widget's settings from the stored rows, each read again by its rule (a value it refuses is unset). */
  function widgetOf(db: Map<string, unknown>): WidgetSettings {
    const read = <T>(name: string, parse: (value: unknown) => Field<T>, fallback: T): T => {
      if (!db.has(name)) return fallback;
      const parsed = parse(db.get(name));
      return parsed.ok ? parsed.value : fallback;
    };
    return {
      teamName: read('widgetTeamName', parseWidgetLabel, NO_WIDGET.teamName),
      avatarUrl: read('widgetAvatarUrl', parseHttpsUrl, NO_WIDGET.avatarUrl),
      title: read('widgetTitle', parseWidgetLabel, NO_WIDGET.title),
      accentColor: read('widgetAccentColor', parseAccentColor, NO_WIDGET.accentColor),
      launcherIcon: readLauncherIcon(db.get('widgetLauncherIconUrl')),
      position: read('widgetPosition', parseWidgetPosition, NO_WIDGET.position),
      greeting: read('widgetGreeting', parseWidgetGreeting, NO_WIDGET.greeting),
      replyTime: read('widgetReplyTime', parseWidgetReplyTime, NO_WIDGET.replyTime),
      awayText: read('widgetAwayText', parseWidgetAwayText, NO_WIDGET.awayText),
    };
  }

  async function load(): Promise<EffectiveSettings> {
    const db = await stored();
    const pick = <T>(variable: string, name: string, fromConfig: T): T => (env.has(variable) || !db.has(name) ? fromConfig : (db.get(name) as T));
    return {
      seatLimit: pick('PARLEY_SEAT_LIMIT', 'seatLimit', config.seatLimit),
      allowedOrigins: pick('PARLEY_ALLOWED_ORIGINS', 'allowedOrigins', config.allowedOrigins),
      tokenMaxLifetimeSeconds: pick('PARLEY_TOKEN_MAX_LIFETIME', 'tokenMaxLifetimeSeconds', config.tokenMaxLifetimeSeconds),
      externalAuthEnabled: db.has('externalAuthEnabled') ? db.get('externalAuthEnabled') === true : true,
      smtp: env.has('PARLEY_SMTP_URL') ? config.smtp : storedSmtp(db.get('smtpUrl')),
      mailFrom: env.has('PARLEY_MAIL_FROM') ? config.mailFrom : typeof db.get('mailFrom') === 'string' ? (db.get('mailFrom') as string) : null,
      signInMethods: readStored(db, 'signInMethods', parseSignInMethods, ['external']),
      emailSignInDomains: readStored(db, 'emailSignInDomains', parseEmailSignInDomains, []),
      widget: widgetOf(db),
    };
  }

  async function get(): Promise<EffectiveSettings> {
    return (await cache.get('effective', load)) as EffectiveSettings;
  }

  async function put(into: Store, name: string, value: unknown): Promise<void> {
    const row = { name, value: JSON.stringify(value), updated_at: options.now() };
    await into.db
      .insertInto('settings')
      .values(row)
      .onConflict((oc) => oc.column('name').doUpdateSet({ value: row.value, updated_at: row.updated_at }))
      .execute();
    cache.clear();
    await announceCacheChange(into, into.db, 'settings');
  }

  async function remove(into: Store, name: string): Promise<void> {
    await into.db.deleteFrom('settings').where('name', '=', name).execute();
    cache.clear();
    await announceCacheChange(into, into.db, 'settings');
  }

  /** The uploaded icon as `db` (a transaction's, or the store's) has it. */
  async function iconIn(db: Store['db']): Promise<LauncherIcon | null> {
    const row = await db.selectFrom('settings').select('value').where('name', '=', LAUNCHER_ICON_ROW).executeTakeFirst();
    return readStoredIcon(row?.value);
  }

  /** The absolute URL of the launcher icon setting (an uploaded icon's follows the public URL), or null. */
  const iconUrl = (icon: WidgetSettings['launcherIcon'], publicUrl: string): string | null =>
    icon === null ? null : 'url' in icon ? icon.url : launcherIconUrl(publicUrl, icon.upload);

  return {
    get,

    /** Forgets what this instance holds (after a change committed: see use-cases/settings.ts). */
    forget(): void {
      cache.clear();
    },

    /** Every setting with its value and whether the environment locks it, for the admin panel. */
    async describe(publicUrl: string): Promise<SettingView[]> {
      const s = await get();
      const w = s.widget;
      const free = (name: SettingName, value: unknown): SettingView => ({ name, variable: null, value, locked: false });
      return [
        { name: 'seatLimit', variable: 'PARLEY_SEAT_LIMIT', value: s.seatLimit, locked: env.has('PARLEY_SEAT_LIMIT') },
        { name: 'allowedOrigins', variable: 'PARLEY_ALLOWED_ORIGINS', value: s.allowedOrigins, locked: env.has('PARLEY_ALLOWED_ORIGINS') },
        { name: 'tokenMaxLifetime', variable: 'PARLEY_TOKEN_MAX_LIFETIME', value: formatDuration(s.tokenMaxLifetimeSeconds), locked: env.has('PARLEY_TOKEN_MAX_LIFETIME') },
        free('externalAuthEnabled', s.externalAuthEnabled),
        { name: 'smtpUrl', variable: 'PARLEY_SMTP_URL', value: shownSmtp(s.smtp), locked: env.has('PARLEY_SMTP_URL') },
        { name: 'mailFrom', variable: 'PARLEY_MAIL_FROM', value: s.mailFrom, locked: env.has('PARLEY_MAIL_FROM') },
        free('signInMethods', s.signInMethods),
        free('emailSignInDomains', s.emailSignInDomains),
        free('widgetTeamName', w.teamName),
        free('widgetAvatarUrl', w.avatarUrl),
        free('widgetTitle', w.title),
        free('widgetAccentColor', w.accentColor),
        free('widgetLauncherIconUrl', iconUrl(w.launcherIcon, publicUrl)),
        free('widgetPosition', w.position),
        free('widgetGreeting', w.greeting),
        free('widgetReplyTime', w.replyTime),
        free('widgetAwayText', w.awayText),
      ];
    },

    /** The absolute URL of the launcher icon setting, or null. */
    iconUrl,

    /** The sign-in methods visitors are offered: the setting, without email while no SMTP server is configured. */
    async offeredSignInMethods(): Promise<readonly SignInMethod[]> {
      const { signInMethods, smtp } = await get();
      return smtp ? signInMethods : signInMethods.filter((m) => m !== 'email');
    },

    /** The uploaded launcher icon when `file` is its name (the icon route's lookup), else undefined. */
    async launcherIcon(file: string): Promise<LauncherIcon | undefined> {
      const { icon } = (await cache.get(LAUNCHER_ICON_ROW, async () => ({ icon: await iconIn(store.db) }))) as { icon: LauncherIcon | null };
      return icon?.file === file ? icon : undefined;
    },

    /**
     * Keeps `icon` as the uploaded launcher icon (in place of any earlier one) and makes it the launcher
     * icon setting, in `tx`.
     */
    async putLauncherIcon(icon: LauncherIcon, tx: Store = store): Promise<void> {
      const stored: StoredIcon = { file: icon.file, data: icon.bytes.toString('base64') };
      await put(tx, LAUNCHER_ICON_ROW, stored);
      await put(tx, 'widgetLauncherIconUrl', { upload: icon.file });
    },

    /** Forgets the uploaded launcher icon, and the launcher icon setting if it was that icon, in `tx`. */
    async removeLauncherIcon(tx: Store = store): Promise<void> {
      await remove(tx, LAUNCHER_ICON_ROW);
      const row = await tx.db.selectFrom('settings').select('value').where('name', '=', 'widgetLauncherIconUrl').executeTakeFirst();
      const current = row ? readLauncherIcon(JSON.parse(row.value) as unknown) : null;
      if (current !== null && 'upload' in current) await put(tx, 'widgetLauncherIconUrl', null);
    },

    /**
     * Validates every field first, then writes them (into `tx`, a use case's transaction, when given); a
     * locked field is `setting_locked`. `publicUrl` tells the uploaded icon's URL, which
     * `widgetLauncherIconUrl` may be set to (back) as well as to an https URL.
     */
    async update(patch: SettingsPatch, tx: Store = store, options: { publicUrl?: string } = {}): Promise<void> {
      const writes: [string, unknown][] = [];
      const locked = (variable: string) => {
        if (env.has(variable)) throw new ParleyError('setting_locked', `${variable} is set in the environment, so it cannot be changed here.`);
      };
      if (patch.seatLimit !== undefined) {
        locked('PARLEY_SEAT_LIMIT');
        writes.push(['seatLimit', setting('seatLimit', parseSeatCount(patch.seatLimit))]);
      }
      if (patch.allowedOrigins !== undefined) {
        locked('PARLEY_ALLOWED_ORIGINS');
        writes.push(['allowedOrigins', setting('allowedOrigins', parseOriginList(patch.allowedOrigins))]);
      }
      if (patch.tokenMaxLifetime !== undefined) {
        locked('PARLEY_TOKEN_MAX_LIFETIME');
        writes.push(['tokenMaxLifetimeSeconds', setting('tokenMaxLifetime', parseDuration(patch.tokenMaxLifetime))]);
      }
      if (patch.externalAuthEnabled !== undefined) {
        writes.push(['externalAuthEnabled', setting('externalAuthEnabled', parseFlag(patch.externalAuthEnabled))]);
      }
      if (patch.smtpUrl !== undefined) {
        locked('PARLEY_SMTP_URL');
        writes.push(['smtpUrl', patch.smtpUrl === null ? null : readSmtpUrl(patch.smtpUrl)]);
      }
      if (patch.mailFrom !== undefined) {
        locked('PARLEY_MAIL_FROM');
        writes.push(['mailFrom', patch.mailFrom === null ? null : readMailFrom(patch.mailFrom)]);
      }
      if (patch.signInMethods !== undefined) {
        const methods = setting('signInMethods', parseSignInMethods(patch.signInMethods));
        // Refused rather than saved: a visitor would be offered a form whose email never comes.
        const smtpAfter = patch.smtpUrl !== undefined ? patch.smtpUrl !== null : (await get()).smtp !== null;
        if (methods.includes('email') && !smtpAfter) throw new ParleyError('email_not_configured');
        writes.push(['signInMethods', methods]);
      }
      if (patch.emailSignInDomains !== undefined) {
        writes.push(['emailSignInDomains', setting('emailSignInDomains', parseEmailSignInDomains(patch.emailSignInDomains))]);
      }
      const rules: [SettingName, (value: unknown) => Field<unknown>][] = [
        ['widgetTeamName', parseWidgetLabel],
        ['widgetAvatarUrl', parseHttpsUrl],
        ['widgetTitle', parseWidgetLabel],
        ['widgetAccentColor', parseAccentColor],
        ['widgetPosition', parseWidgetPosition],
        ['widgetGreeting', parseWidgetGreeting],
        ['widgetReplyTime', parseWidgetReplyTime],
        ['widgetAwayText', parseWidgetAwayText],
      ];
      for (const [name, parse] of rules) if (patch[name] !== undefined) writes.push([name, setting(name, parse(patch[name]))]);
      if (patch.widgetLauncherIconUrl !== undefined) {
        const icon = await iconIn(tx.db);
        const uploaded = icon && options.publicUrl !== undefined ? launcherIconUrl(options.publicUrl, icon.file) : null;
        const value = uploaded !== null && patch.widgetLauncherIconUrl === uploaded ? { upload: icon!.file } : setting('widgetLauncherIconUrl', parseHttpsUrl(patch.widgetLauncherIconUrl));
        writes.push(['widgetLauncherIconUrl', value]);
      }
      for (const [name, value] of writes) await put(tx, name, value);
    },
  };
}

export type Settings = ReturnType<typeof createSettings>;
