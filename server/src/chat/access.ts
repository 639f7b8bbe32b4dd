/**
 * Who may read and write which conversation: the one place every chat route, the inbox, document rooms and
 * the event stream ask (docs/security.md, Access to conversations; docs/token-api.md, Organizations, grants, document rooms).
 * - Nothing outside the user's organization, ever.
 * - An owner or admin: every conversation of their organization.
 * - A member: the conversations they take part in; and a document room if a grant covers the document
 *   (on the organization, the document's folder or the document), `viewer` to read, `editor` to write,
 *   until the grant's `expiresAt`.
 * An unknown id and a conversation out of reach are the same 404, so ids cannot be probed; a viewer who
 * writes gets 403 `read_only`.
 */
import { ParleyError } from '../errors.js';
import { DEFAULT_ORGANIZATION_ID } from '../store/migrations.js';
import type { ConversationRepository, ConversationRow } from '../store/conversations.js';
import type { GrantRepository } from '../store/grants.js';
import type { AccessRole } from '../store/schema.js';
import type { UserRow } from '../store/users.js';
import type { BusEvent } from './event-bus.js';

export type Access = 'read' | 'write';

export const isAdministrator = (user: Pick<UserRow, 'role'>) => user.role === 'owner' || user.role === 'admin';

/**
 * Who administers the instance (the admin panel and `/api/v1/admin`): an owner, or an admin of the default
 * organization. An admin of another organization (a signed `isAdmin` with its `organizationId`) administers
 * that organization's conversations only.
 */
export const isInstanceAdministrator = (user: Pick<UserRow, 'role' | 'organization_id'>) =>
  user.role === 'owner' || (user.role === 'admin' && user.organization_id === DEFAULT_ORGANIZATION_ID);

/** How long a grant lookup is reused by the event stream (an expiry inside the window still ends it on time). */
const GRANT_CACHE_MS = 2000;
const GRANT_CACHE_SIZE = 10_000;

export function createAccessControl(conversations: ConversationRepository, grants: GrantRepository, now: () => number) {
  const cache = new Map<string, { role: AccessRole | null; until: number | null; at: number }>();

  /** The user's role on a document of their organization at `at` (administrators: editor). */
  async function documentRole(user: UserRow, documentId: string, at: number): Promise<AccessRole | null> {
    if (isAdministrator(user)) return 'editor';
    const key = `${user.id}\u0000${user.organization_id}\u0000${documentId}`;
    const hit = cache.get(key);
    if (hit && at - hit.at < GRANT_CACHE_MS && (hit.until === null || at < hit.until)) return hit.role;
    const found = await grants.roleFor(user.id, user.organization_id, documentId, at);
    if (cache.size >= GRANT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
    cache.set(key, { role: found?.role ?? null, until: found?.until ?? null, at });
    return found?.role ?? null;
  }

  return {
    documentRole,

    /** The conversation, if `user` may `access` it; throws `conversation_not_found` or `read_only` otherwise. */
    async requireConversation(user: UserRow, conversationId: string, access: Access): Promise<ConversationRow> {
      const row = await conversations.findById(conversationId);
      if (!row || row.organization_id !== user.organization_id) throw new ParleyError('conversation_not_found');
      if (row.document_id !== null) {
        const role = await documentRole(user, row.document_id, now());
        if (role === null) throw new ParleyError('conversation_not_found');
        if (access === 'write' && role !== 'editor') throw new ParleyError('read_only');
        return row;
      }
      if (isAdministrator(user)) return row;
      if (!(await conversations.findForParticipant(conversationId, user.id))) throw new ParleyError('conversation_not_found');
      return row;
    },

    /** What a user's event stream replays from the log (each event is still checked by `mayReceive`). */
    streamScope: (user: UserRow): { userId: string } | { organizationId: string } =>
      isAdministrator(user) ? { organizationId: user.organization_id } : { userId: user.id },

    /** Whether an event reaches this user's stream, decided when it is delivered. */
    async mayReceive(user: UserRow, e: BusEvent): Promise<boolean> {
      if (e.event.organization_id !== user.organization_id) return false;
      if (e.event.document_id !== null) return (await documentRole(user, e.event.document_id, now())) !== null;
      return isAdministrator(user) || e.participantIds.includes(user.id);
    },
  };
}

export type AccessControl = ReturnType<typeof createAccessControl>;
