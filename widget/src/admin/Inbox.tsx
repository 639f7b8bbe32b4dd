/**
 * The inbox: every conversation of the organization (newest activity first, unanswered ones marked) and the
 * open one's messages with a composer and its title, which the admin can rename; the admin's answer reaches
 * the user live, and the users' messages reach the admin live. Below 768 px the list and the open
 * conversation are two screens (admin.css): the route says which one shows, and a Back link leads from the
 * conversation to the list, with focus following.
 */
import { useEffect, useReducer, useRef, useState } from 'preact/hooks';
import type { Conversation, Message, User } from '../../../shared/src/api.js';
import { EVENT, MESSAGE_MAX_CHARS } from '../../../shared/src/constants.js';
import { newClientMessageId } from '../api/client.js';
import { Markdown } from '../chat/markdown.js';
import type { AdminApi, InboxConversation } from './api.js';
import { ConversationTitle, UNTITLED } from './ConversationTitle.js';
import { errorText } from './errors.js';
import { initialInbox, inboxReducer } from './inbox-state.js';
import { useLive, type LiveStatus } from './live.js';
import { href } from './route.js';
import { Alert, LoadMore, Loading, Notice, Time, type Note } from './ui.js';

const LIVE_TEXT: Record<LiveStatus, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Connection lost. Reconnecting…',
  closed: 'Live updates stopped. Reload the page to resume them.',
  unsupported: 'Live updates are not available in this browser.',
};

/** Who wrote in a conversation; its title when no one has yet. */
const who = (c: InboxConversation) => c.participants.map((p) => p.name ?? 'Unnamed user').join(', ') || c.title || UNTITLED;

/** Whether the inbox shows the list and the conversation as two screens (the width admin.css switches at). */
const twoScreens = () => typeof matchMedia === 'function' && matchMedia('(max-width: 767.98px)').matches;

function Composer({ onSend }: { onSend: (text: string, clientMessageId: string) => Promise<boolean> }) {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  // Kept across a failed send so a retry of the same text is recognised by the server; new text, new id.
  const clientMessageId = useRef<string | null>(null);
  const tooLong = [...text].length > MESSAGE_MAX_CHARS;
  const submit = async () => {
    if (busy || tooLong || text.trim() === '') return;
    setBusy(true);
    clientMessageId.current ??= newClientMessageId();
    if (await onSend(text, clientMessageId.current)) {
      setText('');
      clientMessageId.current = null;
    }
    setBusy(false);
  };
  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <textarea
        aria-label="Reply"
        placeholder="Write a reply… (Enter sends, Shift+Enter for a new line)"
        rows={2}
        value={text}
        onInput={(e) => {
          setText((e.currentTarget as HTMLTextAreaElement).value);
          clientMessageId.current = null;
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            void submit();
          }
        }}
      />
      {tooLong && (
        <div class="hint" role="alert">
          A message may have at most 10,000 characters.
        </div>
      )}
      <button type="submit" disabled={busy || tooLong || text.trim() === ''}>
        Send
      </button>
    </form>
  );
}

function MessageItem({ message, me }: { message: Message; me: User }) {
  const { author } = message;
  const mine = author.type === 'user' && author.id === me.id;
  const name = mine ? 'You' : (author.name ?? (author.type !== 'user' ? author.type : author.id === null ? 'Deleted user' : 'Unnamed user'));
  return (
    <li class={`msg ${mine ? 'mine' : 'theirs'}`} data-message-id={message.id}>
      <div class="meta">
        <span class="author">{name}</span> <Time iso={message.createdAt} />
      </div>
      <Markdown text={message.text} />
    </li>
  );
}

