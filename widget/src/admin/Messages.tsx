/**
 * The open conversation's messages: who wrote each (the team's with their display name and avatar), internal
 * notes marked as such, edited and deleted ones said to be, Edit (one's own, within the edit window) and
 * Delete (any, after a confirmation) on each; "Seen" under the team's last answer once the user has read it;
 * and who of the conversation's users is typing. The AI assistant's messages carry its name and an "AI
 * assistant" mark, its reply in progress streams into a bubble of its own with Stop, and Parley's own
 * messages (a hand-off, a failure, a limit reached) are centred lines of the thread.
 */
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import type { Message, TypingEvent, User } from '#shared/api.js';
import { MESSAGE_EDIT_WINDOW_MS } from '#shared/constants.js';
import { Markdown } from '../chat/markdown.js';
import { Files } from '../chat/attach.js';
import { errorText } from './errors.js';
import type { StreamingReply } from './inbox-state.js';
import { ConfirmButton, Time } from './ui.js';

export interface MessageActions {
  onEdit: (message: Message, text: string) => Promise<void>;
  onDelete: (message: Message) => Promise<void>;
}

function authorName(message: Message, me: User): string {
  const { author } = message;
  if (author.type === 'user' && author.id === me.id) return 'You';
  return author.name ?? (author.type === 'assistant' ? 'Assistant' : author.type !== 'user' ? author.type : author.id === null ? 'Deleted user' : author.agent ? 'Team' : 'Unnamed user');
}

/** The team's face on a message: the avatar, or the initial of the name. */
function Avatar({ message }: { message: Message }) {
  const { avatarUrl, name } = message.author;
  return avatarUrl ? <img class="avatar" src={avatarUrl} alt="" width={20} height={20} /> : <span class="avatar initial" aria-hidden="true">{(name ?? '?').slice(0, 1).toUpperCase()}</span>;
}

/** The assistant's face and mark: never taken for a person of the team or for the user. */
function AssistantMark() {
  return (
    <span class="avatar ai" aria-hidden="true">
      AI
    </span>
  );
}
const AI_LABEL = (
  <span class="ai-mark" data-testid="ai-mark">
    AI assistant
  </span>
);

/** Parley's own words in the thread (docs/assistant.md: hand-offs, failures, limits): a centred line. */
function SystemLine({ message }: { message: Message }) {
  return (
    <li class="msg system" data-message-id={message.id}>
      <p>
        <span class="sr-only">Parley: </span>
        {message.text} <Time iso={message.createdAt} />
      </p>
    </li>
  );
}

function EditForm({ message, onSave, onClose }: { message: Message; onSave: (text: string) => Promise<void>; onClose: () => void }) {
  const [value, setValue] = useState(message.text);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const field = useRef<HTMLTextAreaElement>(null);
  const id = useId();
  useEffect(() => field.current?.focus(), []);
  const save = async () => {
    const text = value.trim();
    if (busy) return;
    if (text === '') return setError('A message cannot be empty: delete it instead.');
    if (text === message.text) return onClose();
    setBusy(true);
    try {
      await onSave(text);
      onClose();
    } catch (e) {
      setError(errorText(e));
      setBusy(false);
    }
  };
  return (
    <form
      class="edit-form"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          onClose();
        }
      }}
    >
      <label for={`${id}-text`} class="sr-only">
        Edit message
      </label>
      <textarea
        id={`${id}-text`}
        class="edit"
        ref={field}
        rows={2}
        value={value}
        aria-invalid={error ? true : undefined}
        onInput={(e) => setValue((e.currentTarget as HTMLTextAreaElement).value)}
        onKeyDown={(e) => {
          // As in the composer: Enter saves, Shift+Enter is a new line.
          if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            void save();
          }
        }}
      />
      <span class="row">
        <button type="submit" class="primary" disabled={busy}>
          Save
        </button>
        <button type="button" onClick={onClose}>
          Cancel
        </button>
      </span>
      {error && (
        <p role="alert" class="notice error">
          {error}
        </p>
      )}
    </form>
  );
}

function MessageItem({ message, me, seen, actions, now }: { message: Message; me: User; seen: boolean; actions: MessageActions; now: () => number }) {
  const [editing, setEditing] = useState(false);
  const editButton = useRef<HTMLButtonElement>(null);
  const { author } = message;
  const mine = author.type === 'user' && author.id === me.id;
  const team = mine || author.agent;
  const bot = author.type === 'assistant';
  const deleted = message.deletedAt !== null;
  const editable = mine && !deleted && now() - Date.parse(message.createdAt) < MESSAGE_EDIT_WINDOW_MS;
  const classes = ['msg', mine ? 'mine' : 'theirs', ...(team && !mine ? ['team'] : []), ...(bot ? ['assistant'] : []), ...(message.internal ? ['note'] : [])].join(' ');
  const close = () => {
    setEditing(false);
    // Back to Edit, which is there again once the form is gone.
    setTimeout(() => editButton.current?.focus(), 0);
  };
  return (
    <li class={classes} data-message-id={message.id}>
      <div class="meta">
        {team && <Avatar message={message} />}
        {bot && <AssistantMark />}
        <span class="author">{authorName(message, me)}</span> {bot && AI_LABEL} <Time iso={message.createdAt} />
        {message.internal && <span class="note-label"> Internal note</span>}
        {message.editedAt && !deleted && (
          <span class="edited" title={message.editedAt}>
            {' '}
            (edited)
          </span>
        )}
      </div>
      {deleted ? (
        <p class="deleted">Message deleted</p>
      ) : editing ? (
        <EditForm message={message} onSave={(text) => actions.onEdit(message, text)} onClose={close} />
      ) : (
        <Markdown text={message.text} />
      )}
      {!deleted && message.attachments.length > 0 && <Files files={message.attachments} url={(a) => a.url} />}
      {!deleted && !editing && (
        <div class="acts">
          {editable && (
            <button type="button" ref={editButton} aria-label="Edit message" onClick={() => setEditing(true)}>
              Edit
            </button>
          )}
          <ConfirmButton label="Delete" subject="message" question="Delete this message?" confirmLabel="Delete" danger onConfirm={() => void actions.onDelete(message)} />
        </div>
      )}
      {seen && (
        <p class="state seen" data-testid="seen">
          Seen
        </p>
      )}
    </li>
  );
}

