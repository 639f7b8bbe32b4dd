/**
 * One message of a thread: its author (an agent with their avatar), time, "edited" mark, text ("Message
 * deleted" in its place once deleted) and files, its sending state and "Seen"; and, on my own messages for
 * MESSAGE_EDIT_WINDOW_MS after sending, Edit (in place: Enter saves, Escape cancels) and Delete (after a
 * question), with the server's refusal said on the message.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Attachment, Message, User } from '#shared/api.js';
import { Files } from './attach.js';
import { MESSAGE_EDIT_WINDOW_MS } from '#shared/constants.js';
import { ApiError } from '../api/client.js';
import { authorName, isMine, time } from './format.js';
import { Avatar } from './home.js';
import { Markdown } from './markdown.js';
import type { Strings } from './strings.js';
import type { DisplayMessage } from './use-chat.js';

/** What a message can do for its author: edit it, delete it (each rejects with the server's error). */
export interface OwnActions {
  edit: (m: Message, text: string) => Promise<void>;
  remove: (m: Message) => Promise<void>;
}

export function MessageItem({ message, me, t, lang, seen, team, own, onRetry, fileUrl }: { message: DisplayMessage; me: User; t: Strings; lang: string | undefined; seen: boolean; team: string | null; own: OwnActions | null; onRetry: () => void; fileUrl: (a: Attachment) => string }) {
  const mine = isMine(message, me);
  const { author } = message;
  const name = authorName(message, me, t, team);
  const gone = message.deletedAt !== null;
  // Editing in place, or asking whether to delete; with what the edit holds and why a change was refused.
  const [mode, setMode] = useState<'edit' | 'delete' | null>(null);
  const [draft, setDraft] = useState('');
  const [refusal, setRefusal] = useState<string | null>(null);
  const li = useRef<HTMLLIElement>(null);
  const moved = useRef(false);
  // Focus follows the change: into the field or the question, back to the message's buttons (or the list).
  useEffect(() => {
    if (!mode && !moved.current) return;
    moved.current = true;
    (li.current?.querySelector<HTMLElement>(mode === 'edit' ? 'textarea' : mode ? '.ask button:last-child' : '.own button') ?? li.current?.parentElement)?.focus();
  }, [mode]);
  const close = () => {
    setMode(null);
    setRefusal(null);
  };
  const done = (change: Promise<void>) =>
    change.then(
      close,
      (error: unknown) => {
        const code = error instanceof ApiError ? error.code : '';
        setRefusal(code === 'message_locked' ? t.locked : code === 'message_too_long' ? t.tooLong : t.errorGeneric);
      },
    );
  const cancel = (e: KeyboardEvent) => {
    if (e.key !== 'Escape') return;
    e.stopPropagation(); // the panel's Escape closes it: this one only cancels
    close();
  };
  const changeable = own && mine && !gone && message.status === 'sent' && Date.now() - Date.parse(message.createdAt) < MESSAGE_EDIT_WINDOW_MS;
  return (
    <li class={`msg ${mine ? 'mine' : author.type === 'system' ? 'system' : 'theirs'} ${message.status}`} data-status={message.status} data-message-id={message.id} ref={li}>
      <div class="meta">
        {author.agent && !mine && <Avatar url={author.avatarUrl} name={name} cls="face" />}
        <span class="author">{name}</span> <time dateTime={message.createdAt}>{time(message.createdAt, lang)}</time>
        {message.editedAt && !gone && <span class="was-edited"> · {t.edited}</span>}
        {changeable && !mode && (
          <span class="own">
            {' '}
            <button
              type="button"
              onClick={() => {
                setDraft(message.text);
                setMode('edit');
              }}
            >
              {t.edit}
            </button>{' '}
            <button type="button" onClick={() => setMode('delete')}>
              {t.delete}
            </button>
          </span>
        )}
      </div>
      {mode === 'edit' && own ? (
        <textarea
          class="rewrite"
          aria-label={t.editLabel}
          title={t.editHint}
          value={draft}
          rows={2}
          dir="auto"
          onInput={(e) => setDraft(e.currentTarget.value)}
          onKeyDown={(e) => {
            cancel(e);
            if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
              e.preventDefault();
              if (draft.trim() === '' || draft === message.text) close();
              else void done(own.edit(message, draft));
            }
          }}
        />
      ) : (
        <div class="text" dir="auto">
          {gone ? <em class="gone">{t.deleted}</em> : message.text !== '' && <Markdown text={message.text} />}
        </div>
      )}
      {!gone && message.attachments.length > 0 && <Files files={message.attachments} url={fileUrl} />}
      {mode === 'delete' && own && (
        <div class="state ask" role="alert" onKeyDown={cancel}>
          {t.deleteConfirm}{' '}
          <button type="button" onClick={() => void done(own.remove(message))}>
            {t.delete}
          </button>{' '}
          <button type="button" onClick={close}>
            {t.cancel}
          </button>
        </div>
      )}
      {refusal && (
        <div class="state failed" role="alert">
          {refusal}
        </div>
      )}
      {message.status === 'pending' && <div class="state">{t.sending}</div>}
      {seen && <div class="state seen">{t.seen}</div>}
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
