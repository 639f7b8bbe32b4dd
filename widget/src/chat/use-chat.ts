/**
 * The chat's state and actions, shared by the hosted page and the widget: conversations newest first with
 * the user's unread counts, messages per conversation (older ones paged in), optimistic sending with
 * pending/failed states and a retry that reuses the clientMessageId, and live events merged without
 * duplicates. A conversation is created with its first message (never empty): until the server answers it
 * is a local draft whose id starts with `new:`. The open conversation is marked read while it is visible, and
 * others' read markers say which of my messages were seen. With a document id it is a
 * document room instead (docs/token-api.md, Organizations, grants, document rooms): the document's one shared
 * conversation, opened through `POST /api/v1/documents/:id/open`, read-only for a viewer, and picked up live
 * once an editor creates it. Others typing in a conversation show for the time their event gives (or until their
 * message arrives); the user's own messages may be edited or deleted; and whether the team is online is
 * asked while the view is shown.
 */
import { useCallback, useEffect, useLayoutEffect, useReducer, useRef, useState } from 'preact/hooks';
import type { AssistantReplyEvent, MessageDeltaEvent, Attachment, Conversation, ConversationReadEvent, ConversationSummary, Message, MessageChangedEvent, TypingEvent, User } from '#shared/api.js';
import { EVENT, TYPING_SEND_INTERVAL_MS } from '#shared/constants.js';
import { ApiError, newClientMessageId, type ApiClient } from '../api/client.js';
import { usePresence } from './use-presence.js';

/** `error`: the server's code when a send failed (`read_only` for a viewer). */
export type DisplayMessage = Message & { status: 'sent' | 'pending' | 'failed'; error?: string };

/**
 * A document room: `loading` while it opens, `waiting` while it does not exist yet (a viewer before any
 * editor opened it), `ready` once shown, `error` with the server's code (`document_not_found`: no grant).
 */
export interface RoomState {
  status: 'loading' | 'waiting' | 'ready' | 'error';
  access: 'viewer' | 'editor' | null;
  code: string | null;
}

export interface Thread {
  items: DisplayMessage[];
  hasMore: boolean;
  loadingOlder: boolean;
}

/** A conversation with the user's read state when the server gave it (the list does, events do not). */
export type ChatConversation = Conversation & Partial<Pick<ConversationSummary, 'unreadCount' | 'lastReadMessageId'>>;

export interface ChatState {
  conversations: ChatConversation[];
  loaded: boolean;
  selectedId: string | null;
  threads: Record<string, Thread>;
  error: string | null;
  /** The last few messages from others that arrived live in the open conversation, for screen readers. */
  heard: DisplayMessage[];
  /** Null outside a document room. */
  room: RoomState | null;
  /** Per conversation, the latest message another participant has read up to. */
  seen: Record<string, string>;
  /** Per conversation, who else is typing in it (the latest to say so). */
  typing: Record<string, TypingEvent>;
  /** Per conversation, the assistant's reply as it streams in, until its stored message arrives. */
  replies: Record<string, { replyId: string; text: string }>;
  /**
   * The latest replies that ended: a piece heard after its stored message (signals and stored events travel
   * apart, across instances) must not open the bubble again.
   */
  ended: string[];
}

/** A stream of server-sent events: `(type, data)` callbacks; returns an unsubscribe function. */
export type LiveSource = (onEvent: (type: string, data: unknown) => void) => () => void;

