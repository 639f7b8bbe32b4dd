/**
 * The embedded widget's panel, inside the widget's Shadow DOM beside the loader's launcher (launcher.ts),
 * whose label and unread badge it keeps up to date. The panel stays mounted while closed (hidden), so a
 * thread, its scroll position and a draft are where the user left them. Focus moves into the panel on open
 * and back to the launcher on close; Escape closes.
 * Every sign-in failure shows its own message in the user's language. With a document id (`data-document-id`
 * or `Parley.setDocument`) the panel shows that document's room instead of the conversation list.
 */
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Message, User } from '#shared/api.js';
import { EVENT } from '#shared/constants.js';
import { createApiClient, errorCodeOf } from '../api/client.js';
import { openEventStream } from '../api/event-stream.js';
import { ChatView } from '../chat/ChatView.js';
import { EmailSignIn } from '../chat/email-sign-in.js';
import { STREAM_READY, type LiveSource } from '../chat/use-chat.js';
import { errorMessage, type LocaleStrings } from '../i18n/locale-strings.js';
import type { Appearance } from './contract.js';
import type { Emitter } from './js-api.js';
import type { Launcher } from './launcher.js';
import type { Session, SessionEndReason, SessionState } from './session.js';

export interface WidgetProps {
  baseUrl: string;
  session: Session;
  emitter: Emitter;
  strings: LocaleStrings;
  dir: 'ltr' | 'rtl';
  lang: string;
  appearance: Appearance;
  /** The loader's launcher: the panel tells it whether it is open and how many messages are unread. */
  launcher: Launcher;
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
      onUnauthorized: (code) => void session.sessionExpired(token, code),
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

/** Why a code or session that expired could not be renewed, in the user's words. */
function expiredText(t: LocaleStrings, reason: SessionEndReason | undefined): string {
  return reason === 'first_code' ? t.codeExpired : reason === 'session_ended' ? t.sessionEnded : t.gaveUp;
}

/** The home view's words: the administrator's, with the user's first name in the greeting, else the locale's. */
export function homeOf(look: Appearance, user: Pick<User, 'name'>, t: LocaleStrings) {
  const first = (user.name ?? '').trim().split(/\s+/)[0] ?? '';
  const greeting = (look.greeting ?? t.greeting).replace(/\s*\{name\}/g, () => (first ? ` ${first}` : '')).trim();
  return { teamName: look.teamName, avatarUrl: look.avatarUrl, greeting, replyTime: look.replyTime, awayText: look.awayText };
}

export function Widget(props: WidgetProps) {
  const { strings: t, session, emitter } = props;
  const [state, setState] = useState<SessionState>(session.state);
  const [open, setOpen] = useState(props.initiallyOpen);
  const [unread, setUnread] = useState(0);
  const [documentId, setDocumentId] = useState(props.documentId ?? null);
  const launcher = props.launcher;
  const panel = useRef<HTMLDivElement>(null);
  const openRef = useRef(open);
  openRef.current = open;
  // The chat is mounted on the first open and then kept (hidden while closed): a document room or a list is
  // never fetched for a panel nobody opened.
  const [opened, setOpened] = useState(open);
  if (open && !opened) setOpened(true);

  useEffect(() => {
    const unsubscribe = session.subscribe(setState);
    // The sign-in may have finished between the first render and this effect.
    setState(session.state);
    return unsubscribe;
  }, [session]);

  const token = state.status === 'signed-in' ? state.token : null;
  const fileToken = state.status === 'signed-in' ? state.fileToken : undefined;
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
      createApiClient(props.baseUrl, () => ({ kind: 'bearer', token: token ?? '', ...(fileToken ? { fileToken } : {}) }), async (input, init) => {
        const response = await fetch(input, init);
        if (token && response.status === 401) void session.sessionExpired(token);
        else if (token && response.status === 403) {
          // A deactivated account: the session ended for a reason the person should hear.
          const code = await errorCodeOf(response);
          if (code === 'user_deactivated') void session.sessionExpired(token, code);
        }
        return response;
      }),
    [props.baseUrl, token, fileToken, session],
  );
  const { live, connection } = useLive(props.baseUrl, session, token, props.streamIdleTimeoutMs);

