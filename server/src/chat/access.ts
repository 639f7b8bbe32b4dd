/**
 * Who may read and write which conversation: the one place every chat route, the inbox, document rooms and
 * the event stream ask (docs/security.md, Access to conversations; docs/token-api.md, Organizations, grants, document rooms).
 * - Nothing outside the user's organization, ever.
 * - An owner or admin: every conversation of their organization.
 * - A member: the conversations they take part in; and a document room if a grant covers the document
 *   (on the organization, the document's folder or the document), `viewer` to read, `editor` to write,
 *   until the grant's `expiresAt`.
 * An unknown id and a conversation out of reach are the same 404, so ids cannot be probed; a viewer who
 * writes gets 403 `read_only`. Internal notes, and the events about them, reach administrators only.
 */
import { ParleyError } from '../errors.js';
import { DEFAULT_ORGANIZATION_ID } from '../store/migrations.js';
import type { ConversationRepository, ConversationRow, SeenConversation } from '../store/conversations.js';
import type { GrantRepository } from '../store/grants.js';
import type { Changes } from '../store/changes.js';
import { indexGrants, type GrantIndex } from './grant-index.js';
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

/**
 * Who something delivered on a stream is for: the organization, document room and participants of its
 * conversation, and whether it is for administrators only (an internal note's events).
 */
export interface Audience {
  /** Null: no organization's, so nobody's. */
  organizationId: string | null;
  documentId: string | null;
  participantIds: readonly string[];
  internal: boolean;
}

export const audienceOf = (e: BusEvent): Audience => ({
  organizationId: e.event.organization_id,
  documentId: e.event.document_id,
  participantIds: e.participantIds,
  internal: e.event.internal === 1,
});

/** What one event stream may receive; `close` when the stream ends. */
export interface StreamAccess {
  /**
   * What can be told at once, from what is in memory: whether `audience` reaches this stream, or undefined
   * for a document room's while the account's grants (or the document's folder) are not loaded (then only
   * `mayReach` tells). A stream skips at once what surely does not reach it, rather than queue every event
   * of the instance behind its deliveries.
   */
  reachesAtOnce(audience: Audience): boolean | undefined;
  mayReceive(e: BusEvent): Promise<boolean>;
  /** The same rule for what is not a stored event (a `typing` signal). */
  mayReach(audience: Audience): Promise<boolean>;
  close(): void;
}

export function createAccessControl(deps: { conversations: ConversationRepository; grants: GrantRepository; changes: Changes; now: () => number }) {
  const { conversations, grants, changes, now } = deps;

  /**
   * The user's role on a document of their organization at `at` (administrators: editor), asked of the
   * database at every request: a grant changed or removed counts from the next request on.
   */
  async function documentRole(user: UserRow, documentId: string, at: number): Promise<AccessRole | null> {
    if (isAdministrator(user)) return 'editor';
    return (await grants.roleFor(user.id, user.organization_id, documentId, at))?.role ?? null;
  }

  return {
    documentRole,

    /**
     * The conversation, if `user` may `access` it; throws `conversation_not_found` or `read_only` otherwise.
     * `seen`: the conversation as the request's session check read it (auth/session-auth.ts), used instead
     * of reading it again when it is this one.
     */
    async requireConversation(user: UserRow, conversationId: string, access: Access, seen?: SeenConversation): Promise<ConversationRow> {
      const administrator = isAdministrator(user);
      const known = seen?.id === conversationId ? seen.found : undefined;
      // A member's participation is read with the row: one round trip, as for an administrator, who needs none.
      const found =
        known !== undefined
          ? known
          : administrator
            ? await conversations.findById(conversationId).then((row) => row && { row, participant: true })
            : await conversations.findWithParticipation(conversationId, user.id);
      if (!found || found.row.organization_id !== user.organization_id) throw new ParleyError('conversation_not_found');
      const { row } = found;
      if (row.document_id !== null) {
        const role = !administrator && known?.documentRole !== undefined ? known.documentRole : await documentRole(user, row.document_id, now());
        if (role === null) throw new ParleyError('conversation_not_found');
        if (access === 'write' && role !== 'editor') throw new ParleyError('read_only');
        return row;
      }
      if (!administrator && !found.participant) throw new ParleyError('conversation_not_found');
      return row;
    },

    /** What a user's event stream replays from the log (each event is still checked by `mayReceive`). */
    streamScope: (user: UserRow): { userId: string } | { organizationId: string } =>
      isAdministrator(user) ? { organizationId: user.organization_id } : { userId: user.id },

    /**
     * What one event stream of `user` may receive, decided when each event is delivered. The account's grants
     * are loaded once (at the first document-room event), indexed by document, and loaded again only after a
     * change to them is announced (store/changes.ts): delivering a room event asks the database nothing,
     * and the first event after a change follows the new grants.
     */
    forStream(user: UserRow): StreamAccess {
      let index: Promise<GrantIndex> | null = null;
      // The same index once it has loaded (and until it is dropped), for decisions made at once.
      let loaded: GrantIndex | null = null;
      const folders = new Map<string, string | null>();
      // Bumped when the documents' folders change: a lookup that started before is answered, not kept.
      let folderGeneration = 0;
      const unsubscribe = changes.subscribe((topic) => {
        if (topic === `grants:${user.id}` || topic === '*') {
          index = null;
          loaded = null;
        }
        if (topic === 'documents' || topic === '*') {
          folders.clear();
          folderGeneration++;
        }
      });
      const load = (): Promise<GrantIndex> => {
        const loading = grants.list(user.id).then((rows) => indexGrants(rows, user.organization_id));
        loading.then(
          (value) => {
            if (index === loading) loaded = value;
          },
          // A failed load is not kept: the next event asks again.
          () => {
            if (index === loading) index = null;
          },
        );
        loaded = null;
        return (index = loading);
      };
      const folderOf = async (documentId: string): Promise<string | null> => {
        if (folders.has(documentId)) return folders.get(documentId)!;
        const started = folderGeneration;
        const folder = await grants.folderOf(user.organization_id, documentId);
        if (started === folderGeneration) folders.set(documentId, folder);
        return folder;
      };
      const reachesAtOnce = (audience: Audience): boolean | undefined => {
        if (audience.organizationId !== user.organization_id) return false;
        // An internal note and whatever follows it (its edit, its deletion) reach administrators only.
        if (isAdministrator(user)) return true;
        if (audience.internal) return false;
        const documentId = audience.documentId;
        if (documentId === null) return audience.participantIds.includes(user.id);
        // A room: from the grants when they are at hand (and the document's folder, when a folder grant may cover it).
        if (loaded === null || (loaded.hasFolderGrants && !folders.has(documentId))) return undefined;
        return loaded.roleFor(documentId, loaded.hasFolderGrants ? folders.get(documentId)! : null, now()) !== null;
      };
      const mayReach = async (audience: Audience): Promise<boolean> => {
        const known = reachesAtOnce(audience);
        if (known !== undefined) return known;
        const documentId = audience.documentId!;
        const held = await (index ?? load());
        return held.roleFor(documentId, held.hasFolderGrants ? await folderOf(documentId) : null, now()) !== null;
      };
      return {
        reachesAtOnce,
        mayReceive: (e) => mayReach(audienceOf(e)),
        mayReach,
        close: unsubscribe,
      };
    },
  };
}

export type AccessControl = ReturnType<typeof createAccessControl>;