type Action =
  | { type: 'conversations'; conversations: ChatConversation[] }
  /** `known`: only update a conversation already listed (a rename must not add a room to the list). */
  | { type: 'upsertConversation'; conversation: ChatConversation; known?: boolean }
  /** The server created the draft `draftId` as `conversation`. */
  | { type: 'created'; draftId: string; conversation: ChatConversation }
  /** `mine`: my own marker (from here or another tab of mine); otherwise another participant's. */
  | { type: 'read'; conversationId: string; messageId: string; mine: boolean }
  | { type: 'select'; id: string | null }
  /** The view is shown again: what arrived while it was hidden is history now, not news to say aloud. */
  | { type: 'hush' }
  | { type: 'page'; id: string; messages: Message[]; hasMore: boolean; older: boolean }
  | { type: 'loadingOlder'; id: string }
  /** `announce`: a live message from someone else (said aloud if it is new in the open conversation). */
  | { type: 'message'; message: DisplayMessage; announce?: boolean }
  | { type: 'failed'; conversationId: string; clientMessageId: string; code: string }
  /** A message edited or deleted: replaced where it shows (its thread, the list's last message). */
  | { type: 'changed'; message: Message }
  | { type: 'typing'; event: TypingEvent }
  /** `userId` stopped typing in the conversation (their time ran out, or their message arrived). */
  | { type: 'typed'; conversationId: string; userId: string | null }
  | { type: 'room'; room: Partial<RoomState> }
  /** The assistant's reply: begun, a piece of it, or over (`delta` absent). */
  | { type: 'reply'; event: MessageDeltaEvent | AssistantReplyEvent; over?: boolean }
  | { type: 'error'; error: string | null };

const activity = (c: ChatConversation) => c.lastMessageAt ?? c.createdAt;
const byActivity = (a: ChatConversation, b: ChatConversation) => (activity(a) < activity(b) ? 1 : activity(a) > activity(b) ? -1 : 0);

/** Oldest first; pending messages (not yet on the server) after every sent one. */
const byTime = (a: DisplayMessage, b: DisplayMessage) =>
  a.status !== 'sent' && b.status === 'sent' ? 1 : a.status === 'sent' && b.status !== 'sent' ? -1 : a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0;

/** Inserts or replaces a message: same id, or the pending copy with the same clientMessageId. */
function mergeMessage(items: DisplayMessage[], message: DisplayMessage): DisplayMessage[] {
  const index = items.findIndex(
    (m) => m.id === message.id || (message.clientMessageId !== null && m.clientMessageId === message.clientMessageId && m.author.id === message.author.id),
  );
  if (index === -1) return [...items, message];
  if (items[index]!.status === 'sent' && message.status !== 'sent') return items;
  const next = items.slice();
  next[index] = message;
  return next;
}

/** The typing state without `userId` typing in `conversationId` (unchanged if someone else is shown there). */
function stopTyping(typing: ChatState['typing'], conversationId: string, userId: string | null): ChatState['typing'] {
  if (typing[conversationId]?.userId !== userId) return typing;
  const { [conversationId]: _, ...rest } = typing;
  return rest;
}

/** The prefix of a conversation's id before the server has created it; its first message's clientMessageId follows. */
export const DRAFT = 'new:';

/**
 * A conversation as the server now sends it, keeping what this view knows better: my unread count (an
 * event's copy is not per user) and a newer last message.
 */
const mergeConversation = (old: ChatConversation | undefined, c: ChatConversation): ChatConversation =>
  old
    ? { ...old, ...c, unreadCount: old.unreadCount ?? c.unreadCount, lastReadMessageId: old.lastReadMessageId ?? c.lastReadMessageId, ...(activity(old) > activity(c) ? { lastMessage: old.lastMessage, lastMessageAt: old.lastMessageAt } : {}) }
    : c;

function upsert(state: ChatState, conversation: ChatConversation, known = false): ChatState {
  // My draft's conversation announced before the POST answered: it is the draft, created.
  const draftId = DRAFT + conversation.lastMessage?.clientMessageId;
  if (state.conversations.some((c) => c.id === draftId)) return created(state, draftId, conversation);
  const old = state.conversations.find((c) => c.id === conversation.id);
  if (known && !old) return state;
  const others = state.conversations.filter((c) => c !== old);
  return { ...state, conversations: [mergeConversation(old, conversation), ...others].sort(byActivity) };
}

/** The draft's thread and selection move to the created conversation. */
function created(state: ChatState, draftId: string, conversation: ChatConversation): ChatState {
  const { [draftId]: draft, ...threads } = state.threads;
  const next = upsert({ ...state, conversations: state.conversations.filter((c) => c.id !== draftId), threads }, conversation);
  if (draft) {
    const items = draft.items.map((m) => ({ ...m, conversationId: conversation.id }));
    const last = conversation.lastMessage;
    next.threads = { ...next.threads, [conversation.id]: { ...draft, items: last ? mergeMessage(items, { ...last, status: 'sent' }) : items } };
  }
  if (state.selectedId === draftId) next.selectedId = conversation.id;
  return next;
}

