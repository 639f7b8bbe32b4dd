/**
 * The inbox's state: the conversations of one view (newest activity first) or of a search (ranked as the
 * server answered), each view's count, and the open thread oldest first. Live events and the admin's own
 * replies merge in without duplicates (by message id); a conversation that no longer belongs to the view
 * (resolved, snoozed, assigned elsewhere) leaves it.
 *
 * The server decides "unanswered" (open, and the last message, notes aside, is not from an owner or admin
 * nor the assistant's).
 * A live message's author says whether it is the team's (`agent`); the panel also counts as staff the
 * signed-in admin and every author the server has shown to have answered a conversation.
 *
 * The assistant's replies stream in by conversation (docs/assistant.md): `assistant.replying` opens one,
 * each `message.delta` whose offset is the length so far is appended, and the stored message (its
 * clientMessageId is the reply's id) or `assistant.ended` closes it. A delta past a gap, or any after the
 * stream reconnected, is not appended: the reply waits for its stored message, which the log replays. A
 * signal of a reply already ended (signals and stored events travel apart) opens no bubble again.
 */
import type { InboxView } from '#shared/admin-api.js';
import type { Conversation, Message, MessageDeltaEvent } from '#shared/api.js';
import type { InboxConversation, InboxPage, InboxViewCounts } from './api.js';

export interface Thread {
  id: string;
  messages: Message[];
  hasMore: boolean;
  loaded: boolean;
  /**
   * The furthest message a user of the conversation is known to have read: from the participants' read
   * markers when the thread loads, then from live `conversation.read`.
   */
  seen: string | null;
  /** The conversation as last known, kept when it leaves the view (resolved, snoozed, assigned away). */
  conversation: InboxConversation | null;
}

/** The assistant's reply in progress in one conversation. */
export interface StreamingReply {
  replyId: string;
  text: string;
  /** A piece went missing (a gap, a reconnect): the rest is not shown until the stored message comes. */
  waiting: boolean;
}

/** What the list shows: a view, or the results of a search (which keep the server's ranking). */
export type Listing = { view: InboxView; q: null } | { view: InboxView; q: string };

export interface InboxState {
  meId: string;
  listing: Listing;
  conversations: InboxConversation[];
  nextCursor: string | null;
  loaded: boolean;
  counts: InboxViewCounts | null;
  staff: ReadonlySet<string>;
  thread: Thread | null;
  /** A message arrived for a conversation the list does not have: the first page should be fetched again. */
  stale: boolean;
  /** The assistant's replies streaming now, by conversation id. */
  replies: ReadonlyMap<string, StreamingReply>;
  /** The latest replies that ended (stored or ended): a signal of theirs arriving late opens no bubble again. */
  finished: readonly string[];
}

export type InboxAction =
  | { type: 'listing'; listing: Listing }
  | { type: 'page'; page: InboxPage; append: boolean; listing: Listing }
  | { type: 'conversation'; conversation: Conversation }
  /** The conversation as it is now (renamed, resolved, snoozed, assigned, here or elsewhere). */
  | { type: 'updated'; conversation: Conversation }
  | { type: 'message'; message: Message }
  /** A message edited or deleted: the message as it is now. */
  | { type: 'changed'; message: Message }
  | { type: 'read'; conversationId: string; userId: string; messageId: string }
  | { type: 'open'; id: string | null }
  /** The open conversation, found outside the list (it belongs to another view). */
  | { type: 'found'; conversation: InboxConversation }
  | { type: 'thread'; id: string; messages: Message[]; hasMore: boolean; older: boolean }
  /** The assistant starts a reply, streams a piece of it, or ends it (`assistant.replying`, `message.delta`, `assistant.ended`). */
  | { type: 'replying'; conversationId: string; replyId: string }
  | { type: 'delta'; event: MessageDeltaEvent }
  | { type: 'replyEnded'; conversationId: string; replyId: string }
  /** The event stream dropped: pieces sent meanwhile are lost, so what streams waits for its stored message. */
  | { type: 'interrupted' };

