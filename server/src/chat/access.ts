/**
 * Who may read and write which conversation: the one place every chat route, the inbox and the event stream
 * ask. A member reads and writes the conversations they take part in; an owner or admin, every conversation
 * of their organization. An unknown id and a conversation out of reach are the same 404, so ids cannot be
 * probed.
 */
import { ParleyError } from '../errors.js';
import type { ConversationRepository, ConversationRow } from '../store/conversations.js';
import type { UserRow } from '../store/users.js';
import type { BusEvent } from './event-bus.js';

export type Access = 'read' | 'write';

export const isAdministrator = (user: Pick<UserRow, 'role'>) => user.role === 'owner' || user.role === 'admin';

export function createAccessControl(conversations: ConversationRepository) {
  return {
    /** The conversation, if `user` may `access` it; throws `conversation_not_found` otherwise. */
    async requireConversation(user: UserRow, conversationId: string, _access: Access): Promise<ConversationRow> {
      const row = isAdministrator(user) ? await conversations.findById(conversationId) : await conversations.findForParticipant(conversationId, user.id);
      if (!row || row.organization_id !== user.organization_id) throw new ParleyError('conversation_not_found');
      return row;
    },

    /** What a user's event stream replays from the log. */
    streamScope: (user: UserRow): { userId: string } | { organizationId: string } =>
      isAdministrator(user) ? { organizationId: user.organization_id } : { userId: user.id },

    /** Whether a live event reaches this user's stream. */
    mayReceive: (user: UserRow, e: BusEvent): boolean =>
      isAdministrator(user) ? e.event.organization_id === user.organization_id : e.participantIds.includes(user.id),
  };
}

export type AccessControl = ReturnType<typeof createAccessControl>;
