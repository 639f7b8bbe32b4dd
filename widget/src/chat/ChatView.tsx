/**
 * The chat UI. In the compact layout (the widget) with nothing open it is a home: the team, a greeting, a
 * composer whose first message creates a conversation, and the user's conversations; the wide layout (the
 * hosted page) keeps a sidebar and a thread, and its "New conversation" shows a composer in the thread. No
 * conversation is ever created empty. An open conversation is thread.tsx's view, a module loaded right after
 * this one (thread-loader.ts). The home and a thread's head say whether the team is online. Screen readers hear only what
 * others write live, through a hidden live region: never the history shown on opening or paged in.
 * Stateless about the server: everything comes from `useChat`. With a `documentId` it shows that document's room alone: no list, and for a viewer a notice
 * instead of the composer.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { User } from '#shared/api.js';
import type { ApiClient } from '../api/client.js';
import { Composer } from './composer.js';
import { ConversationList } from './conversation-list.js';
import { authorName } from './format.js';
import { Home, type HomeInfo } from './home.js';
import { ThreadHead } from './thread-head.js';
import type { Strings } from './strings.js';
import type * as ThreadModule from './thread.js';
import { loadedThread, preloadThread } from './thread-loader.js';
import { useChat, type LiveSource } from './use-chat.js';
import type { ScrollMemory } from './use-scroll.js';

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
  /** How the open conversation's view is loaded (default `preloadThread`; tests give a loader that fails). */
  loadThread?: () => Promise<typeof ThreadModule>;
}

export function ChatView({ api, me, live, t, lang, compact = false, documentId = null, onRoomError, visible = true, home, openId, loadThread = preloadThread }: ChatViewProps) {
  const chat = useChat(api, me, live, documentId, visible);
  const { state, online, select, deselect, start } = chat;
  // The thread's view arrives a moment after the home view; until then an open conversation says "Loading…"
  // under its head (the way back included), and if it could not be loaded, says so with a button that tries
  // again, as opening a conversation or the panel again does.
  const [Thread, setThread] = useState(() => (loadThread === preloadThread ? (loadedThread()?.Thread ?? null) : null));
  const [threadFailed, setThreadFailed] = useState(false);
  // One request at a time; while one is out after a failure, Retry stays (focus with it) and says it is busy.
  const asking = useRef(false);
  const [retrying, setRetrying] = useState(false);
  const requestThread = () => {
    if (asking.current) return;
    asking.current = true;
    setRetrying(true);
    const settle = () => {
      asking.current = false;
      setRetrying(false);
    };
    loadThread().then(
      (m) => (settle(), setThread(() => m.Thread)),
      () => (settle(), setThreadFailed(true)),
    );
  };
  useEffect(() => {
    if (!Thread && visible) requestThread();
  }, [state.selectedId, visible]);
  const scrollMemory = useRef<ScrollMemory>(new Map()).current;
  const team = home?.teamName ?? null;
  // The wide layout's "New conversation": a composer in the thread until its first message is sent.
  const [drafting, setDrafting] = useState(false);
  const room = state.room;
  const readOnly = room?.access === 'viewer';
  const roomError = room?.status === 'error' ? room.code : null;
  useEffect(() => {
    if (roomError) onRoomError?.(roomError);
  }, [roomError]);
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
    } else if (typeof intent === 'function' && view.startsWith('c:') && !Thread) {
      // The conversation's view has not arrived: its way back holds focus meanwhile (the control that had it
      // is gone), and the intent waits for the composer.
      const active = (root.getRootNode() as Document | ShadowRoot).activeElement;
      if (!active || active === document.body) root.querySelector<HTMLElement>('.thread .head button.back, .thread button.retry')?.focus();
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
  const H = compact ? 'h3' : 'h2';
  const title = selected ? (selected.title ?? (room ? documentId : t.newConversation)) : null;

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
          {selected &&
            (Thread ? (
              <Thread
                chat={chat}
                conversation={selected}
                api={api}
                me={me}
                t={t}
                lang={lang}
                compact={compact}
                onBack={compact && !room ? back : null}
                title={title}
                readOnly={readOnly}
                room={!!room}
                visible={visible}
                team={team}
                awayText={home?.awayText || t.awayText}
                scrollMemory={scrollMemory}
              />
            ) : (
              <>
                <ThreadHead t={t} title={title} compact={compact} onBack={compact && !room ? back : null} />
                {threadFailed ? (
                  <div class="placeholder banner" key="failed">
                    <p role="alert">{t.errorGeneric}</p>
                    <button type="button" class="retry" aria-disabled={retrying} onClick={requestThread}>
                      {t.retry}
                    </button>
                  </div>
                ) : (
                  <p class="placeholder" role="status" key="loading">
                    {t.loading}
                  </p>
                )}
              </>
            ))}
        </section>
      )}
    </div>
  );
}
