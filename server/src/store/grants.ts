/**
 * Who may see which resources: grants on organizations, folders and documents, and the folder each document
 * belongs to. `roleFor` answers the strongest unexpired grant that covers a document, since a grant on a
 * parent covers its children (organization › folder › document).
 */
import { sql, type RawBuilder } from 'kysely';
import type { Store } from './database.js';
import { transact } from './transaction.js';
import { changesOf } from './changes.js';
import type { AccessRole, GrantsTable } from './schema.js';
import type { ResourceGrant } from '../permissions/resources.js';

export type GrantRow = GrantsTable;

/**
 * The grants of `userId` that cover a document at `now`: on its organization, on the document, or on its
 * folder (as the grants recorded it, read in a subquery). One fixed statement: `organizationId` and
 * `documentId` may be expressions of an enclosing query (store/sessions.ts reads a conversation's with the
 * session).
 */
export function coveringGrants(userId: string, organizationId: RawBuilder<unknown>, documentId: RawBuilder<unknown>, now: number): RawBuilder<Pick<GrantRow, 'access_role' | 'expires_at'>> {
  return sql<Pick<GrantRow, 'access_role' | 'expires_at'>>`
    select access_role, expires_at from grants
    where user_id = ${userId} and organization_id = ${organizationId}
      and ((resource_type = 'organization' and resource_id = ${organizationId})
        or (resource_type = 'document' and resource_id = ${documentId})
        or (resource_type = 'folder' and resource_id = (select folder_id from documents where organization_id = ${organizationId} and id = ${documentId})))
      and (expires_at is null or expires_at > ${now})`;
}

/** The strongest of covering grants, and how long it lasts (the longest-lived of the strongest); null for none. */
export function strongestGrant(rows: readonly Pick<GrantRow, 'access_role' | 'expires_at'>[]): { role: AccessRole; until: number | null } | null {
  if (rows.length === 0) return null;
  const editors = rows.filter((r) => r.access_role === 'editor');
  const best = editors.length > 0 ? editors : rows;
  const until = best.some((r) => r.expires_at === null) ? null : Math.max(...best.map((r) => Number(r.expires_at)));
  return { role: editors.length > 0 ? 'editor' : 'viewer', until };
}

export function createGrantRepository(store: Store) {
  const { db } = store;
  const changes = changesOf(store);
  return {
    /** Adds or replaces grants, and records what they say about documents' folders. */
    async upsert(userId: string, grants: readonly ResourceGrant[]): Promise<void> {
      if (grants.length === 0) return;
      await transact(db, async (trx) => {
        for (const g of grants) {
          await trx
            .insertInto('grants')
            .values({ user_id: userId, organization_id: g.organizationId, resource_type: g.type, resource_id: g.id, access_role: g.accessRole, expires_at: g.expiresAt })
            .onConflict((oc) => oc.columns(['user_id', 'organization_id', 'resource_type', 'resource_id']).doUpdateSet({ access_role: g.accessRole, expires_at: g.expiresAt }))
            .execute();
          if (g.type === 'document') {
            await trx
              .insertInto('documents')
              .values({ organization_id: g.organizationId, id: g.id, folder_id: g.folderId })
              .onConflict((oc) => (g.folderId ? oc.columns(['organization_id', 'id']).doUpdateSet({ folder_id: g.folderId }) : oc.columns(['organization_id', 'id']).doNothing()))
              .execute();
          }
        }
        // In the transaction of the write: every instance hears it at commit (store/changes.ts).
        await changes.announce(trx, `grants:${userId}`);
        if (grants.some((g) => g.type === 'document' && g.folderId)) await changes.announce(trx, 'documents');
      });
    },

    async remove(userId: string, grants: readonly Pick<ResourceGrant, 'type' | 'id' | 'organizationId'>[]): Promise<number> {
      let removed = 0;
      for (const g of grants) {
        const result = await db
          .deleteFrom('grants')
          .where('user_id', '=', userId)
          .where('organization_id', '=', g.organizationId)
          .where('resource_type', '=', g.type)
          .where('resource_id', '=', g.id)
          .executeTakeFirst();
        removed += Number(result.numDeletedRows);
      }
      if (removed > 0) await changes.announce(db, `grants:${userId}`);
      return removed;
    },

    /** The folder a document belongs to, as grants have recorded it; null when none has. */
    async folderOf(organizationId: string, documentId: string): Promise<string | null> {
      const row = await db.selectFrom('documents').select('folder_id').where('organization_id', '=', organizationId).where('id', '=', documentId).executeTakeFirst();
      return row?.folder_id ?? null;
    },

    list: (userId: string) => db.selectFrom('grants').selectAll().where('user_id', '=', userId).orderBy('organization_id').orderBy('resource_type').orderBy('resource_id').execute(),

    /** The strongest grant covering a document at `now`, with when it ends; null when none does. */
    async roleFor(userId: string, organizationId: string, documentId: string, now: number): Promise<{ role: AccessRole; until: number | null } | null> {
      const { rows } = await coveringGrants(userId, sql`${organizationId}`, sql`${documentId}`, now).execute(db);
      return strongestGrant(rows);
    },
  };
}

export type GrantRepository = ReturnType<typeof createGrantRepository>;
