/**
 * The inbox: the conversations of a view (Unassigned, Mine, Open, Snoozed, Resolved, All, each counted) or
 * of a search, a page at a time, and the open one's thread (Thread.tsx) beside them. Live events keep the
 * list, the thread and, a moment after a burst of them, the counts current. Below 768 px the list and the
 * open conversation are two screens (admin.css): the route says which one shows, and a Back link leads from
 * the conversation to the list, with focus following. A conversation its AI assistant answers is tagged
 * "AI" in the list, and says so while the assistant writes.
 */
import { useEffect, useReducer, useRef, useState } from 'preact/hooks';
import type { InboxView } from '#shared/admin-api.js';
import type { AssistantReplyEvent, Conversation, ConversationReadEvent, Message, MessageDeltaEvent, TypingEvent, User } from '#shared/api.js';
import { EVENT } from '#shared/constants.js';
import type { AdminApi, AdminUser, InboxConversation, InboxQuery } from './api.js';
import { twoScreens, UNTITLED, who } from './ConversationTitle.js';
import { errorText } from './errors.js';
import { initialInbox, inboxReducer, type Listing } from './inbox-state.js';
import { InboxSearch, InboxViews } from './InboxViews.js';
import { useLive, type LiveStatus } from './live.js';
import { useTyping } from './Messages.js';
import { href, VIEW_LABELS } from './route.js';
import { ThreadPane } from './Thread.js';
import { Alert, LoadMore, Loading, Time } from './ui.js';

const LIVE_TEXT: Record<LiveStatus, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Connection lost. Reconnecting…',
  closed: 'Live updates stopped. Reload the page to resume them.',
  unsupported: 'Live updates are not available in this browser.',
};

/** How long after a live change the list and counts are asked for again (a burst of events asks once). */
export const REFRESH_DELAY_MS = 500;
export const DEFAULT_VIEW: InboxView = 'open';

/** A list entry's last message as read there: deleted ones and notes say so. */
const preview = (m: Message) => (m.deletedAt ? 'Message deleted' : `${m.internal ? 'Internal note: ' : ''}${m.text.slice(0, 80)}`);

const VIEW_QUERY: Record<InboxView, InboxQuery> = {
  unassigned: { status: 'open', assignee: 'none' },
  mine: { status: 'open', assignee: 'me' },
  open: { status: 'open' },
  snoozed: { status: 'snoozed' },
  resolved: { status: 'resolved' },
  all: { status: 'all' },
};
/** A search looks through every conversation, whatever its view. */
const queryOf = (listing: Listing): InboxQuery => (listing.q === null ? VIEW_QUERY[listing.view] : { status: 'all', q: listing.q });

/** How many pages of accounts the assignee picker reads at most (GET /users has no role filter). */
const ADMIN_PAGES = 5;
/** How many pages of every view are looked through for a conversation opened from outside the list. */
const FIND_PAGES = 3;

/** The organization's active owners and admins, for the assignee picker. */
function useAdmins(api: AdminApi): AdminUser[] {
  const [admins, setAdmins] = useState<AdminUser[]>([]);
  useEffect(() => {
    let current = true;
    (async () => {
      const found: AdminUser[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < ADMIN_PAGES; page++) {
        const users = await api.users({ limit: 100, ...(cursor ? { cursor } : {}) });
        found.push(...users.users.filter((u) => u.active && (u.role === 'owner' || u.role === 'admin')));
        if (!users.nextCursor) break;
        cursor = users.nextCursor;
      }
      if (current) setAdmins(found);
    })().catch(() => undefined); // the picker still offers Unassigned and Me
    return () => {
      current = false;
    };
  }, [api]);
  return admins;
}