const activity = (c: Conversation) => c.lastMessageAt ?? c.createdAt;
const byActivity = (a: Conversation, b: Conversation) => (activity(a) < activity(b) ? 1 : activity(a) > activity(b) ? -1 : 0);
const byTime = (a: Message, b: Message) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const sameListing = (a: Listing, b: Listing) => a.view === b.view && a.q === b.q;
/** The assistant as the update says, or as known when it does not say (servers before the assistant). */
const assistantOf = (now: Conversation, known: Conversation): Conversation['assistant'] => (now.assistant === undefined ? (known.assistant ?? null) : now.assistant);

/** Whether a conversation belongs to a view, as the server filters it. */
export function inView(c: Pick<Conversation, 'status' | 'assigneeId'>, view: InboxView, meId: string): boolean {
  switch (view) {
    case 'unassigned':
      return c.status === 'open' && c.assigneeId === null;
    case 'mine':
      return c.status === 'open' && c.assigneeId === meId;
    case 'all':
      return true;
    default:
      return c.status === view;
  }
}

export const initialInbox = ({ meId, listing }: { meId: string; listing: Listing }): InboxState => ({
  meId,
  listing,
  conversations: [],
  nextCursor: null,
  loaded: false,
  counts: null,
  staff: new Set([meId]),
  thread: null,
  stale: false,
  replies: new Map(),
  finished: [],
});

/** How many ended replies are remembered (a late signal comes within moments of its reply's end). */
const FINISHED_KEPT = 50;

/** The state with the reply ended: out of `replies` and remembered as finished. */
function finish(state: InboxState, conversationId: string, replyId: string): InboxState {
  const finished = state.finished.includes(replyId) ? state.finished : [...state.finished.slice(-(FINISHED_KEPT - 1)), replyId];
  return { ...state, replies: withoutReply(state.replies, conversationId, replyId), finished };
}

/** `replies` without the conversation's, if it is `replyId` (any reply when null). */
function withoutReply(replies: ReadonlyMap<string, StreamingReply>, conversationId: string, replyId: string | null): ReadonlyMap<string, StreamingReply> {
  const current = replies.get(conversationId);
  if (!current || (replyId !== null && current.replyId !== replyId)) return replies;
  const next = new Map(replies);
  next.delete(conversationId);
  return next;
}

/** The reply with the delta applied: appended when it starts where the text ends, a repeat ignored, a gap waits. */
function applyDelta(current: StreamingReply | undefined, event: MessageDeltaEvent): StreamingReply {
  const reply = current?.replyId === event.replyId ? current : { replyId: event.replyId, text: '', waiting: false };
  if (reply.waiting) return reply;
  if (event.offset === reply.text.length) return { ...reply, text: reply.text + event.delta };
  if (event.offset + event.delta.length <= reply.text.length) return reply;
  return { ...reply, waiting: true };
}

function mergeMessages(existing: Message[], incoming: Message[]): Message[] {
  const known = new Set(existing.map((m) => m.id));
  const fresh = incoming.filter((m) => !known.has(m.id));
  return fresh.length ? [...existing, ...fresh].sort(byTime) : existing;
}

/** `staff` with the team's authors among `messages` added (the same set when there is none new). */
function withStaff(staff: ReadonlySet<string>, messages: Message[]): ReadonlySet<string> {
  const fresh = messages.filter((m) => m.author.agent && m.author.id !== null && !staff.has(m.author.id));
  return fresh.length ? new Set([...staff, ...fresh.map((m) => m.author.id!)]) : staff;
}

/** Whether `a` comes after `b` in the thread (unknown ids never do). */
const later = (messages: Message[], a: string, b: string | null) => {
  const ia = messages.findIndex((m) => m.id === a);
  return ia !== -1 && (b === null || ia > messages.findIndex((m) => m.id === b));
};

/** The furthest of `seen` and the read markers of the conversation's users (not the team) among `messages`. */
function seenFrom(messages: Message[], conversation: InboxConversation | undefined, seen: string | null): string | null {
  let furthest = seen;
  for (const p of conversation?.participants ?? []) {
    if (!p.agent && p.lastReadMessageId && later(messages, p.lastReadMessageId, furthest)) furthest = p.lastReadMessageId;
  }
  return furthest;
}

/** The open conversation as the list has it now, else as it was last known. */
function withOpen(state: InboxState): InboxState {
  const { thread } = state;
  if (!thread) return state;
  const listed = state.conversations.find((c) => c.id === thread.id);
  return listed && listed !== thread.conversation ? { ...state, thread: { ...thread, conversation: listed, seen: seenFrom(thread.messages, listed, thread.seen) } } : state;
}

