/**
 * The chat UI. In the compact layout (the widget) with nothing open it is a home: the team, a greeting, a
 * composer whose first message creates a conversation, and the user's conversations; the wide layout (the
 * hosted page) keeps a sidebar and a thread, and its "New conversation" shows a composer in the thread. No
 * conversation is ever created empty. A thread shows its messages (older ones paged in when scrolled to the
 * top, or with the "Load older messages" button), "Seen" under my last message once another participant has
 * read it, who else is typing, and the composer; my own messages may be edited or deleted for a while
 * (message.tsx). The home and a thread's head say whether the team is online. Screen readers hear only what
 * others write live, through a hidden live region: never the history shown on opening or paged in. Stateless about the server: everything comes from
 * `useChat`. With a `documentId` it shows that document's room alone: no list, and for a viewer a notice
 * instead of the composer.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Attachment, User } from '../../../shared/src/api.js';
import { MESSAGE_MAX_CHARS } from '../../../shared/src/constants.js';
import type { ApiClient } from '../api/client.js';
import { ConversationList } from './conversation-list.js';
import { authorName, isMine } from './format.js';
import { Home, Presence, type HomeInfo } from './home.js';
import { MessageItem } from './message.js';
import { Markdown } from './markdown.js';
import { AttachButton, useAttach, type AttachState } from './attach.js';
import type { Strings } from './strings.js';
import { DRAFT, useChat, type LiveSource } from './use-chat.js';
import { useThreadScroll } from './use-scroll.js';

/**
 * `onType`: told at every keystroke that leaves text in the field (the caller throttles what it sends).
 * With `files` (a conversation that exists, and an API that uploads), files can be attached: with the
 * button, or dropped on or pasted into the composer; the message waits for their uploads.
 */
function Composer({ t, onSend, onType, files }: { t: Strings; onSend: (text: string, attachments: Attachment[]) => void; onType?: () => void; files?: AttachState }) {
  const [text, setText] = useState('');
  const tooLong = [...text].length > MESSAGE_MAX_CHARS;
  const attached = files?.ready ?? [];
  const empty = text.trim() === '' && attached.length === 0;
  const submit = () => {
    if (empty || tooLong || files?.busy) return;
    onSend(text, attached);
    setText('');
    files?.clear();
  };
  const take = (list: FileList | null | undefined, e: Event) => {
    if (!files || !list?.length) return;
    e.preventDefault();
    files.add(list);
  };
  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
      onDragOver={(e) => files && e.preventDefault()}
      onDrop={(e) => take(e.dataTransfer?.files, e)}
    >
      {files && <ul class="tray" ref={files.host} />}
      <textarea
        aria-label={t.composerLabel}
        placeholder={t.composerPlaceholder}
        title={t.composerHint}
        value={text}
        rows={2}
        onInput={(e) => {
          const value = (e.currentTarget as HTMLTextAreaElement).value;
          setText(value);
          if (value.trim()) onType?.();
        }}
        onPaste={(e) => take(e.clipboardData?.files, e)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            submit();
          }
        }}
      />
      {files && <AttachButton state={files} t={t} />}
      {tooLong && <div class="hint" role="alert">{t.tooLong}</div>}
      <button type="submit" disabled={empty || tooLong || files?.busy}>
        {t.send}
      </button>
    </form>
  );
}

/** The composer of an existing conversation: its files go there. */
function ThreadComposer({ api, conversationId, t, lang, onSend, onType }: { api: ApiClient; conversationId: string; t: Strings; lang: string | undefined; onSend: (text: string, attachments: Attachment[]) => void; onType: () => void }) {
  const files = useAttach(api, conversationId, lang);
  // A draft (a conversation its first message will create) has nowhere to upload to yet.
  return <Composer t={t} onSend={onSend} onType={onType} {...(api.upload && !conversationId.startsWith(DRAFT) ? { files } : {})} />;
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
  /**
   * Whether the view is shown (default true; the widget keeps it mounted while its panel is hidden): only a
   * shown conversation is marked read, and a thread shown again is scrolled back to where it was.
   */
  visible?: boolean;
  /** What the compact layout's home says about the team (the chat's defaults for what is missing). */
  home?: HomeInfo;
  /** Opened once the list has loaded, if it is one of the user's conversations (the hosted page's `?conversation=`). */
  openId?: string | null;
}

