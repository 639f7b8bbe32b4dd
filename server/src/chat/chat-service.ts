/**
 * The chat (README.md, API): conversations, messages and their events. Every write commits the row and its
 * event in one transaction, then publishes the event to the bus, so a stream sees nothing that did not
 * commit and a resumed stream finds in the log everything it missed.
 */
import type { Conversation, Message } from '../../../shared/src/api.js';
import { EVENT, MESSAGE_MAX_CHARS } from '../../../shared/src/constants.js';
import { ParleyError } from '../errors.js';
import type { Store } from '../store/database.js';
import type { ConversationRepository, ConversationCursor } from '../store/conversations.js';
import { decodeCursor, encodeCursor } from '../store/conversations.js';
import type { EventRepository } from '../store/events.js';
import type { MessageRepository } from '../store/messages.js';
import type { UserRow } from '../store/users.js';
import { isAdministrator, type AccessControl } from './access.js';
import type { EventBus, BusEvent } from './event-bus.js';
import { presentConversation, presentMessage } from './present.js';

export interface ChatDeps {
  store: Store;
  conversations: ConversationRepository;
  messages: MessageRepository;
  events: EventRepository;
  access: AccessControl;
  bus: EventBus;
  now: () => number;
}

/** Counts characters as code points, as a person would (an emoji is one). */
export function characterCount(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

export function createChatService(deps: ChatDeps) {
  const { store, conversations, messages, events, access, bus } = deps;

  return {
    async listConversations(user: UserRow, rawCursor: string | undefined, limit: number): Promise<{ conversations: Conversation[]; nextCursor: string | null }> {
      let cursor: ConversationCursor | undefined;
      if (rawCursor !== undefined) {
        cursor = decodeCursor(rawCursor);
        if (!cursor) throw new ParleyError('bad_request', 'cursor is malformed');
      }
      const rows = await conversations.listForParticipant({ id: user.id, organizationId: user.organization_id }, cursor, limit + 1);
      // A document room stays listed only while a grant still covers its document.
      const page = [];
      for (const row of rows.slice(0, limit)) if (row.document_id === null || (await access.documentRole(user, row.document_id, deps.now())) !== null) page.push(row);
      const last = await messages.lastOf(page.map((r) => r.id));
      return {
        conversations: page.map((r) => presentConversation(r, last.get(r.id))),
        // The cursor follows the rows read, not the ones shown: a page of lapsed rooms must not end the list.
        nextCursor: rows.length > limit ? encodeCursor(rows[limit - 1]!) : null,
      };
    },

    /**
     * Opens a document's room (docs/token-api.md, Organizations, grants, document rooms): an editor's first open creates the shared conversation; a
     * viewer finds it, or none yet. Opening joins the user to it, so their stream's backlog includes it
     * (each event is still checked against their grant when delivered). `beforeCreate` runs (and may throw,
     * say for a rate limit) only when this open would create the room.
     */
    async openDocument(user: UserRow, documentId: string, beforeCreate: () => void = () => undefined): Promise<{ access: 'viewer' | 'editor'; conversation: Conversation | null }> {
      const role = await access.documentRole(user, documentId, deps.now());
      if (role === null) throw new ParleyError('document_not_found');
      const now = deps.now();
      let row = await conversations.findByDocument(user.organization_id, documentId);
      if (!row && role === 'editor') {
        beforeCreate();
        try {
          const created = await store.db.transaction().execute(async (trx) => {
            const conversation = await conversations.create(trx, { organizationId: user.organization_id, title: documentId, createdBy: user.id, participantIds: [user.id], documentId }, now);
            const event = await events.append(
              trx,
              { conversationId: conversation.id, organizationId: conversation.organization_id, documentId, type: EVENT.conversationCreated, payload: { conversation: presentConversation(conversation, undefined) } },
              now,
            );
            return { conversation, event };
          });
          bus.publish({ event: created.event, participantIds: [user.id] });
          row = created.conversation;
        } catch (error) {
          // Two editors opened the room at once: the other one created it (unique per document).
          row = await conversations.findByDocument(user.organization_id, documentId);
          if (!row) throw error;
        }
      }
      if (!row) return { access: role, conversation: null };
      await conversations.join(store.db, row.id, user.id, now);
      const last = await messages.lastOf([row.id]);
      return { access: role, conversation: presentConversation(row, last.get(row.id)) };
    },

    async getConversation(user: UserRow, id: string): Promise<Conversation> {
      const row = await access.requireConversation(user, id, 'read');
      const last = await messages.lastOf([row.id]);
      return presentConversation(row, last.get(row.id));
    },

    async createConversation(user: UserRow, title: string | undefined): Promise<Conversation> {
      const now = deps.now();
      const cleanTitle = title?.trim() || 'New conversation';
      const participantIds = [user.id];
      const { conversation, published } = await store.db.transaction().execute(async (trx) => {
        const row = await conversations.create(trx, { organizationId: user.organization_id, title: cleanTitle, createdBy: user.id, participantIds }, now);
        const conversation = presentConversation(row, undefined);
        const event = await events.append(trx, { conversationId: row.id, organizationId: row.organization_id, documentId: null, type: EVENT.conversationCreated, payload: { conversation } }, now);
        return { conversation, published: { event, participantIds } satisfies BusEvent };
      });
      bus.publish(published);
      return conversation;
    },

    async listMessages(user: UserRow, conversationId: string, before: string | undefined, limit: number): Promise<{ messages: Message[]; hasMore: boolean }> {
      await access.requireConversation(user, conversationId, 'read');
      let beforeSeq: number | undefined;
      if (before !== undefined) {
        const anchor = await messages.findById(before);
        if (!anchor || anchor.conversation_id !== conversationId) throw new ParleyError('bad_request', 'before is not a message of this conversation');
        beforeSeq = anchor.seq;
      }
      const { rows, hasMore } = await messages.page(conversationId, beforeSeq, limit);
      return { messages: rows.map(presentMessage), hasMore };
    },

    /**
     * Posts a message once per (author, clientMessageId): a retry answers the stored message with
     * `created: false` and publishes nothing.
     */
    /**
     * Posts a message once per `clientMessageId`; a retry answers the stored message (`created: false`).
     * `beforeCreate` (the per-account limit) runs only for a new message, inside its transaction: a refusal
     * rolls it back, and a retry never counts.
     */
    async postMessage(user: UserRow, conversationId: string, text: string, clientMessageId: string, beforeCreate?: () => void): Promise<{ message: Message; created: boolean }> {
      if (text.trim() === '') throw new ParleyError('message_empty');
      if (characterCount(text) > MESSAGE_MAX_CHARS) throw new ParleyError('message_too_long');
      const conversation = await access.requireConversation(user, conversationId, 'write');
      const now = deps.now();
      const result = await store.db.transaction().execute(async (trx) => {
        const { row, created } = await messages.insertOnce(trx, { conversationId, authorType: 'user', authorId: user.id, text, clientMessageId }, now);
        if (!created) return { row, created, published: undefined };
        if (row.conversation_id === conversationId) beforeCreate?.();
        // An administrator answering from the inbox joins the conversation, so it is theirs to follow.
        if (isAdministrator(user)) await conversations.join(trx, conversationId, user.id, now);
        await conversations.touch(trx, conversationId, now);
        const message = presentMessage(row);
        const event = await events.append(
          trx,
          { conversationId, organizationId: conversation.organization_id, documentId: conversation.document_id, type: EVENT.messageCreated, payload: { message } },
          now,
        );
        return { row, created, published: event };
      });
      if (result.row.conversation_id !== conversationId) throw new ParleyError('client_message_id_conflict');
      if (result.published) bus.publish({ event: result.published, participantIds: await conversations.participantIds(conversationId) });
      return { message: presentMessage(result.row), created: result.created };
    },
  };
}

export type ChatService = ReturnType<typeof createChatService>;