export function inboxReducer(state: InboxState, action: InboxAction): InboxState {
  return withOpen(reduce(state, action));
}

function reduce(state: InboxState, action: InboxAction): InboxState {
  const filtered = state.listing.q === null;
  const sort = (list: InboxConversation[]) => (filtered ? list.sort(byActivity) : list);
  switch (action.type) {
    case 'listing':
      return sameListing(state.listing, action.listing) ? state : { ...state, listing: action.listing, conversations: [], nextCursor: null, loaded: false, stale: false };
    case 'page': {
      // An answer for a view or search the admin has since left.
      if (!sameListing(state.listing, action.listing)) return state;
      const staff = new Set(state.staff);
      for (const c of action.page.conversations) if (!c.unanswered && c.lastMessage?.author.id && c.lastMessage.author.type === 'user') staff.add(c.lastMessage.author.id);
      const incoming = new Map(action.page.conversations.map((c) => [c.id, c]));
      const counts = action.page.counts ?? state.counts;
      // Ranked results are replaced or appended in the server's order.
      if (!filtered) {
        const kept = action.append ? state.conversations.filter((c) => !incoming.has(c.id)) : [];
        return { ...state, staff, counts, loaded: true, stale: false, conversations: [...kept, ...incoming.values()], nextCursor: action.page.nextCursor };
      }
      // The first page again (after a live change) replaces what it holds and keeps the older pages already loaded.
      const kept = action.append || state.loaded ? state.conversations.filter((c) => !incoming.has(c.id)) : [];
      return {
        ...state,
        staff,
        counts,
        loaded: true,
        stale: false,
        conversations: [...kept, ...incoming.values()].sort(byActivity),
        nextCursor: action.append || !state.loaded ? action.page.nextCursor : state.nextCursor,
      };
    }
    case 'conversation': {
      const c = action.conversation;
      if (!filtered || state.conversations.some((x) => x.id === c.id) || !inView({ status: c.status ?? 'open', assigneeId: c.assigneeId ?? null }, state.listing.view, state.meId)) return state;
      const author = c.lastMessage?.author;
      const unanswered = c.lastMessage !== null && author?.type !== 'assistant' && !author?.agent && !(author?.id && state.staff.has(author.id));
      // Servers before views sent no status: such a conversation is open and unassigned.
      const added: InboxConversation = { ...c, status: c.status ?? 'open', snoozedUntil: c.snoozedUntil ?? null, assigneeId: c.assigneeId ?? null, unanswered, participants: [] };
      return { ...state, conversations: [added, ...state.conversations].sort(byActivity) };
    }
    case 'updated': {
      const now = action.conversation;
      const { thread } = state;
      if (thread?.id === now.id && thread.conversation) {
        const kept = thread.conversation;
        state = { ...state, thread: { ...thread, conversation: { ...kept, title: now.title, status: now.status ?? kept.status, snoozedUntil: now.snoozedUntil ?? null, assigneeId: now.assigneeId ?? null, assistant: assistantOf(now, kept) } } };
      }
      const index = state.conversations.findIndex((c) => c.id === now.id);
      if (index === -1) return { ...state, stale: state.stale || (filtered && inView(now, state.listing.view, state.meId)) };
      if (filtered && !inView(now, state.listing.view, state.meId)) return { ...state, conversations: state.conversations.filter((c) => c.id !== now.id) };
      const c = state.conversations[index]!;
      const updated: InboxConversation = {
        ...c,
        title: now.title,
        status: now.status ?? c.status,
        snoozedUntil: now.snoozedUntil ?? null,
        assigneeId: now.assigneeId ?? null,
        assistant: assistantOf(now, c),
        // Only open conversations wait for an answer.
        unanswered: (now.status ?? c.status) === 'open' && c.unanswered,
      };
      const conversations = state.conversations.slice();
      conversations[index] = updated;
      return { ...state, conversations };
    }
    case 'message': {
      const { message } = action;
      const { author } = message;
      // The stored reply takes the place of the one that streamed.
      if (author.type === 'assistant' && message.clientMessageId) state = finish(state, message.conversationId, message.clientMessageId);
      const thread = state.thread?.id === message.conversationId ? { ...state.thread, messages: mergeMessages(state.thread.messages, [message]) } : state.thread;
      state = { ...state, staff: withStaff(state.staff, [message]) };
      const index = state.conversations.findIndex((c) => c.id === message.conversationId);
      // A note is for administrators: it neither answers nor previews the conversation.
      if (message.internal) return { ...state, thread };
      if (index === -1) return { ...state, thread, stale: filtered };
      const c = state.conversations[index]!;
      if (activity(c) > message.createdAt || c.lastMessage?.id === message.id) return { ...state, thread };
      // The assistant's reply answers it too (as the server counts it), until a hand-off's system message.
      const staff = author.type === 'assistant' || (author.type === 'user' && author.id !== null && (author.agent || state.staff.has(author.id)));
      const participants =
        author.type === 'user' && author.id && !c.participants.some((p) => p.id === author.id) ? [...c.participants, { id: author.id, name: author.name }] : c.participants;
      const updated: InboxConversation = { ...c, lastMessage: message, lastMessageAt: message.createdAt, unanswered: !staff, participants };
      const conversations = state.conversations.slice();
      conversations[index] = updated;
      return { ...state, thread, conversations: sort(conversations) };
    }
    case 'changed': {
      const { message } = action;
      const replace = (m: Message) => (m.id === message.id ? message : m);
      const thread = state.thread?.id === message.conversationId ? { ...state.thread, messages: state.thread.messages.map(replace) } : state.thread;
      const conversations = state.conversations.map((c) => (c.lastMessage?.id === message.id ? { ...c, lastMessage: message } : c));
      return { ...state, thread, conversations };
    }
    case 'read': {
      const { thread } = state;
      // Only a user's read marker is "Seen"; an administrator reading is no news to the team.
      if (!thread || thread.id !== action.conversationId || state.staff.has(action.userId) || !later(thread.messages, action.messageId, thread.seen)) return state;
      return { ...state, thread: { ...thread, seen: action.messageId } };
    }
    case 'found': {
      const { thread } = state;
      return thread?.id === action.conversation.id && !thread.conversation
        ? { ...state, thread: { ...thread, conversation: action.conversation, seen: seenFrom(thread.messages, action.conversation, thread.seen) } }
        : state;
    }
    case 'replying': {
      const current = state.replies.get(action.conversationId);
      if (current?.replyId === action.replyId || state.finished.includes(action.replyId)) return state;
      return { ...state, replies: new Map(state.replies).set(action.conversationId, { replyId: action.replyId, text: '', waiting: false }) };
    }
    case 'delta': {
      const { event } = action;
      if (state.finished.includes(event.replyId)) return state;
      const current = state.replies.get(event.conversationId);
      const next = applyDelta(current, event);
      return next === current ? state : { ...state, replies: new Map(state.replies).set(event.conversationId, next) };
    }
    case 'replyEnded':
      return finish(state, action.conversationId, action.replyId);
    case 'interrupted': {
      if (state.replies.size === 0) return state;
      // One with text waits for its stored message; one without may have ended unheard (stopped before any
      // text has no message): it goes, and a later piece of it shows it again, waiting.
      const replies = new Map<string, StreamingReply>();
      for (const [id, reply] of state.replies) if (reply.text !== '') replies.set(id, { ...reply, waiting: true });
      return { ...state, replies };
    }
    case 'open':
      return { ...state, thread: action.id ? (state.thread?.id === action.id ? state.thread : { id: action.id, messages: [], hasMore: false, loaded: false, seen: null, conversation: null }) : null };
    case 'thread': {
      if (state.thread?.id !== action.id) return state;
      const messages = mergeMessages(state.thread.messages, action.messages);
      // An older page answers for what comes before it; the first page answers for the whole thread's start.
      const hasMore = action.older || !state.thread.loaded ? action.hasMore : state.thread.hasMore;
      const seen = seenFrom(messages, state.thread.conversation ?? state.conversations.find((c) => c.id === action.id), state.thread.seen);
      return { ...state, staff: withStaff(state.staff, action.messages), thread: { ...state.thread, messages, hasMore, loaded: true, seen } };
    }
  }
}
