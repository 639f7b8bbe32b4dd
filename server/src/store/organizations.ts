/** Organizations: the default one, and any an integrator names in a token or the token API. */
import type { Store } from './database.js';

export function createOrganizationRepository({ db }: Store) {
  return {
    /** Creates the organization if it does not exist yet. */
    async ensure(id: string, now: number): Promise<void> {
      await db.insertInto('organizations').values({ id, name: id, created_at: now }).onConflict((oc) => oc.column('id').doNothing()).execute();
    },
  };
}

export type OrganizationRepository = ReturnType<typeof createOrganizationRepository>;
