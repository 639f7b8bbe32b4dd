/**
 * The inbox's composer: a reply to the conversation's users, or an internal note only administrators see
 * (the Reply / Note toggle; a note looks different and never signals typing). While replying it tells the
 * users the admin is typing, at most once per TYPING_SEND_INTERVAL_MS.
 *
 * `/` at the start opens the canned replies, filtered by what follows it: Up and Down choose, Enter inserts,
 * Escape closes. A textarea cannot take the combobox role (ARIA in HTML allows it only the textbox role), so
 * it stays a textbox that owns the listbox through aria-controls and aria-activedescendant, with
 * aria-autocomplete="list"; focus never leaves it.
 */
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { MESSAGE_MAX_CHARS, TYPING_SEND_INTERVAL_MS } from '#shared/constants.js';
import { newClientMessageId } from '../api/client.js';
import type { Attachment } from '#shared/api.js';
import { MAX_ATTACHMENTS_PER_MESSAGE } from '#shared/constants.js';
import { PaperClip } from '../chat/attach.js';
import { createTray, type Tray } from '../chat/upload.js';
import type { CannedReply } from './api.js';
import { href } from './route.js';

export interface ComposerProps {
  onSend: (text: string, clientMessageId: string, internal: boolean, attachmentIds: string[]) => Promise<boolean>;
  /** Uploads a file for the message (the tray of chat/upload.ts); without it, no files can be attached. */
  upload?: (file: File, onProgress: (fraction: number) => void, signal: AbortSignal) => Promise<Attachment>;
  onTyping: () => void;
  loadCanned: () => Promise<CannedReply[]>;
  now?: () => number;
}

const MAX_SHOWN = 8;

/** Whether every word of `query` starts a word of the reply's title or text (case and accents aside). */
export function cannedMatches(reply: CannedReply, query: string): boolean {
  const fold = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
  const words = fold(`${reply.title} ${reply.text}`).split(/[^\p{L}\p{N}]+/u);
  return fold(query)
    .split(/\s+/)
    .filter(Boolean)
    .every((q) => words.some((w) => w.startsWith(q)));
}

