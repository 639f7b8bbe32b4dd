/** Database rows → the API shapes of shared/src/api.ts. */
import type { Attachment, Conversation, Message, User } from '#shared/api.js';
import { attachmentPath, type StoredAttachment } from '../store/attachments.js';
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
    author: presentAuthor(row),
    text: row.text,
    clientMessageId: row.client_message_id,
    createdAt: iso(row.created_at),
    internal: row.internal === 1,
    editedAt: row.edited_at === null ? null : iso(row.edited_at),
    deletedAt: row.deleted_at === null ? null : iso(row.deleted_at),
    attachments: presentAttachments(row.attachments),
  };
}

/**
 * A message's author: an account (user or team), the assistant (its id and name as it wrote: author_id and
 * assistant_name), or Parley itself (system: no id, no name). docs/assistant.md.
 */
function presentAuthor(row: MessageRow): Message['author'] {
  if (row.author_type === 'assistant') return { type: 'assistant', id: row.author_id, name: row.assistant_name, avatarUrl: null, agent: false };
  if (row.author_type === 'system') return { type: 'system', id: null, name: null, avatarUrl: null, agent: false };
  return { type: row.author_type, id: row.author_id, name: row.author_name, avatarUrl: row.author_avatar_url, agent: row.author_role === 'owner' || row.author_role === 'admin' };
}

/** A message's stored list of files (messages.attachments, JSON written by Parley) as the API shows them. */
export function presentAttachments(stored: string | null): Attachment[] {
  if (stored === null) return [];
  return (JSON.parse(stored) as StoredAttachment[]).map((a) => ({ ...a, url: attachmentPath(a.id) }));
}

/**
 * What a conversation shows of the assistant that serves it (assistant/directory.ts): its name and whether
 * it still answers there, or null. Built once per list read, so a page of conversations costs no query each.
 */
export type AssistantLookup = (row: ConversationRow) => Conversation['assistant'];

export function presentConversation(row: ConversationRow, last: MessageRow | undefined, assistantOf: AssistantLookup): Conversation {
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
    assistant: assistantOf(row),
  };
}
