/**
 * The inbox's state: every conversation newest activity first with its "unanswered" flag, and the open
 * thread oldest first. Live events and the admin's own replies merge in without duplicates (by message id).
 *
 * The server decides "unanswered" (the last message is not from an owner or admin), but an event's author
 * carries no role: the panel counts as staff the signed-in admin and every author the server has shown to
 * have answered a conversation, so a reply by an admin it has never seen answer marks the conversation
 * unanswered until the next reload.
 */
import type { Conversation, Message } from '../../../shared/src/api.js';
import type { InboxConversation, InboxPage } from './api.js';

export interface Thread {
  id: string;
  messages: Message[];
  hasMore: boolean;
  loaded: boolean;
}

export interface InboxState {
  conversations: InboxConversation[];
  nextCursor: string | null;
  loaded: boolean;
  staff: ReadonlySet<string>;
  thread: Thread | null;
  /** A message arrived for a conversation the list does not have: the first page should be fetched again. */
  stale: boolean;
}

export type InboxAction =
  | { type: 'page'; page: InboxPage; append: boolean }
  | { type: 'conversation'; conversation: Conversation }
  /** The conversation as it is now (renamed here or elsewhere, or titled by its first message). */
  | { type: 'updated'; conversation: Conversation }
  | { type: 'message'; message: Message }
  | { type: 'open'; id: string | null }
  | { type: 'thread'; id: string; messages: Message[]; hasMore: boolean; older: boolean };

const activity = (c: Conversation) => c.lastMessageAt ?? c.createdAt;
const byActivity = (a: Conversation, b: Conversation) => (activity(a) < activity(b) ? 1 : activity(a) > activity(b) ? -1 : 0);
const byTime = (a: Message, b: Message) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export const initialInbox = (meId: string): InboxState => ({
  conversations: [],
  nextCursor: null,
  loaded: false,
  staff: new Set([meId]),
  thread: null,
  stale: false,
});

function mergeMessages(existing: Message[], incoming: Message[]): Message[] {
  const known = new Set(existing.map((m) => m.id));
  const fresh = incoming.filter((m) => !known.has(m.id));
  return fresh.length ? [...existing, ...fresh].sort(byTime) : existing;
}

export function inboxReducer(state: InboxState, action: InboxAction): InboxState {
  switch (action.type) {
    case 'page': {
      const staff = new Set(state.staff);
      for (const c of action.page.conversations) if (!c.unanswered && c.lastMessage?.author.id) staff.add(c.lastMessage.author.id);
      const incoming = new Map(action.page.conversations.map((c) => [c.id, c]));
      // The first page again (after a reload) replaces what it holds and keeps the older pages already loaded.
      const kept = action.append || state.loaded ? state.conversations.filter((c) => !incoming.has(c.id)) : [];
      return {
        ...state,
        staff,
        loaded: true,
        stale: false,
        conversations: [...kept, ...incoming.values()].sort(byActivity),
        nextCursor: action.append || !state.loaded ? action.page.nextCursor : state.nextCursor,
      };
    }
    case 'conversation': {
      if (state.conversations.some((c) => c.id === action.conversation.id)) return state;
      const author = action.conversation.lastMessage?.author.id;
      const added: InboxConversation = { ...action.conversation, unanswered: action.conversation.lastMessage !== null && !(author && state.staff.has(author)), participants: [] };
      return { ...state, conversations: [added, ...state.conversations].sort(byActivity) };
    }
    case 'updated': {
      const { id, title } = action.conversation;
      if (!state.conversations.some((c) => c.id === id && c.title !== title)) return state;
      return { ...state, conversations: state.conversations.map((c) => (c.id === id ? { ...c, title } : c)) };
    }
    case 'message': {
      const { message } = action;
      const { author } = message;
      const thread = state.thread?.id === message.conversationId ? { ...state.thread, messages: mergeMessages(state.thread.messages, [message]) } : state.thread;
      const index = state.conversations.findIndex((c) => c.id === message.conversationId);
      if (index === -1) return { ...state, thread, stale: true };
      const c = state.conversations[index]!;
      if (activity(c) > message.createdAt || c.lastMessage?.id === message.id) return { ...state, thread };
      const participants =
        author.type === 'user' && author.id && !c.participants.some((p) => p.id === author.id) ? [...c.participants, { id: author.id, name: author.name }] : c.participants;
      const updated: InboxConversation = {
        ...c,
        lastMessage: message,
        lastMessageAt: message.createdAt,
        unanswered: !(author.type === 'user' && author.id !== null && state.staff.has(author.id)),
        participants,
      };
      const conversations = state.conversations.slice();
      conversations[index] = updated;
      return { ...state, thread, conversations: conversations.sort(byActivity) };
    }
    case 'open':
      return { ...state, thread: action.id ? (state.thread?.id === action.id ? state.thread : { id: action.id, messages: [], hasMore: false, loaded: false }) : null };
    case 'thread': {
      if (state.thread?.id !== action.id) return state;
      const messages = mergeMessages(state.thread.messages, action.messages);
      // An older page answers for what comes before it; the first page answers for the whole thread's start.
      const hasMore = action.older || !state.thread.loaded ? action.hasMore : state.thread.hasMore;
      return { ...state, thread: { ...state.thread, messages, hasMore, loaded: true } };
    }
  }
}