export function InboxPage({ api, me, openId, view = DEFAULT_VIEW }: { api: AdminApi; me: User; openId: string | null; view?: InboxView | null }) {
  const current = view ?? DEFAULT_VIEW;
  const [q, setQ] = useState('');
  // Choosing a view ends a search.
  useEffect(() => setQ(''), [current]);
  const listing: Listing = q === '' ? { view: current, q: null } : { view: current, q };
  const [state, dispatch] = useReducer(inboxReducer, { meId: me.id, listing }, initialInbox);
  const [error, setError] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const admins = useAdmins(api);
  const typing = useTyping();
  const rootRef = useRef<HTMLDivElement>(null);
  // On two screens, the link or Back that was used goes away with its screen: focus moves to where the admin
  // went (the conversation's heading, or back to its entry in the list) instead of being lost.
  const focusNext = useRef<{ to: 'thread' } | { to: 'list'; id: string } | null>(null);
  const shownId = useRef<string | null>(null);
  useEffect(() => {
    if (openId !== shownId.current && twoScreens()) focusNext.current = openId ? { to: 'thread' } : shownId.current ? { to: 'list', id: shownId.current } : null;
    shownId.current = openId;
  }, [openId]);
  useEffect(() => {
    const intent = focusNext.current;
    const root = rootRef.current;
    if (!intent || !root) return;
    const target =
      intent.to === 'thread' ? root.querySelector<HTMLElement>('.thread h2') : root.querySelector<HTMLElement>(`[data-conversation-id="${CSS.escape(intent.id)}"]`);
    if (target) {
      target.focus();
      focusNext.current = null;
    }
  });

  const listingRef = useRef(listing);
  listingRef.current = listing;
  const loadPage = (cursor?: string) => {
    const asked = listingRef.current;
    setLoadingMore(cursor !== undefined);
    return api.conversations({ ...queryOf(asked), ...(cursor ? { cursor } : {}) }).then(
      (page) => {
        setError(null);
        dispatch({ type: 'page', page, append: cursor !== undefined, listing: asked });
      },
      (e: unknown) => setError(errorText(e)),
    ).finally(() => setLoadingMore(false));
  };

  // A burst of live changes asks for the first page (and the counts) once, a moment after the last.
  const refreshTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const refreshSoon = () => {
    clearTimeout(refreshTimer.current);
    refreshTimer.current = setTimeout(() => void loadPage(), REFRESH_DELAY_MS);
  };
  useEffect(() => () => clearTimeout(refreshTimer.current), []);

  const live = useLive(
    (type, data) => {
      switch (type) {
        case EVENT.messageCreated: {
          const { message } = data as { message: Message };
          dispatch({ type: 'message', message });
          if (message.author.id) typing.stop(message.author.id);
          break;
        }
        case EVENT.messageUpdated:
        case EVENT.messageDeleted:
          dispatch({ type: 'changed', message: (data as { message: Message }).message });
          break;
        case EVENT.conversationCreated:
          dispatch({ type: 'conversation', conversation: (data as { conversation: InboxConversation }).conversation });
          break;
        case EVENT.conversationUpdated:
          dispatch({ type: 'updated', conversation: (data as { conversation: Conversation }).conversation });
          break;
        case EVENT.conversationRead: {
          const read = data as ConversationReadEvent;
          dispatch({ type: 'read', conversationId: read.conversationId, userId: read.userId, messageId: read.messageId });
          return;
        }
        case EVENT.typing: {
          const event = data as TypingEvent;
          // The users' typing; another administrator typing is not shown.
          if (!event.agent && event.userId !== me.id) typing.start(event);
          return;
        }
        // The assistant's reply as it streams: for the moment only, nothing for the list to ask again.
        case EVENT.assistantReplying: {
          const event = data as AssistantReplyEvent;
          dispatch({ type: 'replying', conversationId: event.conversationId, replyId: event.replyId });
          return;
        }
        case EVENT.messageDelta:
          dispatch({ type: 'delta', event: data as MessageDeltaEvent });
          return;
        case EVENT.assistantEnded: {
          const event = data as AssistantReplyEvent;
          dispatch({ type: 'replyEnded', conversationId: event.conversationId, replyId: event.replyId });
          return;
        }
        case EVENT.resync:
          // What the stream missed has left the server's log: the open thread is read again, and the list below.
          if (openId) {
            const id = openId;
            api.messages(id, {}).then((page) => dispatch({ type: 'thread', id, messages: page.messages, hasMore: page.hasMore, older: false }), () => undefined);
          }
          break;
      }
      refreshSoon();
    },
    // A stream refused for good usually means the session ended; asking who we are lets the panel say so.
    () => void api.me().catch(() => {}),
  );
  // Pieces of a reply sent while the stream was down are lost: what streams waits for its stored message.
  useEffect(() => {
    if (live === 'reconnecting' || live === 'closed') dispatch({ type: 'interrupted' });
  }, [live]);

  useEffect(() => {
    dispatch({ type: 'listing', listing });
    void loadPage();
  }, [listing.view, listing.q]);
  useEffect(() => {
    if (state.stale) void loadPage();
  }, [state.stale]);

  // A conversation opened from elsewhere (the customer's other conversations, a link) may belong to another
  // view: it is looked for among the newest of every view, so its header still has its controls.
  const missing = openId !== null && state.loaded && state.thread?.id === openId && !state.thread.conversation;
  useEffect(() => {
    if (!missing || !openId) return;
    let current = true;
    (async () => {
      let cursor: string | undefined;
      for (let page = 0; page < FIND_PAGES && current; page++) {
        const found = await api.conversations({ status: 'all', limit: 100, ...(cursor ? { cursor } : {}) });
        const conversation = found.conversations.find((c) => c.id === openId);
        if (conversation) return void (current && dispatch({ type: 'found', conversation }));
        if (!found.nextCursor) return;
        cursor = found.nextCursor;
      }
    })().catch(() => undefined); // the thread still shows, without the header's controls
    return () => {
      current = false;
    };
  }, [missing, openId]);

  const open = state.thread?.id === openId ? state.thread.conversation : null;
  const searching = listing.q !== null;
  return (
    <div class={`chat inbox ${openId ? 'showing-thread' : 'showing-list'}`} ref={rootRef}>
      <InboxViews view={current} counts={state.counts} openId={null} />
      <nav class="sidebar" aria-label="Conversations">
        <p role="status" class={`live ${live}`}>
          {LIVE_TEXT[live]}
        </p>
        <InboxSearch key={current} onSearch={setQ} />
        <h2 class="list-heading">{searching ? `Results for “${listing.q}”` : VIEW_LABELS[current]}</h2>
        {!state.loaded && <Loading error={error} />}
        {state.loaded && state.conversations.length === 0 && <p class="empty">{searching ? 'No conversation matches.' : 'No conversations here.'}</p>}
        <ul class="conversations">
          {state.conversations.map((c) => (
            <li key={c.id}>
              <a href={href('inbox', c.id, view)} class={c.id === openId ? 'active' : ''} aria-current={c.id === openId ? 'page' : undefined} data-conversation-id={c.id}>
                <span class="title">
                  {who(c)}
                  {c.unanswered && ' '}
                  {c.unanswered && <span class="badge unanswered">Unanswered</span>}
                  {c.assistant?.active && ' '}
                  {c.assistant?.active && (
                    <span class="badge ai" title={`Answered by the AI assistant ${c.assistant.name}`}>
                      AI
                    </span>
                  )}
                </span>
                {c.participants.length > 0 && <span class="subject">{c.title ?? UNTITLED}</span>}
                {(c.status !== 'open' || c.assigneeId) && (
                  <span class="tags">
                    {c.status !== 'open' && <span class={`badge status ${c.status}`}>{c.status === 'snoozed' ? 'Snoozed' : 'Resolved'}</span>}
                    {c.assigneeId && <span class="assignee">{c.assigneeId === me.id ? 'Assigned to you' : `Assigned to ${admins.find((a) => a.id === c.assigneeId)?.name ?? 'another administrator'}`}</span>}
                  </span>
                )}
                {c.lastMessage && <span class="preview">{preview(c.lastMessage)}</span>}
                {[...typing.typing.values()].some((t) => t.conversationId === c.id) && <span class="list-typing">typing…</span>}
                {state.replies.has(c.id) && <span class="list-typing">{c.assistant?.name ?? 'The assistant'} is writing…</span>}
                <Time iso={c.lastMessageAt ?? c.createdAt} />
              </a>
            </li>
          ))}
        </ul>
        {state.loaded && <Alert text={error} />}
        <LoadMore cursor={state.nextCursor} busy={loadingMore} onLoad={(cursor) => void loadPage(cursor)} />
      </nav>
      <ThreadPane api={api} me={me} openId={openId} view={view ?? null} conversation={open} thread={state.thread} dispatch={dispatch} admins={admins} typing={typing.typing} reply={openId ? state.replies.get(openId) : undefined} />
    </div>
  );
}