function reducer(state: ChatState, action: Action): ChatState {
  switch (action.type) {
    case 'conversations':
      return { ...state, loaded: true, conversations: [...action.conversations].sort(byActivity) };
    case 'upsertConversation':
      return upsert(state, action.conversation, action.known);
    case 'created':
      return created(state, action.draftId, action.conversation);
    case 'read': {
      const { conversationId: id, messageId, mine } = action;
      if (mine)
        return { ...state, conversations: state.conversations.map((c) => (c.id === id && c.lastMessage?.id === messageId ? { ...c, unreadCount: 0, lastReadMessageId: messageId } : c)) };
      // Of two participants' markers, the later one (as far as the loaded messages tell).
      const items = state.threads[id]?.items ?? [];
      const at = (messageId?: string) => items.findIndex((m) => m.id === messageId);
      const old = state.seen[id];
      return { ...state, seen: { ...state.seen, [id]: old && at(old) > at(messageId) ? old : messageId } };
    }
    case 'select':
      return { ...state, selectedId: action.id, heard: [] };
    case 'hush':
      return state.heard.length ? { ...state, heard: [] } : state;
    case 'loadingOlder': {
      const thread = state.threads[action.id];
      return thread ? { ...state, threads: { ...state.threads, [action.id]: { ...thread, loadingOlder: true } } } : state;
    }
    case 'page': {
      const incoming: DisplayMessage[] = action.messages.map((m) => ({ ...m, status: 'sent' }));
      const existing = state.threads[action.id]?.items ?? [];
      const known = new Set(existing.map((m) => m.id));
      const fresh = incoming.filter((m) => !known.has(m.id));
      const items = action.older ? [...fresh, ...existing] : fresh.reduce(mergeMessage, existing).sort(byTime);
      return { ...state, threads: { ...state.threads, [action.id]: { items, hasMore: action.hasMore, loadingOlder: false } } };
    }
    case 'message': {
      const { message } = action;
      const thread = state.threads[message.conversationId];
      // A conversation whose first page is still loading keeps the live message; the page merges around it.
      const loading = !thread && state.selectedId === message.conversationId;
      // Only what is new: not a duplicate delivery, not a page, not my own message.
      const heard =
        action.announce && state.selectedId === message.conversationId && !thread?.items.some((m) => m.id === message.id)
          ? [...state.heard.slice(-4), message]
          : state.heard;
      const threads = thread
        ? { ...state.threads, [message.conversationId]: { ...thread, items: mergeMessage(thread.items, message) } }
        : loading
          ? { ...state.threads, [message.conversationId]: { items: [message], hasMore: false, loadingOlder: false } }
          : state.threads;
      // A live message from someone else counts as unread once (not again when delivered twice, nor when the
      // list already had it); the open conversation is marked read again right after, while it is visible.
      const conversations =
        message.status === 'sent'
          ? state.conversations
              .map((c) =>
                c.id === message.conversationId && activity(c) <= message.createdAt && c.lastMessage?.id !== message.id
                  ? { ...c, lastMessage: message, lastMessageAt: message.createdAt, unreadCount: (c.unreadCount ?? 0) + (action.announce ? 1 : 0) }
                  : c,
              )
              .sort(byActivity)
          : state.conversations;
      return { ...state, threads, conversations, heard, typing: stopTyping(state.typing, message.conversationId, message.author.id) };
    }
    case 'changed': {
      const { message } = action;
      const thread = state.threads[message.conversationId];
      const items = thread?.items.map((m) => (m.id === message.id ? { ...m, ...message } : m));
      return {
        ...state,
        threads: thread ? { ...state.threads, [message.conversationId]: { ...thread, items: items! } } : state.threads,
        conversations: state.conversations.map((c) => (c.lastMessage?.id === message.id ? { ...c, lastMessage: message } : c)),
      };
    }
    case 'typing':
      return { ...state, typing: { ...state.typing, [action.event.conversationId]: action.event } };
    case 'typed':
      return { ...state, typing: stopTyping(state.typing, action.conversationId, action.userId) };
    case 'failed': {
      const thread = state.threads[action.conversationId];
      if (!thread) return state;
      const items = thread.items.map((m) => (m.clientMessageId === action.clientMessageId && m.status === 'pending' ? { ...m, status: 'failed' as const, error: action.code } : m));
      return { ...state, threads: { ...state.threads, [action.conversationId]: { ...thread, items } } };
    }
    case 'error':
      return { ...state, error: action.error };
    case 'room':
      return state.room ? { ...state, room: { ...state.room, ...action.room } } : state;
    case 'reply': {
      const { replyId } = action.event;
      if (action.over) return { ...state, replies: streamed(state.replies, action.event, true), ended: [...state.ended.slice(-49), replyId] };
      return state.ended.includes(replyId) ? state : { ...state, replies: streamed(state.replies, action.event, false) };
    }
  }
}