export function ChatView({ api, me, live, t, lang, compact = false, documentId = null, onRoomError, visible = true, home, openId }: ChatViewProps) {
  const { state, online, select, deselect, loadOlder, start, send, edit, remove, typing, handoff, stopReply } = useChat(api, me, live, documentId, visible);
  const team = home?.teamName ?? null;
  // The wide layout's "New conversation": a composer in the thread until its first message is sent.
  const [drafting, setDrafting] = useState(false);
  const room = state.room;
  const readOnly = room?.access === 'viewer';
  const roomError = room?.status === 'error' ? room.code : null;
  useEffect(() => {
    if (roomError) onRoomError?.(roomError);
  }, [roomError]);
  const listRef = useRef<HTMLOListElement>(null);
  const rootRef = useRef<HTMLDivElement>(null);
  // Views replace each other (home and thread, draft and thread), taking the focused control with them: focus
  // goes to the composer of where the user went. At first, only focus waiting on what holds the view (the
  // widget's panel, opened before the chat arrived) moves in: focus on the host page stays there.
  // An intent waits for the view it names (the old view's composer may still be there for a render).
  const focusNext = useRef<((view: string) => boolean) | 'mount' | null>('mount');
  useEffect(() => {
    const root = rootRef.current;
    const intent = focusNext.current;
    if (!root || !intent || !visible) return;
    if (typeof intent === 'function' && !intent(view)) return;
    if (intent === 'mount') {
      focusNext.current = null;
      const active = (root.getRootNode() as Document | ShadowRoot).activeElement;
      if (!active || active === document.body || !active.contains(root)) return;
    }
    const target = root.querySelector<HTMLElement>('.composer textarea');
    if (target) {
      target.focus();
      focusNext.current = null;
    }
  });
  const openConversation = (id: string) => {
    if (compact) focusNext.current = (v) => v === `c:${id}`;
    setDrafting(false);
    select(id);
  };
  const begin = (text: string) => {
    focusNext.current = (v) => v.startsWith('c:');
    setDrafting(false);
    start(text);
  };
  const newConversation = () => {
    focusNext.current = (v) => v === 'draft';
    setDrafting(true);
    deselect();
  };
  const back = () => {
    focusNext.current = (v) => v === 'home';
    deselect();
  };
  useEffect(() => {
    if (openId && state.loaded && state.conversations.some((c) => c.id === openId)) openConversation(openId);
  }, [state.loaded]);
  const selected = state.conversations.find((c) => c.id === state.selectedId) ?? null;
  /** Which view shows: a conversation, the draft (wide layout), or the home. */
  const view = selected ? `c:${selected.id}` : drafting ? 'draft' : 'home';
  const thread = state.selectedId ? state.threads[state.selectedId] : undefined;
  const items = thread?.items ?? [];
  const scroll = useThreadScroll(listRef, selected && thread ? selected.id : null, items, visible);
  // "Seen" goes under my last sent message (a deleted one says nothing) once another participant's marker is
  // at it or after it.
  const mineAt = items.findLastIndex((m) => m.status === 'sent' && isMine(m, me) && !m.deletedAt);
  const seenAt = selected ? items.findIndex((m) => m.id === state.seen[selected.id]) : -1;
  const H = compact ? 'h3' : 'h2';
  const typer = selected ? state.typing[selected.id] : undefined;
  const reply = selected ? state.replies[selected.id] : undefined;
  const title = selected ? (selected.title ?? (room ? documentId : t.newConversation)) : null;

  const loadMore = () => {
    const first = items.find((m) => m.status === 'sent');
    if (thread?.hasMore && !thread.loadingOlder && first && state.selectedId) loadOlder(state.selectedId, first.id);
  };
  const onScroll = () => {
    scroll.onScroll();
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

  const list = (
    <>
      {state.loaded && state.conversations.length === 0 && <p class="empty">{t.noConversations}</p>}
      <ConversationList conversations={state.conversations} selectedId={state.selectedId} me={me} t={t} lang={lang} team={team} onOpen={openConversation} />
    </>
  );

  return (
    <div class={compact || room ? 'chat compact' : 'chat'} ref={rootRef} data-room={room?.status} data-access={room?.access ?? undefined}>
      <div class="sr-only announcer" aria-live="polite">
        {state.heard.map((m) => (
          <p key={m.id}>
            {authorName(m, me, t, team)}: {m.text}
          </p>
        ))}
      </div>
      {compact && !room && !selected && (
        <div class="home">
          <Home home={home} t={t} online={online} />
          {state.error && <div class="banner" role="alert">{state.error}</div>}
          <Composer t={t} onSend={begin} />
          {list}
        </div>
      )}
      {!compact && !room && (
        <nav class="sidebar" aria-label={t.conversations}>
          <button type="button" class="new" onClick={newConversation}>
            {t.newConversation}
          </button>
          {list}
        </nav>
      )}
      {(room || selected || !compact) && (
        <section class="thread" aria-label={title ?? (drafting ? t.newConversation : t.conversations)}>
          {state.error && <div class="banner" role="alert">{state.error}</div>}
          {!room && !selected && !drafting && <p class="placeholder">{t.pickConversation}</p>}
          {!room && !selected && drafting && (
            <>
              <div class="head">
                <H>{t.newConversation}</H>
              </div>
              <p class="placeholder">{t.emptyConversation}</p>
              <Composer t={t} onSend={begin} />
            </>
          )}
          {room?.status === 'loading' && <p class="placeholder" role="status">{t.loading}</p>}
          {room?.status === 'waiting' && <p class="placeholder" role="status">{t.documentEmpty}</p>}
          {roomError && (
            <p class="placeholder banner" role="alert" data-code={roomError}>
              {roomError === 'document_not_found' ? t.documentNotFound : t.errorGeneric}
            </p>
          )}
          {selected && (
            <>
              <div class="head">
                {compact && !room && (
                  <button type="button" class="back" aria-label={t.back} onClick={back}>
                    ‹
                  </button>
                )}
                <div class="name">
                  <H dir="auto">{title}</H>
                  {!room && <Presence online={online} away={home?.awayText || t.awayText} t={t} />}
                </div>
              </div>
              <div class="pane">
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
                  {thread && items.length === 0 && <li class="empty">{readOnly ? t.documentEmpty : t.emptyConversation}</li>}
                  {items.map((m, i) => (
                    <MessageItem
                      key={m.clientMessageId ? `${m.author.id}:${m.clientMessageId}` : m.id}
                      message={m}
                      me={me}
                      t={t}
                      lang={lang}
                      seen={i === mineAt && seenAt >= i}
                      team={team}
                      own={readOnly ? null : { edit, remove }}
                      onRetry={() => send(m.conversationId, m.text, m.clientMessageId ?? undefined, m.attachments)}
                      fileUrl={api.fileUrl ?? ((a) => a.url)}
                    />
                  ))}
                  {reply && (
                    <li class="msg theirs streaming" aria-busy="true" data-reply-id={reply.replyId}>
                      <div class="meta">
                        <span class="author">{selected.assistant?.name ?? t.authors.assistant}</span>{' '}
                        <button type="button" class="stop" onClick={() => stopReply(selected.id)}>
                          {t.stop}
                        </button>
                      </div>
                      <div class="text" dir="auto">
                        {reply.text ? <Markdown text={reply.text} /> : '…'}
                      </div>
                    </li>
                  )}
                </ol>
                {scroll.below && (
                  <button type="button" class="jump" onClick={scroll.jump}>
                    {t.newMessages}
                  </button>
                )}
              </div>
              {typer && (
                <p class="typer" role="status">
                  {t.typing(typer.name ?? (typer.agent ? team || t.support : t.authors.user))}
                </p>
              )}
              {selected.assistant?.active && !readOnly && (
                <button type="button" class="handoff" onClick={() => void handoff(selected.id)}>
                  {t.talkToPerson}
                </button>
              )}
              {readOnly ? (
                <p class="readonly" role="note">
                  {t.readOnly}
                </p>
              ) : (
                <ThreadComposer api={api} conversationId={selected.id} t={t} lang={lang} onSend={(text, files) => send(selected.id, text, undefined, files)} onType={() => typing(selected.id)} />
              )}
            </>
          )}
        </section>
      )}
    </div>
  );
}
