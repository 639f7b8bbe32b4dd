/**
 * An account's grants, indexed for the question an event stream asks of every document-room event: what role
 * does this account have on document D (of folder F) at time t? Pure: built from the grant rows, answered
 * from memory. The rule: the strongest grant covering the document (on its organization, its folder or the
 * document itself) that has not expired; `editor` beats `viewer`.
 */
import type { AccessRole } from '../store/schema.js';
import type { GrantRow } from '../store/grants.js';

export interface GrantIndex {
  /** Whether any grant is on a folder (only then does a document's folder matter). */
  readonly hasFolderGrants: boolean;
  roleFor(documentId: string, folderId: string | null, at: number): AccessRole | null;
}

/** The stronger of `found` and the strongest grant of `list` unexpired at `at` (`editor` beats `viewer`). */
function strongest(list: readonly GrantRow[] | undefined, at: number, found: AccessRole | null): AccessRole | null {
  if (list === undefined || found === 'editor') return found;
  for (const g of list) {
    if (g.expires_at !== null && g.expires_at <= at) continue;
    if (g.access_role === 'editor') return 'editor';
    found = 'viewer';
  }
  return found;
}

export function indexGrants(rows: readonly GrantRow[], organizationId: string): GrantIndex {
  const byKey = new Map<string, GrantRow[]>();
  let hasFolderGrants = false;
  for (const row of rows) {
    if (row.organization_id !== organizationId) continue;
    if (row.resource_type === 'folder') hasFolderGrants = true;
    const key = `${row.resource_type}\u0000${row.resource_id}`;
    const list = byKey.get(key);
    if (list) list.push(row);
    else byKey.set(key, [row]);
  }
  const organizationGrants = byKey.get(`organization\u0000${organizationId}`);
  return {
    hasFolderGrants,
    // Asked by every stream of an instance at every room event: no arrays made per call.
    roleFor(documentId, folderId, at) {
      const role = strongest(byKey.get(`document\u0000${documentId}`), at, strongest(organizationGrants, at, null));
      return folderId === null ? role : strongest(byKey.get(`folder\u0000${folderId}`), at, role);
    },
  };
}