/** The team's last answer the users can see: where "Seen" goes. */
function lastAnswer(messages: Message[], me: User): number {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (!m.internal && m.deletedAt === null && (m.author.agent || (m.author.type === 'user' && m.author.id === me.id))) return i;
  }
  return -1;
}

export function MessageList({ messages, me, seenId, actions, now = () => Date.now() }: { messages: Message[]; me: User; seenId: string | null; actions: MessageActions; now?: () => number }) {
  const answer = lastAnswer(messages, me);
  const seen = seenId !== null && answer !== -1 && messages.findIndex((m) => m.id === seenId) >= answer;
  return (
    <>
      {messages.map((m, i) =>
        m.author.type === 'system' ? <SystemLine key={m.id} message={m} /> : <MessageItem key={m.id} message={m} me={me} seen={seen && i === answer} actions={actions} now={now} />,
      )}
    </>
  );
}

/**
 * The assistant's reply as it streams in, with Stop; its stored message takes its place. Not a live region
 * itself (each piece would be read out): the stored message is announced once, when it arrives.
 */
export function StreamingBubble({ reply, name, onStop }: { reply: StreamingReply; name: string; onStop: () => Promise<void> }) {
  const [stopping, setStopping] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const stop = async () => {
    setStopping(true);
    setError(null);
    try {
      await onStop();
    } catch (e) {
      setError(errorText(e));
      setStopping(false);
    }
  };
  return (
    <li class="msg theirs assistant streaming" data-reply-id={reply.replyId} data-testid="streaming-reply" aria-live="off" aria-busy="true">
      <div class="meta">
        <AssistantMark />
        <span class="author">{name}</span> {AI_LABEL} <span class="state">{stopping ? 'stopping…' : 'writing…'}</span>
      </div>
      {reply.text === '' ? <p class="pending">…</p> : <p class="streamed">{reply.text}</p>}
      {reply.waiting && <p class="state">The rest shows when the reply is stored.</p>}
      <div class="acts">
        <button type="button" disabled={stopping} onClick={() => void stop()} aria-label="Stop the assistant's reply">
          Stop
        </button>
      </div>
      {error && (
        <p role="alert" class="notice error">
          {error}
        </p>
      )}
    </li>
  );
}

export type Typing = ReadonlyMap<string, Pick<TypingEvent, 'name' | 'conversationId'>>;

/**
 * Who is typing, by user id: each `typing` event holds for its `ttlMs` unless another renews it, and a
 * message from them ends it at once. Timers are the page's unless injected.
 */
export function useTyping(timers: { set: (fn: () => void, ms: number) => unknown; clear: (handle: unknown) => void } = { set: (fn, ms) => setTimeout(fn, ms), clear: (h) => clearTimeout(h as number) }) {
  const [typing, setTyping] = useState<Typing>(new Map());
  const handles = useRef(new Map<string, unknown>());
  const stop = (userId: string) => {
    const handle = handles.current.get(userId);
    if (handle === undefined) return;
    timers.clear(handle);
    handles.current.delete(userId);
    setTyping((now) => {
      const next = new Map(now);
      next.delete(userId);
      return next;
    });
  };
  const start = (event: TypingEvent) => {
    const previous = handles.current.get(event.userId);
    if (previous !== undefined) timers.clear(previous);
    handles.current.set(event.userId, timers.set(() => stop(event.userId), event.ttlMs));
    setTyping((now) => new Map(now).set(event.userId, { name: event.name, conversationId: event.conversationId }));
  };
  useEffect(() => () => handles.current.forEach((h) => timers.clear(h)), []);
  return { typing, start, stop };
}

/** "Alice is typing…" for the open conversation's users; an empty status region otherwise, so it is announced. */
export function TypingIndicator({ typing, conversationId }: { typing: Typing; conversationId: string }) {
  const names = [...typing.values()].filter((t) => t.conversationId === conversationId).map((t) => t.name ?? 'The user');
  return (
    <p class="typing" role="status" data-testid="typing">
      {names.length === 0 ? '' : names.length === 1 ? `${names[0]} is typing…` : `${names.join(', ')} are typing…`}
    </p>
  );
}
