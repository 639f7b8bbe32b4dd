/**
 * The chat (README.md, API): conversations, messages and their events. Every write commits the row and its
 * event in one transaction, then publishes the event to the bus, so a stream sees nothing that did not
 * commit and a resumed stream finds in the log everything it missed.
 */
import type { Kysely } from 'kysely';
import type { Conversation, ConversationSummary, Message } from '#shared/api.js';
import { EVENT, MAX_ATTACHMENTS_PER_MESSAGE, MESSAGE_MAX_CHARS, TYPING_TTL_MS } from '#shared/constants.js';
import { titleFromMessage } from '#shared/fields.js';
import { ParleyError } from '../errors.js';
import type { Store } from '../store/database.js';
import type { ConversationRepository, ConversationCursor, ConversationRow, SeenConversation } from '../store/conversations.js';
import { decodeCursor, encodeCursor } from '../store/conversations.js';
import type { EventRepository, EventRow } from '../store/events.js';
import type { Database } from '../store/schema.js';
import type { MessageRepository, MessageRow } from '../store/messages.js';
import { createReadMarkerRepository, type ReadMarkerRepository } from '../store/read-markers.js';
import { createAttachmentRepository, storedAttachment } from '../store/attachments.js';
import type { UserRow } from '../store/users.js';
import { isAdministrator, type AccessControl } from './access.js';
import type { EventBus, BusEvent } from './event-bus.js';
import { presentConversation, presentMessage, type AssistantLookup } from './present.js';
import type { Signals } from './signals.js';
import { createTransactionGroups } from './transaction-groups.js';
import { writePost } from '../store/post-statement.js';
import { newId } from '../ids.js';
import type { NotificationScheduler } from '../outbound/notifications.js';
import type { MessageKind } from '../metrics.js';

export interface ChatDeps {
  store: Store;
  conversations: ConversationRepository;
  messages: MessageRepository;
  events: EventRepository;
  access: AccessControl;
  bus: EventBus;
  /** Where `typing` goes: to every instance's streams, never to the log. */
  signals: Signals;
  now: () => number;
  /** Defaults to the read markers of `store`. */
  readMarkers?: ReadMarkerRepository;
  /** Schedules the notification emails of a message, in its transaction (outbound/notifications.ts). */
  notifications?: NotificationScheduler;
  /** The assistant (assistant/chat-hook.ts): who serves a conversation, and the reply a posted message asks for. */
  assistant?: ChatAssistant;
  /** Told of each message stored (not of a retry), after its commit: the metrics count them. */
  onMessagePosted?: (kind: MessageKind) => void;
}

/** What a posted message made the assistant do, beyond its transaction's writes. */
export interface AssistantEffects {
  events: EventRow[];
  afterCommit?: () => void;
}

const NO_EFFECTS: AssistantEffects = { events: [] };

/** What the chat asks of the assistant (docs/assistant.md). */
export interface ChatAssistant {
  /** What conversations show of their assistant (read outside any transaction: the list is cached). */
  lookup(): Promise<AssistantLookup>;
  /**
   * A message (not a note) was posted, inside its transaction `trx`: a user's may enqueue a reply, an
   * administrator's takes the conversation over. Answers the events to publish after the commit, and what to
   * do once it has committed (never if it rolls back).
   */
  messagePosted(trx: Kysely<Database>, input: { conversation: ConversationRow; author: UserRow; message: MessageRow; assistantOf: AssistantLookup }, now: number): Promise<AssistantEffects>;
}

/** A new conversation's first message, and its title if the user gave one. */
export interface FirstMessage {
  title: string | undefined;
  text: string;
  clientMessageId: string;
}

/**
 * Counts something new against the acting account's limits, or throws the refusal; answers how to give the
 * count back when nothing new was stored after all (account-limits.ts).
 */
export type CountNew = () => Promise<() => void>;

const NOTHING_COUNTED = (): void => undefined;

/** What to run after a commit: each of `a` and `b` that is there, in that order. */
function both(a: (() => void) | undefined, b: (() => void) | undefined): (() => void) | undefined {
  if (!a || !b) return a ?? b;
  return () => {
    a();
    b();
  };
}

/** Thrown inside a transaction to roll it back: a concurrent request stored this clientMessageId first. */
class StoredMeanwhile extends Error {}

