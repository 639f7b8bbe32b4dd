/**
 * The chat's state and actions, shared by the hosted page and the widget: conversations newest first,
 * messages per conversation (older ones paged in), optimistic sending with pending/failed states and a retry
 * that reuses the clientMessageId, and live events merged without duplicates. With a document id it is a
 * document room instead (docs/token-api.md, Organizations, grants, document rooms): the document's one shared
 * conversation, opened through `POST /api/v1/documents/:id/open`, read-only for a viewer, and picked up live
 * once an editor creates it.
 */
import { useCallback, useEffect, useReducer, useRef } from 'preact/hooks';
import type { Conversation, Message, User } from '../../../shared/src/api.js';
import { EVENT } from '../../../shared/src/constants.js';
import { ApiError, newClientMessageId, type ApiClient } from '../api/client.js';

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

export interface ChatState {
  conversations: Conversation[];
  loaded: boolean;
  selectedId: string | null;
  threads: Record<string, Thread>;
  error: string | null;
  /** The last few messages from others that arrived live in the open conversation, for screen readers. */
  heard: DisplayMessage[];
  /** Null outside a document room. */
  room: RoomState | null;
}

/** A stream of server-sent events: `(type, data)` callbacks; returns an unsubscribe function. */
export type LiveSource = (onEvent: (type: string, data: unknown) => void) => () => void;

type Action =
  | { type: 'conversations'; conversations: Conversation[] }
  | { type: 'upsertConversation'; conversation: Conversation }
  | { type: 'select'; id: string | null }
  | { type: 'page'; id: string; messages: Message[]; hasMore: boolean; older: boolean }
  | { type: 'loadingOlder'; id: string }
  /** `announce`: a live message from someone else (said aloud if it is new in the open conversation). */
  | { type: 'message'; message: DisplayMessage; announce?: boolean }
  | { type: 'failed'; conversationId: string; clientMessageId: string; code: string }
  | { type: 'room'; room: Partial<RoomState> }
  | { type: 'error'; error: string | null };

const activity = (c: Conversation) => c.lastMessageAt ?? c.createdAt;
const byActivity = (a: Conversation, b: Conversation) => (activity(a) < activity(b) ? 1 : activity(a) > activity(b) ? -1 : 0);

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

function reducer(state: ChatState, action: Action): ChatState {
  switch (action.type) {
    case 'conversations':
      return { ...state, loaded: true, conversations: [...action.conversations].sort(byActivity) };
    case 'upsertConversation': {
      const others = state.conversations.filter((c) => c.id !== action.conversation.id);
      return { ...state, conversations: [action.conversation, ...others].sort(byActivity) };
    }
    case 'select':
      return { ...state, selectedId: action.id, heard: [] };
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
      const conversations =
        message.status === 'sent'
          ? state.conversations
              .map((c) => (c.id === message.conversationId && activity(c) <= message.createdAt ? { ...c, lastMessage: message, lastMessageAt: message.createdAt } : c))
              .sort(byActivity)
          : state.conversations;
      return { ...state, threads, conversations, heard };
    }
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
  }
}

export const initialChatState: ChatState = { conversations: [], loaded: false, selectedId: null, threads: {}, error: null, heard: [], room: null };

const codeOf = (error: unknown) => (error instanceof ApiError ? error.code : 'internal_error');

/** Live events that may mean a room now exists: a new conversation, or the stream (re)connected. */
export const STREAM_READY = 'ready';

export function useChat(api: ApiClient, me: User, live: LiveSource, documentId: string | null = null) {
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

  useEffect(() => {
    if (documentId === null) {
      api.listConversations().then(
        // Document rooms belong to their document's page, not to the list of the user's conversations.
        (list) => dispatch({ type: 'conversations', conversations: list.conversations.filter((c) => !c.documentId) }),
        (error: Error) => dispatch({ type: 'error', error: error.message }),
      );
    }
    let alive = true;
    let ready = false; // the room is shown: nothing more to open
    let inFlight = false;
    let again = false; // something happened while opening that a "no room yet" answer may have missed
    const open = () => {
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
            if (again) open();
          }
        },
        (error: unknown) => {
          inFlight = false;
          if (alive) dispatch({ type: 'room', room: { status: 'error', code: codeOf(error) } });
        },
      );
    };
    open();
    const unsubscribe = live((type, data) => {
      if (type === EVENT.messageCreated) {
        const message = (data as { message: Message }).message;
        const mine = message.author.type === 'user' && message.author.id === meId.current;
        dispatch({ type: 'message', message: { ...message, status: 'sent' }, announce: !mine });
      } else if (type === EVENT.conversationCreated) {
        const conversation = (data as { conversation: Conversation }).conversation;
        if (documentId === null && !conversation.documentId) dispatch({ type: 'upsertConversation', conversation });
        // This document's room was just created (or a reconnect may have missed it): open it now.
        if (documentId !== null && conversation.documentId === documentId) open();
      } else if (type === STREAM_READY) open();
    });
    return () => {
      alive = false;
      unsubscribe();
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

  const create = useCallback(async () => {
    try {
      const conversation = await api.createConversation();
      dispatch({ type: 'upsertConversation', conversation });
      dispatch({ type: 'page', id: conversation.id, messages: [], hasMore: false, older: false });
      dispatch({ type: 'select', id: conversation.id });
    } catch (error) {
      dispatch({ type: 'error', error: (error as Error).message });
    }
  }, [api]);

  /** Sends (or re-sends, with the same clientMessageId) a message, showing it at once as pending. */
  const send = useCallback(
    async (conversationId: string, text: string, clientMessageId: string = newClientMessageId()) => {
      dispatch({
        type: 'message',
        message: {
          id: `pending:${clientMessageId}`,
          conversationId,
          author: { type: 'user', id: me.id, name: me.name },
          text,
          clientMessageId,
          createdAt: new Date().toISOString(),
          status: 'pending',
        },
      });
      try {
        const message = await api.postMessage(conversationId, text, clientMessageId);
        dispatch({ type: 'message', message: { ...message, status: 'sent' } });
      } catch (error) {
        const code = codeOf(error);
        dispatch({ type: 'failed', conversationId, clientMessageId, code });
        // The grant went down to viewer meanwhile: the room becomes read-only.
        if (code === 'read_only') dispatch({ type: 'room', room: { access: 'viewer' } });
      }
    },
    [api, me],
  );

  const deselect = useCallback(() => dispatch({ type: 'select', id: null }), []);

  return { state, select, deselect, loadOlder, create, send, clearError: () => dispatch({ type: 'error', error: null }) };
}
