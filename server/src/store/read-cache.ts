/**
 * Exact read caches, for the rows every sign-in and every request reads (accounts, keys, revoked
 * sessions), on SQLite.
 *
 * A cache may only answer what the database would answer. Two kinds of change can make an entry stale:
 * - a write by this process: the repository that wrote forgets the entries it touched, at once (the cache
 *   is shared by every repository of its name on one store, so a second app on the same store sees it too);
 * - a commit by another process (the CLI, a second server on the same file): SQLite's `PRAGMA data_version`
 *   has changed, and the cache empties. The pragma opens a read transaction (a sign-in's largest cost when
 *   read at every lookup), so it is read once per turn of the event loop: a commit made elsewhere is seen
 *   from the next turn on (under a millisecond under load), as if the requests handled in the current
 *   turn had all arrived just before it.
 * A load that was in flight while its cache was emptied is answered but not kept, so an old row read just
 * before a write never outlives the write.
 *
 * On PostgreSQL several instances write to one database and there is no such cheap exact signal, so there
 * the caches are off and every read goes to the database, except for rows that are read at every request,
 * change rarely, and announce every write (`announced`, today the settings): those are kept until the change
 * feed (store/changes.ts) says they changed, which every instance hears at the write's commit.
 */
import type { Store } from './database.js';
import { changesOf } from './changes.js';

const MAX_ENTRIES = 10_000;

export interface ReadCache<V extends object> {
  /** Answers from memory when it can, and loads otherwise; `undefined` (nothing found) is never kept. */
  get(key: string, load: () => Promise<V | undefined>): Promise<V | undefined>;
  /** Forgets the entries whose value matches (after this process wrote them). */
  forget(matches: (value: V) => boolean): void;
  /** Forgets everything (after this process wrote something any entry may depend on). */
  clear(): void;
}

const cachesOf = new WeakMap<Store, Map<string, ReadCache<object>>>();
const versionsOf = new WeakMap<Store, () => number>();

/** `PRAGMA data_version` of the store, read at most once per turn of the event loop. */
function dataVersionOf(store: Store): (() => number) | undefined {
  const read = store.dataVersion;
  if (!read) return undefined;
  let memo = versionsOf.get(store);
  if (!memo) {
    let value = 0;
    let fresh = false;
    const expire = () => {
      fresh = false;
    };
    memo = () => {
      if (!fresh) {
        value = read();
        fresh = true;
        setImmediate(expire);
      }
      return value;
    };
    versionsOf.set(store, memo);
  }
  return memo;
}

/**
 * The cache named `name` on this store (one per store and name). Values it answers are frozen: callers
 * copy, never mutate.
 */
export function readCacheOf<V extends object>(store: Store, name: string, options: { announced?: boolean } = {}): ReadCache<V> {
  // Inside a transaction: the root's cache, for forgetting only; what a transaction reads is never kept.
  if (store.root) {
    const root = readCacheOf<V>(store.root, name, options);
    return { get: async (_key, load) => deepFreeze(await load()), forget: (matches) => root.forget(matches), clear: () => root.clear() };
  }
  let caches = cachesOf.get(store);
  if (!caches) cachesOf.set(store, (caches = new Map()));
  let cache = caches.get(name);
  if (!cache) {
    // On PostgreSQL a cache is on only for rows whose every write announces itself (`announced`): it is kept
    // until the change feed says `cache:<name>` (or that announcements were missed).
    const announced = options.announced === true && store.dialect === 'postgres';
    const created = createReadCache<object>(dataVersionOf(store), announced);
    if (announced) changesOf(store).subscribe((topic) => (topic === `cache:${name}` || topic === '*') && created.clear());
    caches.set(name, (cache = created));
  }
  return cache as ReadCache<V>;
}

/** Announces, through `db` (the write's own transaction or connection), that the cache `name` is stale everywhere. */
export function announceCacheChange(store: Store, db: Store['db'], name: string): Promise<void> {
  return changesOf(store).announce(db, `cache:${name}`);
}

/**
 * Rows, or lists of rows, frozen whether they are kept or not (and on PostgreSQL too), so that code that
 * would change a shared row fails the same way every time, on both databases.
 */
function deepFreeze<V>(value: V): V {
  if (Array.isArray(value)) for (const item of value) Object.freeze(item);
  return typeof value === 'object' && value !== null ? Object.freeze(value) : value;
}

function createReadCache<V extends object>(dataVersion: (() => number) | undefined, announced = false): ReadCache<V> {
  const entries = new Map<string, V>();
  let version = Number.NaN;
  // Bumped by every forgetting; a load that started under an older generation is not kept.
  let generation = 0;

  function sync(read: () => number): void {
    const current = read();
    if (current !== version) {
      version = current;
      entries.clear();
      generation++;
    }
  }

  return {
    async get(key, load) {
      if (!dataVersion && !announced) return deepFreeze(await load());
      if (dataVersion) sync(dataVersion);
      const hit = entries.get(key);
      if (hit !== undefined) return hit;
      const started = generation;
      const value = deepFreeze(await load());
      if (dataVersion) sync(dataVersion);
      if (value !== undefined && generation === started) {
        if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value as string);
        entries.set(key, value);
      }
      return value;
    },

    forget(matches) {
      generation++;
      for (const [key, value] of entries) if (matches(value)) entries.delete(key);
    },

    clear() {
      generation++;
      entries.clear();
    },
  };
}
