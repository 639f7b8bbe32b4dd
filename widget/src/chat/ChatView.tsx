/**
 * The chat UI: the conversation list, the open conversation's messages (older ones paged in when scrolled
 * to the top, or with the "Load older messages" button) and the composer. Screen readers hear only what
 * others write live, through a hidden live region: never the history shown on opening or paged in.
 * Stateless about the server: everything comes from `useChat`. With a `documentId` it shows that document's
 * room alone: no list, and for a viewer a notice instead of the composer.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { User } from '../../../shared/src/api.js';
import { MESSAGE_MAX_CHARS } from '../../../shared/src/constants.js';
import type { ApiClient } from '../api/client.js';
import { Markdown } from './markdown.js';
import type { Strings } from './strings.js';
import { useChat, type DisplayMessage, type LiveSource } from './use-chat.js';

function time(iso: string, lang: string | undefined): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : date.toLocaleTimeString(lang ?? [], { hour: '2-digit', minute: '2-digit' });
}

const isMine = (message: DisplayMessage, me: User) => message.author.type === 'user' && message.author.id === me.id;
const authorName = (message: DisplayMessage, me: User, t: Strings) =>
  isMine(message, me) ? t.you : (message.author.name ?? t.authors[message.author.type] ?? message.author.type);

function MessageItem({ message, me, t, lang, onRetry }: { message: DisplayMessage; me: User; t: Strings; lang: string | undefined; onRetry: () => void }) {
  const mine = isMine(message, me);
  const author = authorName(message, me, t);
  return (
    <li class={`msg ${mine ? 'mine' : 'theirs'} ${message.status}`} data-status={message.status} data-message-id={message.id}>
      <div class="meta">
        <span class="author">{author}</span> <time dateTime={message.createdAt}>{time(message.createdAt, lang)}</time>
      </div>
      <Markdown text={message.text} />
      {message.status === 'pending' && <div class="state">{t.sending}</div>}
      {message.status === 'failed' && (
        <div class="state failed" role="alert" data-code={message.error}>
          {message.error === 'read_only' ? (
            t.readOnly
          ) : (
            <>
              {t.failed}{' '}
              <button type="button" class="retry" onClick={onRetry}>
                {t.retry}
              </button>
            </>
          )}
        </div>
      )}
    </li>
  );
}

function Composer({ t, onSend }: { t: Strings; onSend: (text: string) => void }) {
  const [text, setText] = useState('');
  const tooLong = [...text].length > MESSAGE_MAX_CHARS;
  const submit = () => {
    if (text.trim() === '' || tooLong) return;
    onSend(text);
    setText('');
  };
  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <textarea
        aria-label={t.composerLabel}
        placeholder={t.composerPlaceholder}
        value={text}
        rows={2}
        onInput={(e) => setText((e.currentTarget as HTMLTextAreaElement).value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            submit();
          }
        }}
      />
      {tooLong && <div class="hint" role="alert">{t.tooLong}</div>}
      <button type="submit" disabled={text.trim() === '' || tooLong}>
        {t.send}
      </button>
    </form>
  );
}

export interface ChatViewProps {
  api: ApiClient;
  me: User;
  live: LiveSource;
  t: Strings;
  /** The language of times (the browser's when not given). */
  lang?: string;
  /** Narrow layout (the widget): the list or one conversation, with a way back. */
  compact?: boolean;
  /** Shows this document's room instead of the user's conversations (give the view a `key` per document). */
  documentId?: string | null;
  /** Told why a document room could not be opened (`document_not_found`, …). */
  onRoomError?: (code: string) => void;
}