  // Unread: the server's count on sign-in (it survives reloads and devices), then messages from others that
  // arrive while the panel is closed.
  // The larger of the two: a message that arrived live before the list was read is in both.
  useEffect(() => {
    // A document room's badge counts what arrives live; an open panel's list reads the counts itself.
    if (!token || documentId || openRef.current) return;
    let alive = true;
    api.listConversations().then(
      (list) => {
        const count = list.conversations.reduce((n, c) => n + (c.documentId ? 0 : (c.unreadCount ?? 0)), 0);
        if (alive && !openRef.current) setUnread((n) => Math.max(n, count));
      },
      () => undefined, // the badge stays as it is; the list shows the error when opened
    );
    return () => void (alive = false);
  }, [api]);
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
  useEffect(() => {
    launcher.setUnread(unread);
    emitter.emit('unread', { count: unread });
  }, [unread, emitter]);
  // In the same commit as the panel's own change: the launcher never says open while the panel is hidden.
  useLayoutEffect(() => launcher.setOpen(open), [open]);
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
      const rootNode = launcher.element.getRootNode();
      const ourHost = rootNode instanceof ShadowRoot ? rootNode.host : null;
      const hostHasFocus = active !== null && active !== document.body && active !== ourHost && !panel.current?.contains(active) && active !== launcher.element;
      focusWasInside.current = !hostHasFocus;
    }
    setOpen(next);
    // Calls in one turn (close, open, toggle) see each other before the render.
    openRef.current = next;
    if (next) setUnread(0);
    emitter.emit(next ? 'open' : 'close');
  };
  // Open from the start (data-open): the host and the phone layout hear of it as of any opening.
  useEffect(() => {
    if (props.initiallyOpen) emitter.emit('open');
  }, []);
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
      if (focusWasInside.current) launcher.element.focus();
    } else if (open && state.status === 'signed-in' && panel.current && (panel.current.getRootNode() as ShadowRoot | Document).activeElement === panel.current) {
      focusFirstControl();
    }
    wasOpen.current = open;
  }, [open, state.status]);

  const title = props.appearance.title ?? t.chatTitle;
  // The language and direction belong to what holds text, not to the loader's `.parley`: in its column the
  // launcher is aligned by physical side, and a right-to-left `.parley` would move it across.
  return (
    <div
      class="panel"
      id="parley-panel"
      hidden={!open}
      dir={props.dir}
      lang={props.lang}
      role="dialog"
      aria-label={title}
      ref={panel}
      tabIndex={-1}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          show(false);
        }
      }}
    >
      <div class="bar">
        <h2>{title}</h2>
        {me && <span class="who" data-testid="user-name">{me.name ?? me.email ?? me.externalId ?? me.id}</span>}
        <button type="button" class="close" aria-label={t.closeChat} onClick={() => show(false)}>
          ×
        </button>
      </div>
      {connection === 'reconnecting' && me && (
        <div class="banner" role="status">
          {t.liveLost}
        </div>
      )}
      <div class="body">
        {state.status === 'idle' && props.appearance.emailSignIn ? (
          <EmailSignIn baseUrl={props.baseUrl} t={t} describe={(code) => errorMessage(t, code)} credentials="omit" onSignedIn={(r) => session.adopt(r.session.token, r.user, r.session.fileToken)} />
        ) : (
          (state.status === 'idle' || state.status === 'signing-in') && !renewing && <p class="status" role="status">{t.signingIn}</p>
        )}
        {state.status === 'signed-out' && <p class="status">{t.signedOut}</p>}
        {state.status === 'error' && (
          <p class="status error" role="alert" data-code={state.code}>
            {state.code === 'token_expired' && !state.retrying ? expiredText(t, state.reason) : errorMessage(t, state.code)}
          </p>
        )}
        {chatUser && opened && (
          <ChatView
            key={`${chatUser.id}\u0000${documentId ?? ''}`}
            api={api}
            me={chatUser}
            live={live}
            t={t}
            lang={props.lang}
            compact
            visible={open}
            home={homeOf(props.appearance, chatUser, t)}
            documentId={documentId}
            onRoomError={(code) => emitter.emit('error', { code, message: code === 'document_not_found' ? t.documentNotFound : t.errorGeneric })}
          />
        )}
      </div>
    </div>
  );
}
