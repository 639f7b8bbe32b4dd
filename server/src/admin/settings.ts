/**
 * The settings an administrator can change (docs/admin-api.md): seat limit, allowed origins, token maximum
 * lifetime, and the external-auth switch. Each value is read by its rule in shared/src/fields.ts, the one
 * the environment's value follows too. A setting the environment sets is locked; the others live in the
 * `settings` table. Every request reads them, so they are kept in memory (store/read-cache.ts), exactly: a
 * change made here counts from the next request; one made by another process on SQLite (the CLI) from the
 * next turn of the event loop; one made by another instance on PostgreSQL as soon as its announcement
 * arrives, at the change's commit.
 */
import { ParleyError } from '../errors.js';
import type { Config } from '../config.js';
import { parseDuration, parseFlag, parseOriginList, parseSeatCount, type Field } from '../../../shared/src/fields.js';
import type { Store } from '../store/database.js';
import { announceCacheChange, readCacheOf } from '../store/read-cache.js';

export interface EffectiveSettings {
  seatLimit: number;
  /** null = the public URL's origin only; ['*'] = any. */
  allowedOrigins: readonly string[] | null;
  tokenMaxLifetimeSeconds: number;
  /** The administrator's switch; with it on, sign-in still needs at least one key. */
  externalAuthEnabled: boolean;
}

export interface SettingView {
  name: 'seatLimit' | 'allowedOrigins' | 'tokenMaxLifetime' | 'externalAuthEnabled';
  variable: string | null;
  value: unknown;
  locked: boolean;
}

export interface SettingsPatch {
  seatLimit?: unknown;
  allowedOrigins?: unknown;
  tokenMaxLifetime?: unknown;
  externalAuthEnabled?: unknown;
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

export function createSettings(options: { store: Store; config: Config; now: () => number }) {
  const { store, config } = options;
  const env = config.fromEnvironment;
  const cache = readCacheOf<EffectiveSettings>(store, 'settings', { announced: true });

  async function stored(): Promise<Map<string, unknown>> {
    const rows = await store.db.selectFrom('settings').selectAll().execute();
    return new Map(rows.map((r) => [r.name, JSON.parse(r.value) as unknown]));
  }

  async function load(): Promise<EffectiveSettings> {
    const db = await stored();
    const pick = <T>(variable: string, name: string, fromConfig: T): T => (env.has(variable) || !db.has(name) ? fromConfig : (db.get(name) as T));
    return {
      seatLimit: pick('PARLEY_SEAT_LIMIT', 'seatLimit', config.seatLimit),
      allowedOrigins: pick('PARLEY_ALLOWED_ORIGINS', 'allowedOrigins', config.allowedOrigins),
      tokenMaxLifetimeSeconds: pick('PARLEY_TOKEN_MAX_LIFETIME', 'tokenMaxLifetimeSeconds', config.tokenMaxLifetimeSeconds),
      externalAuthEnabled: db.has('externalAuthEnabled') ? db.get('externalAuthEnabled') === true : true,
    };
  }

  async function get(): Promise<EffectiveSettings> {
    return (await cache.get('effective', load))!;
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

  return {
    get,

    /** Forgets what this instance holds (after a change committed: see use-cases/settings.ts). */
    forget(): void {
      cache.clear();
    },

    /** Every setting with its value and whether the environment locks it, for the admin panel. */
    async describe(): Promise<SettingView[]> {
      const s = await get();
      return [
        { name: 'seatLimit', variable: 'PARLEY_SEAT_LIMIT', value: s.seatLimit, locked: env.has('PARLEY_SEAT_LIMIT') },
        { name: 'allowedOrigins', variable: 'PARLEY_ALLOWED_ORIGINS', value: s.allowedOrigins, locked: env.has('PARLEY_ALLOWED_ORIGINS') },
        { name: 'tokenMaxLifetime', variable: 'PARLEY_TOKEN_MAX_LIFETIME', value: formatDuration(s.tokenMaxLifetimeSeconds), locked: env.has('PARLEY_TOKEN_MAX_LIFETIME') },
        { name: 'externalAuthEnabled', variable: null, value: s.externalAuthEnabled, locked: false },
      ];
    },

    /**
     * Validates every field first, then writes them (into `tx`, a use case's transaction, when given); a
     * locked field is `setting_locked`.
     */
    async update(patch: SettingsPatch, tx: Store = store): Promise<void> {
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
      for (const [name, value] of writes) await put(tx, name, value);
    },
  };
}

export type Settings = ReturnType<typeof createSettings>;
