/** Database rows → the API shapes of shared/src/api.ts. */
import type { Conversation, Message, User } from '../../../shared/src/api.js';
import type { ConversationRow } from '../store/conversations.js';
import type { MessageRow } from '../store/messages.js';
import type { UserRow } from '../store/users.js';

const iso = (ms: number) => new Date(ms).toISOString();

export function presentUser(row: UserRow): User {
  return {
    id: row.id,
    externalId: row.external_id,
    email: row.email,
    name: row.name,
    avatarUrl: row.avatar_url,
    role: row.role,
    organizationId: row.organization_id,
    createdAt: iso(row.created_at),
  };
}

export function presentMessage(row: MessageRow): Message {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    author: {
      type: row.author_type,
      id: row.author_id,
      name: row.author_name,
      avatarUrl: row.author_avatar_url,
      agent: row.author_role === 'owner' || row.author_role === 'admin',
    },
    text: row.text,
    clientMessageId: row.client_message_id,
    createdAt: iso(row.created_at),
    internal: row.internal === 1,
    editedAt: row.edited_at === null ? null : iso(row.edited_at),
    deletedAt: row.deleted_at === null ? null : iso(row.deleted_at),
  };
}

export function presentConversation(row: ConversationRow, last: MessageRow | undefined): Conversation {
  return {
    id: row.id,
    organizationId: row.organization_id,
    documentId: row.document_id,
    title: row.title,
    createdAt: iso(row.created_at),
    lastMessageAt: row.last_message_at === null ? null : iso(row.last_message_at),
    lastMessage: last ? presentMessage(last) : null,
    status: row.status,
    snoozedUntil: row.snoozed_until === null ? null : iso(row.snoozed_until),
    assigneeId: row.assignee_id,
  };
}
