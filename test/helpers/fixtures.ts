/**
 * Messages and conversations as the server presents them (shared/src/api.ts), for the widget and admin
 * panel tests: one place that knows their fields.
 */
import type { Conversation, Message } from '#shared/api.js';

/** A message by `author` (no client message id unless told). */
export function messageFixture(id: string, conversationId: string, text: string, createdAt: string, author: Omit<Message['author'], 'avatarUrl' | 'agent'> & Partial<Message['author']>, clientMessageId: string | null = null): Message {
  return { id, conversationId, author: { avatarUrl: null, agent: false, ...author }, text, clientMessageId, createdAt, internal: false, editedAt: null, deletedAt: null, attachments: [] };
}

/**
 * A conversation of the `default` organization, no document's room, with no message unless told; its
 * `lastMessageAt` is that of `lastMessage`.
 */
export function conversationFixture(id: string, fields: Partial<Omit<Conversation, 'id' | 'lastMessageAt'>> = {}): Conversation {
  const lastMessage = fields.lastMessage ?? null;
  return {
    id,
    organizationId: fields.organizationId ?? 'default',
    documentId: fields.documentId ?? null,
    title: fields.title ?? 'New chat',
    createdAt: fields.createdAt ?? '2026-01-01T00:00:00.000Z',
    lastMessageAt: lastMessage?.createdAt ?? null,
    lastMessage,
    status: fields.status ?? 'open',
    snoozedUntil: fields.snoozedUntil ?? null,
    assigneeId: fields.assigneeId ?? null,
    assistant: fields.assistant ?? null,
  };
}
