/**
 * The embedded widget: a real `<button>` launcher with an unread badge and the chat panel, both inside the
 * widget's Shadow DOM. Focus moves into the panel on open and back to the launcher on close; Escape closes.
 * Every sign-in failure shows its own message in the user's language. With a document id (`data-document-id`
 * or `Parley.setDocument`) the panel shows that document's room instead of the conversation list.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Message, User } from '../../../shared/src/api.js';
import { EVENT } from '../../../shared/src/constants.js';
import { createApiClient } from '../api/client.js';
import { openEventStream } from '../api/event-stream.js';
import { ChatView } from '../chat/ChatView.js';
import { STREAM_READY, type LiveSource } from '../chat/use-chat.js';
import { errorMessage, type LocaleStrings } from '../i18n/locales.js';
import type { Emitter } from './js-api.js';
import type { Session, SessionState } from './session.js';

export interface WidgetProps {
  baseUrl: string;
  session: Session;
  emitter: Emitter;
  strings: LocaleStrings;
  dir: 'ltr' | 'rtl';
  lang: string;
  position: 'left' | 'right';
  theme: 'light' | 'dark' | 'auto';
  initiallyOpen: boolean;
  /** The document whose room the panel shows at first (null: the user's conversations). */
  documentId?: string | null;
  /** Receives the widget's commands. */
  bindControls: (controls: WidgetControls) => void;
  /** Overrides the idle timeout of the event stream (tests). */
  streamIdleTimeoutMs?: number;
}

export interface WidgetControls {
  open(): void;
  close(): void;
  toggle(): void;
  setDocument(documentId: string | null): void;
}

/** Fans one event stream out to the chat view, the unread counter and `Parley.on('message')`. */
function useLive(baseUrl: string, session: Session, token: string | null, idleTimeoutMs: number | undefined) {
  const subscribers = useRef(new Set<(type: string, data: unknown) => void>());
  const [connection, setConnection] = useState<'connecting' | 'live' | 'reconnecting'>('connecting');
  // Survives a new session: the next stream resumes where the last one stopped.
  const lastEventId = useRef<number | null>(null);
  useEffect(() => {
    if (!token) return;
    return openEventStream({
      url: `${baseUrl}/api/v1/events`,
      token: () => token,
      initialLastEventId: lastEventId.current,
      onLastEventId: (id) => (lastEventId.current = id),
      onEvent: (type, data) => subscribers.current.forEach((s) => s(type, data)),
      onState: (next) => {
        setConnection(next);
        // Subscribers hear of every (re)connect: what happened while the stream was down may need a look.
        if (next === 'live') subscribers.current.forEach((s) => s(STREAM_READY, null));
      },
      onUnauthorized: () => void session.sessionExpired(token),
      ...(idleTimeoutMs ? { idleTimeoutMs } : {}),
    });
  }, [baseUrl, session, token, idleTimeoutMs]);
  const live: LiveSource = useMemo(
    () => (onEvent) => {
      subscribers.current.add(onEvent);
      return () => subscribers.current.delete(onEvent);
    },
    [],
  );
  return { live, connection };
}

