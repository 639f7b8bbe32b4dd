/**
 * The chat UI: the conversation list, the open conversation's messages (older ones paged in when scrolled
 * to the top) and the composer. Stateless about the server: everything comes from `useChat`. With a
 * `documentId` it shows that document's room alone: no list, and for a viewer a notice instead of the composer.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { User } from '../../../shared/src/api.js';
import { MESSAGE_MAX_CHARS } from '../../../shared/src/constants.js';
import type { ApiClient } from '../api/client.js';
import { Markdown } from './markdown.js';
import type { Strings } from './strings.js';
import { useChat, type DisplayMessage, type LiveSource } from './use-chat.js';

function time(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

function MessageItem({ message, me, t, onRetry }: { message: DisplayMessage; me: User; t: Strings; onRetry: () => void }) {
  const mine = message.author.type === 'user' && message.author.id === me.id;
  const author = mine ? t.you : (message.author.name ?? (message.author.type === 'user' ? 'User' : message.author.type));
  return (
    <li class={`msg ${mine ? 'mine' : 'theirs'} ${message.status}`} data-status={message.status} data-message-id={message.id}>
      <div class="meta">
        <span class="author">{author}</span> <time dateTime={message.createdAt}>{time(message.createdAt)}</time>
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
  /** Narrow layout (the widget): the list or one conversation, with a way back. */
  compact?: boolean;
  /** Shows this document's room instead of the user's conversations (give the view a `key` per document). */
  documentId?: string | null;
  /** Told why a document room could not be opened (`document_not_found`, …). */
  onRoomError?: (code: string) => void;
}

export function ChatView({ api, me, live, t, compact = false, documentId = null, onRoomError }: ChatViewProps) {
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

  const onScroll = () => {
    const el = listRef.current;
    const first = thread?.items.find((m) => m.status === 'sent');
    if (el && el.scrollTop < 40 && thread?.hasMore && !thread.loadingOlder && first && state.selectedId) loadOlder(state.selectedId, first.id);
  };

  return (
    <div class={compact || room ? 'chat compact' : 'chat'} ref={rootRef} data-room={room?.status} data-access={room?.access ?? undefined}>
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
            <ol class="messages" ref={listRef} onScroll={onScroll} aria-live="polite" aria-relevant="additions">
              {thread?.loadingOlder && <li class="loading">{t.loadingOlder}</li>}
              {thread && thread.items.length === 0 && <li class="empty">{readOnly ? t.documentEmpty : t.emptyConversation}</li>}
              {thread?.items.map((m) => (
                <MessageItem key={m.clientMessageId ? `${m.author.id}:${m.clientMessageId}` : m.id} message={m} me={me} t={t} onRetry={() => send(m.conversationId, m.text, m.clientMessageId ?? undefined)} />
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
