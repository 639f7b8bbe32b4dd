/**
 * The settings an administrator can change (PRODUCT.md §3, §8): seat limit, allowed origins, token maximum
 * lifetime, and the external-auth switch. A setting the environment sets is locked; the others live in the
 * `settings` table. Reads are cached for a second, so a change made by another instance or the CLI shows
 * within a second, and one made here shows at once.
 */
import { ParleyError } from '../errors.js';
import { parseDuration, type Config } from '../config.js';
import type { Store } from '../store/database.js';

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

const CACHE_MS = 1000;
const UNITS: [number, string][] = [[604_800, 'w'], [86_400, 'd'], [3600, 'h'], [60, 'm']];

/** 604800 → "7d"; the largest unit that divides it. */
export function formatDuration(seconds: number): string {
  for (const [size, unit] of UNITS) if (seconds % size === 0) return `${seconds / size}${unit}`;
  return `${seconds}s`;
}

function checkOrigin(value: unknown): string {
  if (typeof value !== 'string') throw new ParleyError('bad_request', 'allowedOrigins must be a list of origins');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ParleyError('bad_request', `allowedOrigins: "${value.slice(0, 100)}" is not an origin like https://app.example.com`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== value.replace(/\/$/, '')) {
    throw new ParleyError('bad_request', `allowedOrigins: "${value.slice(0, 100)}" is not an origin (scheme, host and port only)`);
  }
  return url.origin;
}

export function createSettings(options: { store: Store; config: Config; now: () => number }) {
  const { store, config } = options;
  const env = config.fromEnvironment;
  let cached: { at: number; value: EffectiveSettings } | null = null;

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
    const now = options.now();
    if (cached && now - cached.at < CACHE_MS && now >= cached.at) return cached.value;
    const value = await load();
    cached = { at: now, value };
    return value;
  }

  async function put(name: string, value: unknown): Promise<void> {
    const row = { name, value: JSON.stringify(value), updated_at: options.now() };
    await store.db
      .insertInto('settings')
      .values(row)
      .onConflict((oc) => oc.column('name').doUpdateSet({ value: row.value, updated_at: row.updated_at }))
      .execute();
  }

  return {
    get,

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

    /** Validates every field first, then writes them; a locked field is `setting_locked`. */
    async update(patch: SettingsPatch): Promise<void> {
      const writes: [string, unknown][] = [];
      const locked = (variable: string) => {
        if (env.has(variable)) throw new ParleyError('setting_locked', `${variable} is set in the environment, so it cannot be changed here.`);
      };
      if (patch.seatLimit !== undefined) {
        locked('PARLEY_SEAT_LIMIT');
        if (!Number.isSafeInteger(patch.seatLimit) || (patch.seatLimit as number) < 0 || (patch.seatLimit as number) > 1e9) {
          throw new ParleyError('bad_request', 'seatLimit must be a whole number from 0');
        }
        writes.push(['seatLimit', patch.seatLimit]);
      }
      if (patch.allowedOrigins !== undefined) {
        locked('PARLEY_ALLOWED_ORIGINS');
        const value = patch.allowedOrigins;
        if (value === null) writes.push(['allowedOrigins', null]);
        else if (!Array.isArray(value) || value.length > 100) throw new ParleyError('bad_request', 'allowedOrigins must be a list of origins, or null');
        else if (value.length === 1 && value[0] === '*') writes.push(['allowedOrigins', ['*']]);
        else writes.push(['allowedOrigins', value.length === 0 ? null : [...new Set(value.map(checkOrigin))]]);
      }
      if (patch.tokenMaxLifetime !== undefined) {
        locked('PARLEY_TOKEN_MAX_LIFETIME');
        let seconds: number;
        try {
          if (typeof patch.tokenMaxLifetime !== 'string') throw new Error();
          seconds = parseDuration(patch.tokenMaxLifetime);
        } catch {
          throw new ParleyError('bad_request', 'tokenMaxLifetime must be a duration such as 3600, 30m, 12h or 7d');
        }
        writes.push(['tokenMaxLifetimeSeconds', seconds]);
      }
      if (patch.externalAuthEnabled !== undefined) {
        if (typeof patch.externalAuthEnabled !== 'boolean') throw new ParleyError('bad_request', 'externalAuthEnabled must be true or false');
        writes.push(['externalAuthEnabled', patch.externalAuthEnabled]);
      }
      for (const [name, value] of writes) await put(name, value);
      cached = null;
    },
  };
}

export type Settings = ReturnType<typeof createSettings>;