export function Composer({ onSend, onTyping, loadCanned, upload, now = () => Date.now() }: ComposerProps) {
  const [text, setText] = useState('');
  // Files on their way (chat/upload.ts's tray, in the list below): those uploaded, and whether any is not yet.
  const trayHost = useRef<HTMLUListElement>(null);
  const tray = useRef<Tray | null>(null);
  const [files, setFiles] = useState({ ready: [] as Attachment[], busy: false });
  const addFiles = (list: ArrayLike<File> | null | undefined) => {
    if (!upload || !list?.length || !trayHost.current) return false;
    tray.current ??= createTray(trayHost.current, { lang: 'en', max: MAX_ATTACHMENTS_PER_MESSAGE, onChange: (ready, busy) => setFiles({ ready, busy }) });
    tray.current.add(list, upload);
    return true;
  };
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState(false);
  const [canned, setCanned] = useState<CannedReply[] | 'loading' | 'failed' | null>(null);
  const [active, setActive] = useState(0);
  const [dismissed, setDismissed] = useState(false);
  const field = useRef<HTMLTextAreaElement>(null);
  // Kept across a failed send so a retry of the same text is recognised by the server; new text, new id.
  const clientMessageId = useRef<string | null>(null);
  const typingSent = useRef(-Infinity);
  const id = useId();
  const tooLong = [...text].length > MESSAGE_MAX_CHARS;

  const searching = text.startsWith('/') && !dismissed;
  const query = searching ? text.slice(1) : '';
  const options = searching && Array.isArray(canned) ? canned.filter((r) => cannedMatches(r, query)).slice(0, MAX_SHOWN) : [];
  const current = options.length ? options[Math.min(active, options.length - 1)]! : null;

  useEffect(() => {
    if (!searching || canned !== null) return;
    setCanned('loading');
    loadCanned().then(setCanned, () => setCanned('failed'));
  }, [searching]);

  const empty = text.trim() === '' && files.ready.length === 0;
  const submit = async () => {
    if (busy || tooLong || empty || files.busy) return;
    setBusy(true);
    clientMessageId.current ??= newClientMessageId();
    if (await onSend(text, clientMessageId.current, note, files.ready.map((a) => a.id))) {
      setText('');
      clientMessageId.current = null;
      tray.current?.clear();
    }
    setBusy(false);
  };
  const insert = (reply: CannedReply) => {
    setText(reply.text);
    clientMessageId.current = null;
    setDismissed(false);
    const el = field.current;
    if (el) {
      el.focus();
      // The caret after the inserted text, once it is there.
      setTimeout(() => el.setSelectionRange(el.value.length, el.value.length), 0);
    }
  };
  const label = note ? 'Internal note' : 'Reply';
  return (
    <form
      class={`composer${note ? ' note' : ''}`}
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
      onDragOver={(e) => upload && e.preventDefault()}
      onDrop={(e) => addFiles(e.dataTransfer?.files) && e.preventDefault()}
    >
      <div class="mode" role="group" aria-label="Message type">
        <button type="button" aria-pressed={!note} onClick={() => setNote(false)}>
          Reply
        </button>
        <button type="button" aria-pressed={note} onClick={() => setNote(true)}>
          Note
        </button>
        {note && <span class="note-hint">Only administrators see notes.</span>}
      </div>
      {searching && (
        <div class="canned" id={`${id}-canned`}>
          {canned === 'loading' || canned === null ? (
            <p class="muted">Loading canned replies…</p>
          ) : canned === 'failed' ? (
            <p class="muted">Canned replies could not be loaded.</p>
          ) : options.length === 0 ? (
            <p class="muted">
              {canned.length === 0 ? 'No canned replies yet. ' : `No canned reply matches “${query}”. `}
              <a href={href('canned-replies')}>Manage canned replies</a>
            </p>
          ) : (
            <ul role="listbox" id={`${id}-list`} aria-label="Canned replies">
              {options.map((r, i) => (
                <li
                  key={r.id}
                  id={`${id}-opt-${i}`}
                  role="option"
                  aria-selected={r === current}
                  class={r === current ? 'active' : undefined}
                  // Pressing a pointer on an option keeps the focus in the composer.
                  onMouseDown={(e) => e.preventDefault()}
                  onClick={() => insert(r)}
                >
                  <span class="canned-title">{r.title}</span>
                  <span class="canned-text">{r.text.slice(0, 120)}</span>
                </li>
              ))}
            </ul>
          )}
          <p class="sr-only" role="status">
            {options.length ? `${options.length} canned ${options.length === 1 ? 'reply' : 'replies'}: Up and Down to choose, Enter to insert, Escape to close.` : ''}
          </p>
        </div>
      )}
      {upload && (
        <>
          <ul class="tray" ref={trayHost} />
          <label class="attach" title="Attach files">
            <input
              type="file"
              multiple
              aria-label="Attach files"
              onChange={(e) => {
                addFiles(e.currentTarget.files);
                e.currentTarget.value = '';
              }}
            />
            <PaperClip />
          </label>
        </>
      )}
      <textarea
        ref={field}
        onPaste={(e) => addFiles(e.clipboardData?.files) && e.preventDefault()}
        aria-label={label}
        placeholder={note ? 'Write an internal note… only administrators see it' : 'Write a reply… (Enter sends, Shift+Enter for a new line, / for canned replies)'}
        rows={2}
        value={text}
        aria-autocomplete="list"
        aria-controls={searching ? `${id}-canned` : undefined}
        aria-activedescendant={current ? `${id}-opt-${options.indexOf(current)}` : undefined}
        onInput={(e) => {
          const value = (e.currentTarget as HTMLTextAreaElement).value;
          setText(value);
          clientMessageId.current = null;
          setActive(0);
          if (!value.startsWith('/')) setDismissed(false);
          if (!note && value.trim() !== '' && now() - typingSent.current >= TYPING_SEND_INTERVAL_MS) {
            typingSent.current = now();
            onTyping();
          }
        }}
        onKeyDown={(e) => {
          if (searching && options.length && (e.key === 'ArrowDown' || e.key === 'ArrowUp')) {
            e.preventDefault();
            const at = options.indexOf(current!);
            setActive((at + (e.key === 'ArrowDown' ? 1 : options.length - 1)) % options.length);
          } else if (searching && e.key === 'Escape') {
            e.preventDefault();
            setDismissed(true);
          } else if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            if (searching && current) insert(current);
            else void submit();
          }
        }}
      />
      {tooLong && (
        <div class="hint" role="alert">
          A message may have at most 10,000 characters.
        </div>
      )}
      <button type="submit" disabled={busy || tooLong || empty || files.busy}>
        {note ? 'Add note' : 'Send'}
      </button>
    </form>
  );
}