/**
 * The replies streaming in after `event`: a piece lands at its offset (a piece delivered twice changes
 * nothing; after a gap the reply waits for its stored message); the reply goes when it is over.
 */
function streamed(replies: ChatState['replies'], event: MessageDeltaEvent | AssistantReplyEvent, over: boolean): ChatState['replies'] {
  const { conversationId, replyId } = event;
  const current = replies[conversationId]?.replyId === replyId ? replies[conversationId]!.text : '';
  if (over) {
    if (replies[conversationId]?.replyId !== replyId) return replies;
    const { [conversationId]: _, ...rest } = replies;
    return rest;
  }
  const piece = 'delta' in event ? event : null;
  const text = !piece ? current : piece.offset <= current.length ? current.slice(0, piece.offset) + piece.delta : current;
  return { ...replies, [conversationId]: { replyId, text: text.length >= current.length ? text : current } };
}

export const initialChatState: ChatState = { conversations: [], loaded: false, selectedId: null, threads: {}, error: null, heard: [], room: null, seen: {}, typing: {}, replies: {}, ended: [] };

const codeOf = (error: unknown) => (error instanceof ApiError ? error.code : 'internal_error');

/** Live events that may mean a room now exists: a new conversation, or the stream (re)connected. */
export const STREAM_READY = 'ready';

/** The title the server gives a conversation from its first message: the first non-blank line, 80 characters. */
const titleOf = (text: string) => text.trim().split('\n')[0]!.trim().slice(0, 80);

/**
 * The chat of `me`: `visible` says whether the view is shown (the widget's panel may be hidden), and only a
 * visible open conversation is marked read.
 */
/** Whether the browser shows the page (not a background tab, not a minimised window): nothing is read unseen. */
function usePageShown(): boolean {
  const shown = () => typeof document === 'undefined' || document.visibilityState !== 'hidden';
  const [value, setValue] = useState(shown);
  useEffect(() => {
    const update = () => setValue(shown());
    document.addEventListener('visibilitychange', update);
    return () => document.removeEventListener('visibilitychange', update);
  }, []);
  return value;
}