export function Widget(props: WidgetProps) {
  const { strings: t, session, emitter } = props;
  const [state, setState] = useState<SessionState>(session.state);
  const [open, setOpen] = useState(props.initiallyOpen);
  const [unread, setUnread] = useState(0);
  const [documentId, setDocumentId] = useState(props.documentId ?? null);
  const launcher = useRef<HTMLButtonElement>(null);
  const panel = useRef<HTMLDivElement>(null);
  const openRef = useRef(open);
  openRef.current = open;

  useEffect(() => {
    const unsubscribe = session.subscribe(setState);
    // The sign-in may have finished between the first render and this effect.
    setState(session.state);
    return unsubscribe;
  }, [session]);

  const token = state.status === 'signed-in' ? state.token : null;
  const me: User | null = state.status === 'signed-in' ? state.user : null;
  // While a session is being renewed for the same person, the chat stays on screen (draft, open conversation,
  // a message that failed with the old session and can be retried); a new person gets a fresh chat.
  const lastUser = useRef<User | null>(null);
  if (me) lastUser.current = me;
  if (state.status === 'signed-out' || (state.status === 'error' && !state.retrying)) lastUser.current = null;
  const renewing = !me && lastUser.current !== null && (state.status === 'signing-in' || (state.status === 'error' && state.retrying));
  const chatUser = me ?? (renewing ? lastUser.current : null);
  const api = useMemo(
    () =>
      createApiClient(props.baseUrl, () => ({ kind: 'bearer', token: token ?? '' }), async (input, init) => {
        const response = await fetch(input, init);
        if (response.status === 401 && token) void session.sessionExpired(token);
        return response;
      }),
    [props.baseUrl, token, session],
  );
  const { live, connection } = useLive(props.baseUrl, session, token, props.streamIdleTimeoutMs);

  // Unread: messages from others that arrive while the panel is closed.
  useEffect(() => {
    if (!me) return;
    return live((type, data) => {
      if (type !== EVENT.messageCreated) return;
      const message = (data as { message: Message }).message;
      emitter.emit('message', message);
      if (message.author.id !== me.id && !openRef.current) setUnread((n) => n + 1);
    });
  }, [live, me, emitter]);
  useEffect(() => emitter.emit('unread', { count: unread }), [unread, emitter]);
  // Another person (or nobody) now: nothing of the previous one's unread count carries over.
  const personId = state.status === 'signed-out' ? null : (chatUser?.id ?? undefined);
  useEffect(() => {
    if (personId !== undefined) setUnread(0);
  }, [personId]);

  // Closing moves focus back to the launcher unless the host page had it: a host calling `Parley.close()`
  // while its user types in its own field keeps that focus.
  const focusWasInside = useRef(false);
  const show = (next: boolean) => {
    if (next === openRef.current) return;
    if (!next) {
      // Focus is the host's when it sits on one of the host's own elements (not the page body, not us).
      const active = document.activeElement;
      const ourHost = (launcher.current?.getRootNode() as ShadowRoot | Document | undefined) instanceof Document ? null : (launcher.current?.getRootNode() as ShadowRoot).host;
      const hostHasFocus = active !== null && active !== document.body && active !== ourHost && !panel.current?.contains(active) && active !== launcher.current;
      focusWasInside.current = !hostHasFocus;
    }
    setOpen(next);
    if (next) setUnread(0);
    emitter.emit(next ? 'open' : 'close');
  };
  useEffect(() => props.bindControls({ open: () => show(true), close: () => show(false), toggle: () => show(!openRef.current), setDocument: setDocumentId }), []);

  // Focus follows the panel: into it on open, back to the launcher on close. Opened while still signing in,
  // focus waits on the panel itself and moves to the first control once the chat has arrived.
  const wasOpen = useRef(open);
  useEffect(() => {
    const focusFirstControl = () =>
      (panel.current?.querySelector<HTMLElement>('textarea, .new, button:not(.close)') ?? panel.current)?.focus();
    if (open && !wasOpen.current) {
      focusFirstControl();
    } else if (!open && wasOpen.current) {
      if (focusWasInside.current) launcher.current?.focus();
    } else if (open && state.status === 'signed-in' && panel.current && (panel.current.getRootNode() as ShadowRoot | Document).activeElement === panel.current) {
      focusFirstControl();
    }
    wasOpen.current = open;
  }, [open, state.status]);

  const label = open ? t.closeChat : t.openChat;
  // The language and direction belong to what holds text, not to `.parley`: in its column the launcher is
  // aligned by physical side, and a right-to-left `.parley` would move it across when the panel opens.
  return (
    <div class={`parley ${props.position} theme-${props.theme}`}>
      {open && (
        <div
          class="panel"
          id="parley-panel"
          dir={props.dir}
          lang={props.lang}
          role="dialog"
          aria-label={t.chatTitle}
          ref={panel}
          tabIndex={-1}
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              e.stopPropagation();
              show(false);
            }
          }}
        >
          <header class="bar">
            <h2>{t.chatTitle}</h2>
            {me && <span class="who" data-testid="user-name">{me.name ?? me.email ?? me.externalId ?? me.id}</span>}
            <button type="button" class="close" aria-label={t.closeChat} onClick={() => show(false)}>
              ×
            </button>
          </header>
          {connection === 'reconnecting' && me && (
            <div class="banner" role="status">
              {t.liveLost}
            </div>
          )}
          <div class="body">
            {(state.status === 'idle' || state.status === 'signing-in') && !renewing && <p class="status" role="status">{t.signingIn}</p>}
            {state.status === 'signed-out' && <p class="status">{t.notSignedInBody}</p>}
            {state.status === 'error' && (
              <p class="status error" role="alert" data-code={state.code}>
                {state.code === 'token_expired' && !state.retrying ? t.gaveUp : errorMessage(t, state.code)}
              </p>
            )}
            {chatUser && (
              <ChatView
                key={`${chatUser.id}\u0000${documentId ?? ''}`}
                api={api}
                me={chatUser}
                live={live}
                t={t}
                lang={props.lang}
                compact
                documentId={documentId}
                onRoomError={(code) => emitter.emit('error', { code, message: code === 'document_not_found' ? t.documentNotFound : t.errorGeneric })}
              />
            )}
          </div>
        </div>
      )}
      <button
        type="button"
        class="launcher"
        lang={props.lang}
        ref={launcher}
        aria-label={unread > 0 ? `${label} (${t.unread(unread)})` : label}
        aria-expanded={open}
        aria-controls="parley-panel"
        onClick={() => show(!open)}
      >
        <svg viewBox="0 0 24 24" width="26" height="26" aria-hidden="true">
          <path fill="currentColor" d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z" />
        </svg>
        {unread > 0 && (
          <span class="badge" data-testid="unread">
            {unread > 99 ? '99+' : unread}
          </span>
        )}
      </button>
      <div class="sr-only" aria-live="polite" dir={props.dir} lang={props.lang}>
        {unread > 0 ? t.unread(unread) : ''}
      </div>
    </div>
  );
}
