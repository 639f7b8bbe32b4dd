/**
 * Who may read and write which conversation: the one place every chat route and the event stream ask.
 * Today a user reads and writes the conversations they take part in; an unknown id and a conversation of
 * someone else are the same 404, so ids cannot be probed.
 */
import { ParleyError } from '../errors.js';
import type { ConversationRepository, ConversationRow } from '../store/conversations.js';
import type { UserRow } from '../store/users.js';

export type Access = 'read' | 'write';

export function createAccessControl(conversations: ConversationRepository) {
  return {
    /** The conversation, if `user` may `access` it; throws `conversation_not_found` otherwise. */
    async requireConversation(user: UserRow, conversationId: string, _access: Access): Promise<ConversationRow> {
      const row = await conversations.findForParticipant(conversationId, user.id);
      if (!row || row.organization_id !== user.organization_id) throw new ParleyError('conversation_not_found');
      return row;
    },

    /** Ids of every conversation the user may read: the event stream's filter. */
    readableConversationIds: (user: UserRow) => conversations.conversationIdsOf(user.id),

    /** Whether a live event about a conversation reaches this user. */
    mayReceive: (user: UserRow, participantIds: readonly string[]) => participantIds.includes(user.id),
  };
}

export type AccessControl = ReturnType<typeof createAccessControl>;
