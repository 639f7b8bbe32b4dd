/**
 * The team's presence (GET /api/v1/presence): an administrator is online while their admin panel's event
 * stream is open, which writes `users.panel_seen_at` when it opens and about once a minute after. An
 * organization has someone online when an owner or admin of it, or an owner (who administers every
 * organization), was seen within PRESENCE_WINDOW_MS.
 *
 * Widgets ask at every open, so an organization's answer is kept for PRESENCE_CACHE_MS, per store, and an
 * "online" never past the moment its newest sighting leaves the window; a write through this store forgets
 * the answers it may change at once. Another instance's write shows here within PRESENCE_CACHE_MS, well
 * inside the two minutes the window spans.
 *
 * With Redis (`PARLEY_REDIS_URL`) a sighting is a key instead, `<prefix>presence:org:<organizationId>`
 * (an owner's: `<prefix>presence:owner`) holding the time of the newest sighting and expiring with the
 * window, and every instance reads it there at once: no database write per open panel, no cache. While
 * Redis is away both go to the database as without it. A deactivated administrator's open panel closes at
 * once (their sessions end), and their last sighting then leaves the window within two minutes.
 */
import { PRESENCE_WINDOW_MS } from '#shared/constants.js';
import type { Store } from './database.js';
import { readCacheOf } from './read-cache.js';
import type { RedisLink } from '../redis/link.js';

export const PRESENCE_CACHE_MS = 10_000;

interface Answers {
  byOrganization: Map<string, { at: number; until: number; online: boolean }>;
  /** Moves on at every write: an answer read while a write went on is given but not kept. */
  generation: number;
}

const answersOf = new WeakMap<Store, Answers>();

/** The presence keys whose sighting makes `organizationId` online. */
function presenceKeys(link: RedisLink, organizationId: string): [string, string] {
  return [`${link.prefix}presence:org:${organizationId}`, `${link.prefix}presence:owner`];
}

export function createPresenceRepository(store: Store, redis: RedisLink | null = null) {
  const root = store.root ?? store;
  let answers = answersOf.get(root);
  if (!answers) answersOf.set(root, (answers = { byOrganization: new Map(), generation: 0 }));
  const kept = answers;
  const cached = kept.byOrganization;
  // The accounts' read cache keeps whole rows: a row whose panel_seen_at moved must go too.
  const users = readCacheOf<{ id: string }>(store, 'users');

  return {
    /** Records that the administrator `user` has the panel open at `now`. */
    async seen(user: { id: string; role: string; organization_id: string }, now: number): Promise<void> {
      if (redis?.available()) {
        const key = user.role === 'owner' ? `${redis.prefix}presence:owner` : presenceKeys(redis, user.organization_id)[0];
        try {
          // The newest sighting wins (the app's clock); the key expires with the window.
          await redis.commands.eval(KEEP_NEWEST, 1, key, now, PRESENCE_WINDOW_MS);
          return;
        } catch {
          // Redis went away meanwhile: recorded in the database, as without it.
        }
      }
      kept.generation++;
      await store.db.updateTable('users').set({ panel_seen_at: now }).where('id', '=', user.id).execute();
      kept.generation++;
      users.forget((row) => row.id === user.id);
      if (user.role === 'owner') cached.clear();
      else cached.delete(user.organization_id);
    },

    /** Whether someone of the team of `organizationId` had the panel open within the window before `now`. */
    async online(organizationId: string, now: number): Promise<boolean> {
      if (redis?.available()) {
        try {
          const seen = await redis.commands.mget(...presenceKeys(redis, organizationId));
          return seen.some((at) => at !== null && Number(at) >= now - PRESENCE_WINDOW_MS);
        } catch {
          // Redis went away meanwhile: answered from the database.
        }
      }
      const hit = cached.get(organizationId);
      if (hit && now >= hit.at && now < hit.until) return hit.online;
      const generation = kept.generation;
      const row = await store.db
        .selectFrom('users')
        .select((eb) => eb.fn.max('panel_seen_at').as('seen'))
        .where('panel_seen_at', '>=', now - PRESENCE_WINDOW_MS)
        .where('active', '=', 1)
        .where((eb) => eb.or([eb('role', '=', 'owner'), eb.and([eb('role', '=', 'admin'), eb('organization_id', '=', organizationId)])]))
        .executeTakeFirst();
      const seen = row?.seen === null || row?.seen === undefined ? null : Number(row.seen);
      const online = seen !== null;
      if (generation !== kept.generation) return online;
      if (cached.size >= 10_000) cached.clear();
      cached.set(organizationId, { at: now, until: Math.min(now + PRESENCE_CACHE_MS, seen === null ? Infinity : seen + PRESENCE_WINDOW_MS + 1), online });
      return online;
    },
  };
}

/** Sets the key to ARGV[1] unless it holds a later time, and (re)starts its expiry of ARGV[2] ms. */
const KEEP_NEWEST = `
local at = tonumber(redis.call('GET', KEYS[1]))
if not at or at < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
return 1
`;

export type PresenceRepository = ReturnType<typeof createPresenceRepository>;
