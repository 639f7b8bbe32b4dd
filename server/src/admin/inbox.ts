/**
 * The administrators' inbox (docs/admin-api.md, Inbox): every conversation of the organization, newest
 * activity first, with its participants and whether it waits for an answer (its last message is not from an
 * owner or admin), or those a search (`q`) finds, best first. Reading and answering go through the chat
 * service, whose access check lets administrators in; renaming is a use case (use-cases/conversations.ts),
 * whose answer is shown here.
 */
import type { Conversation } from '#shared/api.js';
import { presentConversation } from '../chat/present.js';
import { assistantLookup } from '../assistant/directory.js';
import type { Store } from '../store/database.js';
import { ParleyError } from '../errors.js';
import { decodeCursor, encodeCursor, type ConversationRepository, type ConversationRow, type InboxFilter } from '../store/conversations.js';
import type { ConversationStatus } from '../store/schema.js';
import type { InboxViewCounts } from '#shared/admin-api.js';
import type { MessageRepository } from '../store/messages.js';
import type { SearchRepository } from '../store/search.js';
import { decodeSearchCursor, encodeSearchCursor, searchTerms } from '../store/search-query.js';
import type { UserRow } from '../store/users.js';

export interface InboxConversation extends Conversation {
  unanswered: boolean;
  participants: { id: string; name: string | null; agent: boolean; lastReadMessageId: string | null }[];
}

/** What one page of the inbox shows: a view (status and assignee), and a search within it. */
export interface InboxQuery {
  status: ConversationStatus | 'all';
  assignee?: 'me' | 'none' | { id: string };
  q?: string;
  cursor?: string;
  limit: number;
}

type InboxPage = { conversations: InboxConversation[]; nextCursor: string | null; counts: InboxViewCounts };

export function createInbox(deps: { conversations: ConversationRepository; messages: MessageRepository; search: SearchRepository; store: Store }) {
  /** The rows as the inbox shows them: with their last message (notes included), participants and whether they wait. */
  async function present(rows: readonly ConversationRow[]): Promise<InboxConversation[]> {
    const ids = rows.map((r) => r.id);
    const [last, lastAnswerable, participants, assistantOf] = await Promise.all([deps.messages.lastOf(ids, true), deps.messages.lastOf(ids), deps.conversations.participantsOf(ids), assistantLookup(deps.store)]);
    return rows.map((row) => {
      const lastMessage = lastAnswerable.get(row.id);
      return {
        ...presentConversation(row, last.get(row.id), assistantOf),
        // Answered by the team, or by the assistant (until it hands the conversation over: docs/assistant.md).
        unanswered: row.status === 'open' && lastMessage !== undefined && lastMessage.author_role !== 'owner' && lastMessage.author_role !== 'admin' && lastMessage.author_type !== 'assistant',
        participants: participants
          .filter((p) => p.conversation_id === row.id)
          .map((p) => ({ id: p.id, name: p.name, agent: p.role === 'owner' || p.role === 'admin', lastReadMessageId: p.last_read_message_id })),
      };
    });
  }

  /**
   * A page of a search within a view, best first (store/search.ts), paged by offset; the counts stay the
   * view's. A `q` without a word (only punctuation) finds nothing.
   */
  async function search(admin: UserRow, q: string, filter: InboxFilter, query: InboxQuery): Promise<InboxPage> {
    const offset = query.cursor === undefined ? 0 : decodeSearchCursor(query.cursor);
    if (offset === undefined) throw new ParleyError('bad_request', 'cursor is malformed');
    const terms = searchTerms(q);
    const [rows, counts] = await Promise.all([
      terms.length === 0 ? [] : deps.search.conversations(admin.organization_id, terms, filter, offset, query.limit + 1),
      deps.conversations.countViews(admin.organization_id, admin.id),
    ]);
    const page = rows.slice(0, query.limit);
    return { conversations: await present(page), nextCursor: rows.length > query.limit ? encodeSearchCursor(offset + page.length) : null, counts };
  }

  return {
    /** One page of a view of the inbox, and how many conversations every view holds. */
    async list(admin: UserRow, query: InboxQuery): Promise<InboxPage> {
      const filter: InboxFilter = {};
      if (query.status !== 'all') filter.status = query.status;
      if (query.assignee !== undefined) filter.assigneeId = query.assignee === 'me' ? admin.id : query.assignee === 'none' ? null : query.assignee.id;
      if (query.q !== undefined) return search(admin, query.q, filter, query);
      const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
      if (query.cursor !== undefined && !cursor) throw new ParleyError('bad_request', 'cursor is malformed');
      const [rows, counts] = await Promise.all([
        deps.conversations.listForOrganization(admin.organization_id, filter, cursor, query.limit + 1),
        deps.conversations.countViews(admin.organization_id, admin.id),
      ]);
      const page = rows.slice(0, query.limit);
      return {
        conversations: await present(page),
        nextCursor: rows.length > query.limit && page.length > 0 ? encodeCursor(page[page.length - 1]!) : null,
        counts,
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