export function ChatView({ api, me, live, t, lang, compact = false, documentId = null, onRoomError }: ChatViewProps) {
  const { state, select, deselect, loadOlder, create, send } = useChat(api, me, live, documentId);
  const room = state.room;
  const readOnly = room?.access === 'viewer';
  const roomError = room?.status === 'error' ? room.code : null;
  useEffect(() => {
    if (roomError) onRoomError?.(roomError);
  }, [roomError]);
  const listRef = useRef<HTMLOListElement>(null);
  const rootRef = useRef<HTMLDivElement>(null);
  // In the compact layout the list and the thread replace each other, taking the focused button with them:
  // move focus to where the user went (the composer, or back to the list) instead of losing it.
  const focusNext = useRef<{ to: 'composer' } | { to: 'list'; id: string } | null>(null);
  useEffect(() => {
    const intent = focusNext.current;
    const root = rootRef.current;
    if (!intent || !root) return;
    const target =
      intent.to === 'composer'
        ? root.querySelector<HTMLElement>('.composer textarea')
        : (root.querySelector<HTMLElement>(`[data-conversation-id="${intent.id}"]`) ?? root.querySelector<HTMLElement>('.new'));
    if (target) {
      target.focus();
      focusNext.current = null;
    }
  });
  const openConversation = (id: string) => {
    if (compact) focusNext.current = { to: 'composer' };
    select(id);
  };
  const startConversation = () => {
    if (compact) focusNext.current = { to: 'composer' };
    void create();
  };
  const back = () => {
    if (state.selectedId) focusNext.current = { to: 'list', id: state.selectedId };
    deselect();
  };
  const selected = state.conversations.find((c) => c.id === state.selectedId) ?? null;
  const thread = state.selectedId ? state.threads[state.selectedId] : undefined;
  const lastId = thread?.items[thread.items.length - 1]?.id;

  // Keep the newest message in view when one arrives.
  useEffect(() => {
    const el = listRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [lastId, state.selectedId]);

  const loadMore = () => {
    const first = thread?.items.find((m) => m.status === 'sent');
    if (thread?.hasMore && !thread.loadingOlder && first && state.selectedId) loadOlder(state.selectedId, first.id);
  };
  const onScroll = () => {
    if (listRef.current && listRef.current.scrollTop < 40) loadMore();
  };
  // The button goes with the oldest page: focus it had stays in the list instead of falling to the page.
  const olderClicked = useRef(false);
  useEffect(() => {
    const el = listRef.current;
    if (!thread?.hasMore && olderClicked.current && el) {
      olderClicked.current = false;
      const active = (el.getRootNode() as Document | ShadowRoot).activeElement;
      if (!active || active === document.body) el.focus();
    }
  }, [thread?.hasMore]);

  return (
    <div class={compact || room ? 'chat compact' : 'chat'} ref={rootRef} data-room={room?.status} data-access={room?.access ?? undefined}>
      <div class="sr-only announcer" aria-live="polite">
        {state.heard.map((m) => (
          <p key={m.id}>
            {authorName(m, me, t)}: {m.text}
          </p>
        ))}
      </div>
      {!room && !(compact && selected) && (
      <nav class="sidebar" aria-label={t.conversations}>
        <button type="button" class="new" onClick={startConversation}>
          {t.newConversation}
        </button>
        {state.loaded && state.conversations.length === 0 && <p class="empty">{t.noConversations}</p>}
        <ul class="conversations">
          {state.conversations.map((c) => (
            <li key={c.id}>
              <button type="button" class={c.id === state.selectedId ? 'active' : ''} aria-current={c.id === state.selectedId ? 'true' : undefined} data-conversation-id={c.id} onClick={() => openConversation(c.id)}>
                <span class="title">{c.title}</span>
                {c.lastMessage && <span class="preview">{c.lastMessage.text.slice(0, 80)}</span>}
              </button>
            </li>
          ))}
        </ul>
      </nav>
      )}
      {(room || !(compact && !selected)) && (
      <section class="thread" aria-label={selected?.title ?? (room ? documentId ?? '' : t.conversations)}>
        {state.error && <div class="banner" role="alert">{state.error}</div>}
        {!room && !selected && <p class="placeholder">{t.pickConversation}</p>}
        {room?.status === 'loading' && <p class="placeholder" role="status">{t.loading}</p>}
        {room?.status === 'waiting' && <p class="placeholder" role="status">{t.documentEmpty}</p>}
        {roomError && (
          <p class="placeholder banner" role="alert" data-code={roomError}>
            {roomError === 'document_not_found' ? t.documentNotFound : t.errorGeneric}
          </p>
        )}
        {selected && (
          <>
            <h2>
              {compact && !room && (
                <button type="button" class="back" aria-label={t.back} onClick={back}>
                  ‹
                </button>
              )}
              {selected.title}
            </h2>
            <ol class="messages" ref={listRef} onScroll={onScroll} tabIndex={0}>
              {thread?.hasMore && (
                <li class="older">
                  <button
                    type="button"
                    aria-disabled={thread.loadingOlder}
                    onClick={() => {
                      olderClicked.current = true;
                      loadMore();
                    }}
                  >
                    {thread.loadingOlder ? t.loadingOlder : t.loadOlder}
                  </button>
                </li>
              )}
              {thread && thread.items.length === 0 && <li class="empty">{readOnly ? t.documentEmpty : t.emptyConversation}</li>}
              {thread?.items.map((m) => (
                <MessageItem key={m.clientMessageId ? `${m.author.id}:${m.clientMessageId}` : m.id} message={m} me={me} t={t} lang={lang} onRetry={() => send(m.conversationId, m.text, m.clientMessageId ?? undefined)} />
              ))}
            </ol>
            {readOnly ? (
              <p class="readonly" role="note">
                {t.readOnly}
              </p>
            ) : (
              <Composer t={t} onSend={(text) => send(selected.id, text)} />
            )}
          </>
        )}
      </section>
      )}
    </div>
  );
}
