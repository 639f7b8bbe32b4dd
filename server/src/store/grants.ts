/**
 * Who may see which resources: grants on organizations, folders and documents, and the folder each document
 * belongs to. `roleFor` answers the strongest unexpired grant that covers a document, since a grant on a
 * parent covers its children (organization › folder › document).
 */
import type { Store } from './database.js';
import { transact } from './transaction.js';
import { changesOf } from './changes.js';
import type { AccessRole, GrantsTable } from './schema.js';
import type { ResourceGrant } from '../permissions/resources.js';

export type GrantRow = GrantsTable;

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
      // One statement: the document's folder (as grants recorded it) read in a subquery, not a round trip before.
      const folder = db.selectFrom('documents').select('folder_id').where('organization_id', '=', organizationId).where('id', '=', documentId);
      const rows = await db
        .selectFrom('grants')
        .select(['access_role', 'expires_at'])
        .where('user_id', '=', userId)
        .where('organization_id', '=', organizationId)
        .where((eb) =>
          eb.or([
            eb.and([eb('resource_type', '=', 'organization'), eb('resource_id', '=', organizationId)]),
            eb.and([eb('resource_type', '=', 'document'), eb('resource_id', '=', documentId)]),
            eb.and([eb('resource_type', '=', 'folder'), eb('resource_id', '=', folder)]),
          ]),
        )
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
        .execute();
      if (rows.length === 0) return null;
      const editors = rows.filter((r) => r.access_role === 'editor');
      const best = editors.length > 0 ? editors : rows;
      // The grant lasts as long as the longest-lived of the strongest ones.
      const until = best.some((r) => r.expires_at === null) ? null : Math.max(...best.map((r) => r.expires_at as number));
      return { role: editors.length > 0 ? 'editor' : 'viewer', until };
    },
  };
}

export type GrantRepository = ReturnType<typeof createGrantRepository>;