export function useChat(api: ApiClient, me: User, live: LiveSource, documentId: string | null = null, visible = true) {
  const meId = useRef(me.id);
  meId.current = me.id;
  const [state, dispatch] = useReducer(reducer, documentId, (doc): ChatState => ({ ...initialChatState, room: doc === null ? null : { status: 'loading', access: null, code: null } }));

  const select = useCallback(
    (id: string) => {
      dispatch({ type: 'select', id });
      api.listMessages(id).then(
        (page) => dispatch({ type: 'page', id, messages: page.messages, hasMore: page.hasMore, older: false }),
        (error: Error) => dispatch({ type: 'error', error: error.message }),
      );
    },
    [api],
  );

  useLayoutEffect(() => {
    if (visible) dispatch({ type: 'hush' });
  }, [visible]);

  // Read while shown: on opening a conversation with unread messages, on one arriving while it is open, and
  // when the hidden view is shown again. Before paint, so the unread dot never flashes on the open one.
  const open = state.conversations.find((c) => c.id === state.selectedId);
  const pageShown = usePageShown();
  // A document room is between its editors: whether the team is online says nothing there.
  const online = usePresence(api, visible && pageShown && documentId === null);
  const toRead = visible && pageShown && open?.unreadCount ? open.lastMessage?.id : undefined;
  useLayoutEffect(() => {
    if (!open || !toRead) return;
    dispatch({ type: 'read', conversationId: open.id, messageId: toRead, mine: true });
    api.markRead?.(open.id, toRead).catch(() => undefined);
  }, [toRead]);
  const selected = useRef(state.selectedId);
  selected.current = state.selectedId;
  useEffect(() => {
    const loadList = () => {
      if (documentId === null) {
        api.listConversations().then(
          // Document rooms belong to their document's page, not to the list of the user's conversations.
          (list) => dispatch({ type: 'conversations', conversations: list.conversations.filter((c) => !c.documentId) }),
          (error: Error) => dispatch({ type: 'error', error: error.message }),
        );
      }
    };
    loadList();
    let alive = true;
    let ready = false; // the room is shown: nothing more to open
    let inFlight = false;
    let again = false; // something happened while opening that a "no room yet" answer may have missed
    const openRoom = () => {
      if (!alive || ready || documentId === null) return;
      if (inFlight) return void (again = true);
      inFlight = true;
      again = false;
      const request = api.openDocument ? api.openDocument(documentId) : Promise.reject(new ApiError(0, 'internal_error', 'no document API'));
      request.then(
        ({ access, conversation }) => {
          inFlight = false;
          if (!alive) return;
          if (conversation) {
            ready = true;
            dispatch({ type: 'upsertConversation', conversation });
            dispatch({ type: 'room', room: { status: 'ready', access, code: null } });
            select(conversation.id);
          } else {
            dispatch({ type: 'room', room: { status: 'waiting', access, code: null } });
            if (again) openRoom();
          }
        },
        (error: unknown) => {
          inFlight = false;
          if (alive) dispatch({ type: 'room', room: { status: 'error', code: codeOf(error) } });
        },
      );
    };
    openRoom();
    // Who is typing goes when the time their event gave runs out, unless renewed.
    const timers = new Map<string, ReturnType<typeof setTimeout>>();
    const unsubscribe = live((type, data) => {
      if (type === EVENT.typing) {
        const event = data as TypingEvent;
        if (event.userId === meId.current) return;
        clearTimeout(timers.get(event.conversationId));
        timers.set(event.conversationId, setTimeout(() => dispatch({ type: 'typed', conversationId: event.conversationId, userId: event.userId }), event.ttlMs));
        dispatch({ type: 'typing', event });
      } else if (type === EVENT.messageUpdated || type === EVENT.messageDeleted) {
        dispatch({ type: 'changed', message: (data as MessageChangedEvent).message });
      } else if (type === EVENT.messageCreated) {
        const message = (data as { message: Message }).message;
        const mine = message.author.type === 'user' && message.author.id === meId.current;
        dispatch({ type: 'message', message: { ...message, status: 'sent' }, announce: !mine });
        // The assistant's stored reply takes the place of what streamed.
        if (message.author.type === 'assistant' && message.clientMessageId) dispatch({ type: 'reply', event: { conversationId: message.conversationId, replyId: message.clientMessageId }, over: true });
      } else if (type === EVENT.assistantReplying || type === EVENT.messageDelta || type === EVENT.assistantEnded) {
        dispatch({ type: 'reply', event: data as MessageDeltaEvent, over: type === EVENT.assistantEnded });
      } else if (type === EVENT.conversationCreated) {
        const conversation = (data as { conversation: Conversation }).conversation;
        if (documentId === null && !conversation.documentId) dispatch({ type: 'upsertConversation', conversation });
        // This document's room was just created (or a reconnect may have missed it): open it now.
        if (documentId !== null && conversation.documentId === documentId) openRoom();
      } else if (type === EVENT.conversationUpdated) {
        dispatch({ type: 'upsertConversation', conversation: (data as { conversation: Conversation }).conversation, known: true });
      } else if (type === EVENT.conversationRead) {
        const read = data as ConversationReadEvent;
        dispatch({ type: 'read', conversationId: read.conversationId, messageId: read.messageId, mine: read.userId === meId.current });
      } else if (type === STREAM_READY) openRoom();
      else if (type === EVENT.resync) {
        // What the stream missed has left the server's log: load the list and the open thread again.
        loadList();
        if (selected.current) select(selected.current);
      }
    });
    return () => {
      alive = false;
      unsubscribe();
      timers.forEach(clearTimeout);
    };
  }, [api, live, documentId, select]);

  const loadOlder = useCallback(
    (id: string, before: string) => {
      dispatch({ type: 'loadingOlder', id });
      api.listMessages(id, before).then(
        (page) => dispatch({ type: 'page', id, messages: page.messages, hasMore: page.hasMore, older: true }),
        (error: Error) => dispatch({ type: 'error', error: error.message }),
      );
    },
    [api],
  );

  /**
   * Sends (or re-sends, with the same clientMessageId) a message, showing it at once as pending. In a draft
   * the message creates the conversation; a retry answers the same one.
   */
  const send = useCallback(
    async (conversationId: string, text: string, clientMessageId: string = newClientMessageId(), attachments: Attachment[] = []) => {
      dispatch({
        type: 'message',
        message: {
          id: `pending:${clientMessageId}`,
          conversationId,
          author: { type: 'user', id: me.id, name: me.name, avatarUrl: me.avatarUrl, agent: false },
          text,
          clientMessageId,
          createdAt: new Date().toISOString(),
          internal: false,
          editedAt: null,
          deletedAt: null,
          attachments,
          status: 'pending',
        },
      });
      try {
        if (conversationId.startsWith(DRAFT)) {
          const conversation = await api.createConversation({ message: { text, clientMessageId } });
          dispatch({ type: 'created', draftId: conversationId, conversation });
        } else {
          const message = await api.postMessage(conversationId, text, clientMessageId, attachments.map((a) => a.id));
          dispatch({ type: 'message', message: { ...message, status: 'sent' } });
        }
      } catch (error) {
        const code = codeOf(error);
        dispatch({ type: 'failed', conversationId, clientMessageId, code });
        // The grant went down to viewer meanwhile: the room becomes read-only.
        if (code === 'read_only') dispatch({ type: 'room', room: { access: 'viewer' } });
      }
    },
    [api, me],
  );

  /** Opens a draft conversation holding `text` as its pending first message, and creates it with that message. */
  const start = useCallback(
    (text: string) => {
      const clientMessageId = newClientMessageId();
      const id = DRAFT + clientMessageId;
      const now = new Date().toISOString();
      dispatch({ type: 'upsertConversation', conversation: { id, organizationId: me.organizationId, documentId: null, title: titleOf(text), createdAt: now, lastMessageAt: null, lastMessage: null, status: 'open', snoozedUntil: null, assigneeId: null, assistant: null } });
      dispatch({ type: 'page', id, messages: [], hasMore: false, older: false });
      dispatch({ type: 'select', id });
      void send(id, text, clientMessageId);
    },
    [me, send],
  );

  const deselect = useCallback(() => dispatch({ type: 'select', id: null }), []);

  /** Edits my message `m` (the server's copy replaces it); rejects with the server's ApiError. */
  const edit = async (m: Message, text: string) => dispatch({ type: 'changed', message: await api.editMessage!(m.conversationId, m.id, text) });
  /** Deletes my message `m`: it stays in place, as deleted. */
  const remove = async (m: Message) => {
    await api.deleteMessage!(m.conversationId, m.id);
    dispatch({ type: 'changed', message: { ...m, text: '', deletedAt: new Date().toISOString() } });
  };
  // Typing is said at most every TYPING_SEND_INTERVAL_MS per conversation; a refusal (a 429) changes nothing.
  const typedAt = useRef(['', 0] as [string, number]);
  const typing = (id: string) => {
    const now = Date.now();
    const [last, at] = typedAt.current;
    if (id.startsWith(DRAFT) || (last === id && now - at < TYPING_SEND_INTERVAL_MS)) return;
    typedAt.current = [id, now];
    api.typing?.(id).catch(() => undefined);
  };

  /** "Talk to a person": the conversation goes to the team, the assistant stays quiet in it. */
  const handoff = async (id: string) => {
    try {
      dispatch({ type: 'upsertConversation', conversation: await api.handoff!(id), known: true });
    } catch (error) {
      dispatch({ type: 'error', error: codeOf(error) });
    }
  };
  const stopReply = (id: string) => void api.stopReply?.(id).catch(() => undefined);

  return { state, online, select, deselect, loadOlder, start, send, edit, remove, typing, handoff, stopReply, clearError: () => dispatch({ type: 'error', error: null }) };
}