export function InboxPage({ api, me, openId }: { api: AdminApi; me: User; openId: string | null }) {
  const [state, dispatch] = useReducer(inboxReducer, me.id, initialInbox);
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState<Note>(null);
  const listRef = useRef<HTMLOListElement>(null);
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

  const loadPage = (cursor?: string) =>
    api.conversations(cursor ? { cursor } : {}).then(
      (page) => dispatch({ type: 'page', page, append: cursor !== undefined }),
      (e: unknown) => setError(errorText(e)),
    );
  const live = useLive(
    (type, data) => {
      if (type === EVENT.messageCreated) dispatch({ type: 'message', message: (data as { message: Message }).message });
      else if (type === EVENT.conversationCreated) dispatch({ type: 'conversation', conversation: (data as { conversation: InboxConversation }).conversation });
      else if (type === EVENT.conversationUpdated) dispatch({ type: 'updated', conversation: (data as { conversation: Conversation }).conversation });
    },
    // A stream refused for good usually means the session ended; asking who we are lets the panel say so.
    () => void api.me().catch(() => {}),
  );

  useEffect(() => void loadPage(), [api]);
  useEffect(() => {
    if (state.stale) void loadPage();
  }, [state.stale]);

  useEffect(() => {
    dispatch({ type: 'open', id: openId });
    setNote(null);
    if (!openId) return;
    api.messages(openId, {}).then(
      (page) => dispatch({ type: 'thread', id: openId, messages: page.messages, hasMore: page.hasMore, older: false }),
      (e: unknown) => setNote({ ok: false, text: errorText(e) }),
    );
  }, [api, openId]);

  const thread = state.thread;
  const lastId = thread?.messages[thread.messages.length - 1]?.id;
  // Keep the newest message in view when one arrives.
  useEffect(() => {
    const el = listRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [lastId]);

  const loadOlder = (id: string, before: string) =>
    api.messages(id, { before }).then(
      (page) => dispatch({ type: 'thread', id, messages: page.messages, hasMore: page.hasMore, older: true }),
      (e: unknown) => setNote({ ok: false, text: errorText(e) }),
    );
  const send = async (id: string, text: string, clientMessageId: string) => {
    setNote(null);
    try {
      dispatch({ type: 'message', message: await api.reply(id, text, clientMessageId) });
      return true;
    } catch (e) {
      setNote({ ok: false, text: errorText(e) });
      return false;
    }
  };

  const rename = async (id: string, title: string) => {
    dispatch({ type: 'updated', conversation: await api.renameConversation(id, title) });
  };

  const open = state.conversations.find((c) => c.id === openId);
  return (
    <div class={`chat inbox ${openId ? 'showing-thread' : 'showing-list'}`} ref={rootRef}>
      <nav class="sidebar" aria-label="Conversations">
        <p role="status" class={`live ${live}`}>
          {LIVE_TEXT[live]}
        </p>
        {!state.loaded && <Loading error={error} />}
        {state.loaded && state.conversations.length === 0 && <p class="empty">No conversations yet.</p>}
        <ul class="conversations">
          {state.conversations.map((c) => (
            <li key={c.id}>
              <a href={href('inbox', c.id)} class={c.id === openId ? 'active' : ''} aria-current={c.id === openId ? 'page' : undefined} data-conversation-id={c.id}>
                <span class="title">
                  {who(c)}
                  {c.unanswered && ' '}
                  {c.unanswered && <span class="badge unanswered">Unanswered</span>}
                </span>
                {c.participants.length > 0 && <span class="subject">{c.title ?? UNTITLED}</span>}
                {c.lastMessage && <span class="preview">{c.lastMessage.text.slice(0, 80)}</span>}
                <Time iso={c.lastMessageAt ?? c.createdAt} />
              </a>
            </li>
          ))}
        </ul>
        {state.loaded && <Alert text={error} />}
        <LoadMore cursor={state.nextCursor} onLoad={(cursor) => void loadPage(cursor)} />
      </nav>
      <section class="thread" aria-label={open ? who(open) : 'Conversation'}>
        {!openId || !thread ? (
          <p class="placeholder">Pick a conversation to read and answer it.</p>
        ) : (
          <>
            <div class="thread-head">
              <a class="back" href={href('inbox')} aria-label="Back to conversations">
                <span aria-hidden="true">‹</span>
              </a>
              <div class="heading">
                <h2 tabIndex={-1}>{open ? who(open) : 'Conversation'}</h2>
                {open && <ConversationTitle key={open.id} title={open.title} showTitle={open.participants.length > 0} onRename={(title) => rename(open.id, title)} />}
              </div>
            </div>
            <ol class="messages" ref={listRef} aria-live="polite" aria-relevant="additions">
              {thread.hasMore && thread.messages[0] && (
                <li class="older">
                  <button type="button" onClick={() => void loadOlder(thread.id, thread.messages[0]!.id)}>
                    Load older
                  </button>
                </li>
              )}
              {!thread.loaded && <li class="loading">Loading…</li>}
              {thread.loaded && thread.messages.length === 0 && <li class="empty">No messages yet.</li>}
              {thread.messages.map((m) => (
                <MessageItem key={m.id} message={m} me={me} />
              ))}
            </ol>
            <Notice note={note} />
            <Composer key={thread.id} onSend={(text, clientMessageId) => send(thread.id, text, clientMessageId)} />
          </>
        )}
      </section>
    </div>
  );
}
