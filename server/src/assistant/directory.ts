/**
 * Which assistant serves a conversation (docs/assistant.md): the oldest one whose `answers` is not `never`
 * that serves its organization (every one, or one listed) and, for a document room, answers in document
 * rooms. It is active there until the conversation is handed to the team (`assistant_off_at`).
 */
import type { AssistantLookup } from '../chat/present.js';
import type { Store } from '../store/database.js';
import { createAssistantRepository, type AssistantRow } from '../store/assistants.js';
import type { ConversationRow } from '../store/conversations.js';

export function servingAssistant(list: readonly AssistantRow[], conversation: Pick<ConversationRow, 'organization_id' | 'document_id'>): AssistantRow | undefined {
  return list.find(
    (a) => a.answers !== 'never' && (a.organizationIds === null || a.organizationIds.includes(conversation.organization_id)) && (conversation.document_id === null || a.documentRooms),
  );
}

/** What a conversation shows of its assistant, from a list read once (for a whole page of conversations). */
export function lookupIn(list: readonly AssistantRow[]): AssistantLookup {
  if (list.length === 0) return () => null;
  return (row) => {
    const assistant = servingAssistant(list, row);
    return assistant ? { name: assistant.name, active: row.assistant_off_at === null } : null;
  };
}

/** The lookup of `store`'s assistants (their list is kept in memory: store/assistants.ts). */
export async function assistantLookup(store: Store): Promise<AssistantLookup> {
  return lookupIn(await createAssistantRepository(store).list());
}
