/**
 * The administrators' inbox (docs/admin-api.md, Inbox): every conversation of the organization, newest
 * activity first, with its participants and whether it waits for an answer (its last message is not from an
 * owner or admin). Reading and answering go through the chat service, whose access check lets administrators
 * in; renaming is a use case (use-cases/conversations.ts), whose answer is shown here.
 */
import type { Conversation } from '../../../shared/src/api.js';
import { isAdministrator } from '../chat/access.js';
import { presentConversation } from '../chat/present.js';
import { ParleyError } from '../errors.js';
import { decodeCursor, encodeCursor, type ConversationRepository, type ConversationRow } from '../store/conversations.js';
import type { MessageRepository } from '../store/messages.js';
import type { UserRow } from '../store/users.js';

export interface InboxConversation extends Conversation {
  unanswered: boolean;
  participants: { id: string; name: string | null }[];
}

export function createInbox(deps: { conversations: ConversationRepository; messages: MessageRepository }) {
  /** The rows as the inbox shows them: with their last message, participants and whether they wait. */
  async function present(rows: readonly ConversationRow[]): Promise<InboxConversation[]> {
    const ids = rows.map((r) => r.id);
    const [last, participants] = await Promise.all([deps.messages.lastOf(ids), deps.conversations.participantsOf(ids)]);
    const administrators = new Set(participants.filter((p) => isAdministrator({ role: p.role as UserRow['role'] })).map((p) => p.id));
    return rows.map((row) => {
      const lastMessage = last.get(row.id);
      return {
        ...presentConversation(row, lastMessage),
        unanswered: lastMessage !== undefined && !(lastMessage.author_id !== null && administrators.has(lastMessage.author_id)),
        participants: participants.filter((p) => p.conversation_id === row.id).map((p) => ({ id: p.id, name: p.name })),
      };
    });
  }

  return {
    async list(admin: UserRow, rawCursor: string | undefined, limit: number): Promise<{ conversations: InboxConversation[]; nextCursor: string | null }> {
      const cursor = rawCursor === undefined ? undefined : decodeCursor(rawCursor);
      if (rawCursor !== undefined && !cursor) throw new ParleyError('bad_request', 'cursor is malformed');
      const rows = await deps.conversations.listForOrganization(admin.organization_id, cursor, limit + 1);
      const page = rows.slice(0, limit);
      return {
        conversations: await present(page),
        nextCursor: rows.length > limit && page.length > 0 ? encodeCursor(page[page.length - 1]!) : null,
      };
    },

    /** How many conversations of the administrator's organization wait for an answer. */
    waiting(admin: UserRow): Promise<number> {
      return deps.conversations.countWaiting(admin.organization_id);
    },

    /** One conversation as the inbox shows it (the answer to a change made to it). */
    async one(row: ConversationRow): Promise<InboxConversation> {
      return (await present([row]))[0]!;
    },
  };
}

export type Inbox = ReturnType<typeof createInbox>;
