/** Organizations: the default one, and any an integrator names in a token or the token API. */
import type { Store } from './database.js';
import { readCacheOf } from './read-cache.js';

const KNOWN = Object.freeze({ known: true });

export function createOrganizationRepository(store: Store) {
  const { db } = store;
  // A sign-in that names an organization ensures it: known ones are remembered where that is exact.
  const cache = readCacheOf<typeof KNOWN>(store, 'organizations');
  return {
    /** Creates the organization if it does not exist yet. */
    async ensure(id: string, now: number): Promise<void> {
      await cache.get(id, async () => {
        await db.insertInto('organizations').values({ id, name: id, created_at: now }).onConflict((oc) => oc.column('id').doNothing()).execute();
        return KNOWN;
      });
    },

    findById: (id: string) => db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst(),
  };
}

export type OrganizationRepository = ReturnType<typeof createOrganizationRepository>;