/** The message rules of every door that posts or edits one: not blank, at most 10,000 characters. */
export function checkMessageText(text: string): void {
  if (text.trim() === '') throw new ParleyError('message_empty');
  if (characterCount(text) > MESSAGE_MAX_CHARS) throw new ParleyError('message_too_long');
}

/** Whether `user` may see `message` at all: an internal note is for administrators. */
export const visibleTo = (user: UserRow, message: Pick<MessageRow, 'internal'>) => message.internal === 0 || isAdministrator(user);

/** Counts characters as code points, as a person would (an emoji is one). */
export function characterCount(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

export function createChatService(deps: ChatDeps) {
  const { store, conversations, messages, events, access, bus } = deps;
  const readMarkers = deps.readMarkers ?? createReadMarkerRepository(store);
  const noAssistant: AssistantLookup = () => null;
  /** Loaded before a transaction, never inside one (on SQLite a read outside it would wait for it). */
  const assistantOf = (): Promise<AssistantLookup> => deps.assistant?.lookup() ?? Promise.resolve(noAssistant);
  const attachments = createAttachmentRepository(store);
  const groups = store.dialect === 'postgres' ? createTransactionGroups(store) : undefined;

  /**
   * For a retry of a creation: the conversation whose first message `user` sent under `clientMessageId`,
   * if they created it; undefined if they sent no such message. The id of any other message (a later one
   * of a conversation, one in a conversation now out of the user's reach) is `client_message_id_conflict`.
   */
  async function createdWith(user: UserRow, clientMessageId: string): Promise<Conversation | undefined> {
    const message = await messages.findByClientMessageId(user.id, clientMessageId);
    if (!message) return undefined;
    const row = await conversations.findById(message.conversation_id);
    const isFirst = row !== undefined && (await messages.firstSeqOf(row.id)) === message.seq;
    if (!row || !isFirst || row.created_by !== user.id || row.document_id !== null || row.organization_id !== user.organization_id) {
      throw new ParleyError('client_message_id_conflict');
    }
    const last = await messages.lastOf([row.id]);
    return presentConversation(row, last.get(row.id), await assistantOf());
  }

  /**
   * Gives the new message `row` the author's uploads `ids` (their ready, unattached files of this
   * conversation), in its transaction; any other id refuses the message (`attachment_not_found`, or
   * `attachment_used` for a file another message took), which rolls it back.
   */
  async function attachFiles(trx: Kysely<Database>, row: MessageRow, user: UserRow, ids: readonly string[]): Promise<MessageRow> {
    const { attached, used } = await attachments.attach(trx, { messageId: row.id, conversationId: row.conversation_id, uploaderId: user.id, ids });
    if (attached.length !== ids.length) throw new ParleyError(used ? 'attachment_used' : 'attachment_not_found');
    return messages.setAttachments(trx, row, attached.map(storedAttachment));
  }

  /** Titles an untitled conversation from its first message (`message`); undefined if another came first. */
  async function titleFrom(trx: Kysely<Database>, conversationId: string, message: MessageRow, who: AssistantLookup): Promise<Conversation | undefined> {
    const title = titleFromMessage(message.text);
    const row = title === null ? undefined : await conversations.titleIfUntitled(trx, conversationId, title);
    return row ? presentConversation(row, message, who) : undefined;
  }

  return {
    /** A page of the user's conversations, newest activity first, each with the user's read state. */
    async listConversations(user: UserRow, rawCursor: string | undefined, limit: number): Promise<{ conversations: ConversationSummary[]; nextCursor: string | null }> {
      let cursor: ConversationCursor | undefined;
      if (rawCursor !== undefined) {
        cursor = decodeCursor(rawCursor);
        if (!cursor) throw new ParleyError('bad_request', 'cursor is malformed');
      }
      const rows = await conversations.listForParticipant({ id: user.id, organizationId: user.organization_id }, cursor, limit + 1);
      // A document room stays listed only while a grant still covers its document.
      const page = [];
      for (const row of rows.slice(0, limit)) if (row.document_id === null || (await access.documentRole(user, row.document_id, deps.now())) !== null) page.push(row);
      const ids = page.map((r) => r.id);
      const [last, reads, who] = await Promise.all([messages.lastOf(ids), readMarkers.readStateOf(user.id, ids), assistantOf()]);
      return {
        conversations: page.map((r): ConversationSummary => ({ ...presentConversation(r, last.get(r.id), who), ...(reads.get(r.id) ?? { unreadCount: 0, lastReadMessageId: null }) })),
        // The cursor follows the rows read, not the ones shown: a page of lapsed rooms must not end the list.
        nextCursor: rows.length > limit ? encodeCursor(rows[limit - 1]!) : null,
      };
    },

    /**
     * Opens a document's room (docs/token-api.md, Organizations, grants, document rooms): an editor's first open creates the shared conversation; a
     * viewer finds it, or none yet. Opening joins the user to it, so their stream's backlog includes it
     * (each event is still checked against their grant when delivered). `count` (the per-account limit) runs
     * only when this open would create the room, and is given back when another editor's open created it first.
     */
    async openDocument(user: UserRow, documentId: string, count?: CountNew): Promise<{ access: 'viewer' | 'editor'; conversation: Conversation | null }> {
      const role = await access.documentRole(user, documentId, deps.now());
      if (role === null) throw new ParleyError('document_not_found');
      const now = deps.now();
      let row = await conversations.findByDocument(user.organization_id, documentId);
      const who = await assistantOf();
      if (!row && role === 'editor') {
        const release = (await count?.()) ?? NOTHING_COUNTED;
        let created: { conversation: ConversationRow; event: EventRow } | undefined;
        try {
          created = await store.db.transaction().execute(async (trx) => {
            const conversation = await conversations.create(trx, { organizationId: user.organization_id, title: documentId, createdBy: user.id, participantIds: [user.id], documentId }, now);
            const event = await events.append(
              trx,
              { conversationId: conversation.id, organizationId: conversation.organization_id, documentId, type: EVENT.conversationCreated, payload: { conversation: presentConversation(conversation, undefined, who) } },
              now,
            );
            return { conversation, event };
          });
        } catch (error) {
          // Two editors opened the room at once: the other one created it (unique per document).
          release();
          row = await conversations.findByDocument(user.organization_id, documentId);
          if (!row) throw error;
        }
        if (created) {
          bus.publish({ event: created.event, participantIds: [user.id] });
          row = created.conversation;
        }
      }
      if (!row) return { access: role, conversation: null };
      await conversations.join(store.db, row.id, user.id, now);
      const last = await messages.lastOf([row.id]);
      return { access: role, conversation: presentConversation(row, last.get(row.id), who) };
    },

    async getConversation(user: UserRow, id: string): Promise<Conversation> {
      const row = await access.requireConversation(user, id, 'read');
      const [last, who] = await Promise.all([messages.lastOf([row.id]), assistantOf()]);
      return presentConversation(row, last.get(row.id), who);
    },

    /**
     * An empty conversation. Without a title (`title` is one the field rule accepted) it has none until its
     * first message gives it one.
     */
    async createConversation(user: UserRow, title: string | undefined): Promise<Conversation> {
      const now = deps.now();
      const participantIds = [user.id];
      const who = await assistantOf();
      const { conversation, published } = await store.db.transaction().execute(async (trx) => {
        const row = await conversations.create(trx, { organizationId: user.organization_id, title: title ?? null, createdBy: user.id, participantIds }, now);
        const conversation = presentConversation(row, undefined, who);
        const event = await events.append(trx, { conversationId: row.id, organizationId: row.organization_id, documentId: null, type: EVENT.conversationCreated, payload: { conversation } }, now);
        return { conversation, published: { event, participantIds } satisfies BusEvent };
      });
      bus.publish(published);
      return conversation;
    },

    /**
     * A conversation created with its first message, in one transaction: `conversation.created` (the
     * conversation as answered, its first message included), then `message.created`. Without a title it
     * takes the message's (fields.ts, titleFromMessage). A retry with the same clientMessageId answers the
     * conversation it created (`created: false`) and creates nothing. `count` (the per-account limits)
     * runs only when this call would create, before its transaction; a refusal throws, and a call that
     * creates nothing after all (a concurrent retry stored it first, a failure) gives its count back.
     */
    async startConversation(user: UserRow, first: FirstMessage, count?: CountNew): Promise<{ conversation: Conversation; created: boolean }> {
      checkMessageText(first.text);
      const earlier = await createdWith(user, first.clientMessageId);
      if (earlier) return { conversation: earlier, created: false };
      const now = deps.now();
      const participantIds = [user.id];
      const who = await assistantOf();
      const release = (await count?.()) ?? NOTHING_COUNTED;
      let result;
      try {
        result = await store.db.transaction().execute(async (trx) => {
          const title = first.title ?? titleFromMessage(first.text);
          const row = await conversations.create(trx, { organizationId: user.organization_id, title, createdBy: user.id, participantIds }, now);
          const { row: message, created } = await messages.insertOnce(trx, { conversationId: row.id, authorType: 'user', authorId: user.id, text: first.text, clientMessageId: first.clientMessageId, markRead: true }, now);
          if (!created) throw new StoredMeanwhile();
          await conversations.touch(trx, row.id, now);
          const alerted = await deps.notifications?.messagePosted(trx, { conversationId: row.id, author: user }, now);
          const conversation = presentConversation({ ...row, last_message_at: now }, message, who);
          const scope = { conversationId: row.id, organizationId: row.organization_id, documentId: null };
          const published = [
            await events.append(trx, { ...scope, type: EVENT.conversationCreated, payload: { conversation } }, now, { afterWrite: true }),
            await events.append(trx, { ...scope, type: EVENT.messageCreated, payload: { message: presentMessage(message) } }, now, { afterWrite: true }),
          ];
          const effects = (await deps.assistant?.messagePosted(trx, { conversation: row, author: user, message, assistantOf: who }, now)) ?? NO_EFFECTS;
          published.push(...effects.events);
          return { conversation, published, afterCommit: both(alerted, effects.afterCommit) };
        });
      } catch (error) {
        // Nothing stored: the count is given back.
        release();
        if (!(error instanceof StoredMeanwhile)) throw error;
        const stored = await createdWith(user, first.clientMessageId);
        if (!stored) throw new TypeError('a message stored meanwhile is not found');
        return { conversation: stored, created: false };
      }
      result.afterCommit?.();
      deps.onMessagePosted?.(isAdministrator(user) ? 'agent' : 'user');
      for (const event of result.published) bus.publish({ event, participantIds });
      return { conversation: result.conversation, created: true };
    },

    /** A page of the conversation's messages, oldest first; internal notes only for an administrator. */
    async listMessages(user: UserRow, conversationId: string, before: string | undefined, limit: number): Promise<{ messages: Message[]; hasMore: boolean }> {
      await access.requireConversation(user, conversationId, 'read');
      const withNotes = isAdministrator(user);
      let beforeSeq: number | undefined;
      if (before !== undefined) {
        const anchor = await messages.findById(before);
        if (!anchor || anchor.conversation_id !== conversationId || !visibleTo(user, anchor)) throw new ParleyError('bad_request', 'before is not a message of this conversation');
        beforeSeq = anchor.seq;
      }
      const { rows, hasMore } = await messages.page(conversationId, beforeSeq, limit, withNotes);
      return { messages: rows.map(presentMessage), hasMore };
    },

    /**
     * Posts a message once per `clientMessageId`; a retry answers the stored message (`created: false`).
     * `count` (the per-account limit) runs before the transaction, so that a slow limit store holds no
     * transaction open; a post that stores nothing new (a retry, a refusal, a failure) gives its count back,
     * and a retry refused by the limit still answers the message it repeats. The author's read marker moves to their message; the first
     * message of an untitled conversation gives it its title; a user's (not an administrator's) message in a
     * resolved or snoozed conversation opens it again. Either change is one `conversation.updated`, after
     * `message.created`.
     *
     * With `internal` (administrators only) the message is a note: its event is for administrators, and it
     * changes nothing a user could notice: not the conversation's activity time, title or status.
     */
    async postMessage(
      user: UserRow,
      conversationId: string,
      text: string,
      clientMessageId: string,
      count?: CountNew,
      options: { internal?: boolean; attachmentIds?: readonly string[]; seen?: SeenConversation } = {},
    ): Promise<{ message: Message; created: boolean }> {
      const attachmentIds = options.attachmentIds ?? [];
      if (attachmentIds.length > MAX_ATTACHMENTS_PER_MESSAGE) throw new ParleyError('too_many_attachments');
      if (new Set(attachmentIds).size !== attachmentIds.length) throw new ParleyError('bad_request', 'attachmentIds names a file twice.');
      // With files, the text may be empty (a screenshot alone); its length rule holds either way.
      if (attachmentIds.length === 0 || text.trim() !== '') checkMessageText(text);
      const internal = options.internal === true;
      if (internal && !isAdministrator(user)) throw new TypeError('only an administrator writes internal notes');
      const conversation = await access.requireConversation(user, conversationId, 'write', options.seen);
      const now = deps.now();
      const who = await assistantOf();
      let release = NOTHING_COUNTED;
      try {
        if (count) release = await count();
      } catch (refusal) {
        const stored = refusal instanceof ParleyError ? await messages.findByClientMessageId(user.id, clientMessageId) : undefined;
        if (!stored) throw refusal;
        if (stored.conversation_id !== conversationId) throw new ParleyError('client_message_id_conflict');
        return { message: presentMessage(stored), created: false };
      }
      // A member's plain message on PostgreSQL: its writes in one statement (store/post-statement.ts).
      const plain = store.dialect === 'postgres' && !internal && attachmentIds.length === 0 && !isAdministrator(user) && conversation.title !== null && who(conversation) === null;
      const writeAny = async (trx: Kysely<Database>) => {
        // The author's read marker moves to their message in the same statement (on PostgreSQL).
        let { row, created } = await messages.insertOnce(trx, { conversationId, authorType: 'user', authorId: user.id, text, clientMessageId, internal, markRead: true }, now);
        if (!created) return { row, created, published: [] as EventRow[], afterCommit: undefined };
        if (attachmentIds.length > 0) row = await attachFiles(trx, row, user, attachmentIds);
        // An administrator answering (or noting) from the inbox joins the conversation, so it is theirs to follow.
        if (isAdministrator(user)) await conversations.join(trx, conversationId, user.id, now);
        const scope = { conversationId, organizationId: conversation.organization_id, documentId: conversation.document_id };
        const published = [await events.append(trx, { ...scope, type: EVENT.messageCreated, payload: { message: presentMessage(row) }, internal }, now, { afterWrite: true })];
        if (internal) return { row, created, published, afterCommit: undefined };
        // A user's (not an administrator's) message reopens the conversation, decided by the row as this update
        // locks it: a resolve committed since it was read counts.
        const reopened = await conversations.touch(trx, conversationId, now, { reopen: !isAdministrator(user) });
        // A document room is followed through its document, not by email.
        const alerted = conversation.document_id === null ? await deps.notifications?.messagePosted(trx, { conversationId, author: user }, now) : undefined;
        const titled = conversation.title === null ? await titleFrom(trx, conversationId, row, who) : undefined;
        const changed = titled ?? (reopened ? presentConversation(reopened, row, who) : undefined);
        if (changed) published.push(await events.append(trx, { ...scope, type: EVENT.conversationUpdated, payload: { conversation: changed } }, now));
        const effects = (await deps.assistant?.messagePosted(trx, { conversation, author: user, message: row, assistantOf: who }, now)) ?? NO_EFFECTS;
        published.push(...effects.events);
        return { row, created, published, afterCommit: both(alerted, effects.afterCommit) };
      };
      // On PostgreSQL posts that come while others are written share their transactions.
      const writePlain = async (trx: Kysely<Database>): Promise<Awaited<ReturnType<typeof writeAny>>> => {
        const id = newId('msg');
        // The event's message as the row will be stored, its author as this request read the account.
        const stored: MessageRow = {
          id, conversation_id: conversationId, author_type: 'user', author_id: user.id, text, client_message_id: clientMessageId, created_at: now, internal: 0, seq: 0,
          attachments: null, assistant_name: null, edited_at: null, deleted_at: null, author_name: user.name, author_avatar_url: user.avatar_url, author_role: user.role,
        };
        const payload = { message: presentMessage(stored) };
        const scope = { conversationId, organizationId: conversation.organization_id, documentId: conversation.document_id };
        const written = await writePost(store, trx, { message: { id, conversationId, authorId: user.id, text, clientMessageId }, event: { organizationId: scope.organizationId, documentId: scope.documentId, type: EVENT.messageCreated, payload } }, now);
        if (!written.row || !written.event) {
          const row = await messages.findByClientMessageId(user.id, clientMessageId, trx);
          if (!row) throw new TypeError('a message stored meanwhile is not found');
          return { row, created: false, published: [] as EventRow[], afterCommit: undefined };
        }
        // Answered as its event shows it (the author as this request read the account), with its place.
        const row = { ...stored, seq: written.row.seq };
        const published = [written.event];
        const alerted = conversation.document_id === null ? await deps.notifications?.messagePosted(trx, { conversationId, author: user }, now) : undefined;
        if (written.reopened) published.push(await events.append(trx, { ...scope, type: EVENT.conversationUpdated, payload: { conversation: presentConversation(written.reopened, row, who) } }, now, { afterWrite: true }));
        return { row, created: true, published, afterCommit: alerted };
      };
      const write = plain ? writePlain : writeAny;
      let result: Awaited<ReturnType<typeof writeAny>>;
      try {
        // Only its files can refuse a post once its transaction has begun (attachFiles).
        result = groups ? await groups.run(conversationId, write, { mayRefuse: attachmentIds.length > 0 }) : await store.db.transaction().execute(write);
      } catch (error) {
        release();
        throw error;
      }
      if (!result.created) release();
      result.afterCommit?.();
      if (result.row.conversation_id !== conversationId) throw new ParleyError('client_message_id_conflict');
      if (result.created) deps.onMessagePosted?.(internal ? 'note' : isAdministrator(user) ? 'agent' : 'user');
      // Relayed (PostgreSQL), the cluster fan-out reads the participants as it delivers: asking here is a wasted round trip.
      if (result.published.length > 0 && !bus.relayed) {
        const participantIds = await conversations.participantIds(conversationId);
        for (const event of result.published) bus.publish({ event, participantIds });
      }
      return { message: presentMessage(result.row), created: result.created };
    },

    /**
     * Tells the conversation's other participants, and the organization's administrators, that `user` is
     * typing (`typing`, for TYPING_TTL_MS): a signal, never stored. It takes the right to write, as posting does.
     */
    async typing(user: UserRow, conversationId: string): Promise<void> {
      const conversation = await access.requireConversation(user, conversationId, 'write');
      // A document room's audience is whoever holds a grant, not its participants.
      const participantIds = conversation.document_id === null ? await conversations.participantIds(conversationId) : [];
      await deps.signals.publishSignal({
        type: 'typing',
        senderId: user.id,
        audience: { organizationId: conversation.organization_id, documentId: conversation.document_id, participantIds, internal: false },
        data: { conversationId, userId: user.id, name: user.name, agent: isAdministrator(user), ttlMs: TYPING_TTL_MS },
      });
    },

    /**
     * Moves the user's read marker in the conversation forward to `messageId` (an older message changes
     * nothing) and answers how many messages by others remain unread. A move is announced to whoever
     * follows the conversation (`conversation.read`), the user's other devices included.
     */
    async markRead(user: UserRow, conversationId: string, messageId: string): Promise<{ unreadCount: number }> {
      const conversation = await access.requireConversation(user, conversationId, 'read');
      const message = await messages.findById(messageId);
      if (!message || message.conversation_id !== conversationId || !visibleTo(user, message)) throw new ParleyError('bad_request', 'messageId is not a message of this conversation.');
      // The event names a message everyone may see: read up to a note is read up to the message before it.
      const announced = message.internal === 1 ? await messages.newestPublicUpTo(conversationId, message.seq) : message;
      const now = deps.now();
      const published = await store.db.transaction().execute(async (trx) => {
        if (!(await readMarkers.advance(trx, conversationId, user.id, message.seq, now)) || !announced) return undefined;
        return events.append(
          trx,
          {
            conversationId,
            organizationId: conversation.organization_id,
            documentId: conversation.document_id,
            type: EVENT.conversationRead,
            payload: { conversationId, userId: user.id, messageId: announced.id },
          },
          now,
        );
      });
      if (published) bus.publish({ event: published, participantIds: await conversations.participantIds(conversationId) });
      const state = (await readMarkers.readStateOf(user.id, [conversationId])).get(conversationId);
      return { unreadCount: state?.unreadCount ?? 0 };
    },
  };
}

export type ChatService = ReturnType<typeof createChatService>;
