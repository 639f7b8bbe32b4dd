/**
 * The open conversation's title in the inbox, with a Rename button that turns it into an inline form: a
 * labelled field, Enter (or Save) saves, Escape (or Cancel) puts the title back, and a refusal is shown
 * under the field as an alert. Focus goes to the field when the form opens and back to Rename when it closes.
 */
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { errorText } from './errors.js';
import { Notice, type Note } from './ui.js';

export const UNTITLED = 'Untitled conversation';

/** Who wrote in a conversation; its title when no one has yet. */
export const who = (c: { participants: { name: string | null }[]; title: string | null }) => c.participants.map((p) => p.name ?? 'Unnamed user').join(', ') || c.title || UNTITLED;

/** Whether the inbox shows the list and the conversation as two screens (the width admin.css switches at). */
export const twoScreens = () => typeof matchMedia === 'function' && matchMedia('(max-width: 767.98px)').matches;
/** Whether the customer panel has a column of its own beside the thread (admin.css), and so starts open. */
export const customerBeside = () => typeof matchMedia === 'function' && matchMedia('(min-width: 1280px)').matches;

/** With `showTitle` false (the heading above shows the title already) only Rename is shown until it is used. */
export function ConversationTitle({ title, showTitle = true, onRename }: { title: string | null; showTitle?: boolean; onRename: (title: string) => Promise<void> }) {
  const [editing, setEditing] = useState(false);
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<Note>(null);
  const field = useRef<HTMLInputElement>(null);
  const rename = useRef<HTMLButtonElement>(null);
  const wasEditing = useRef(false);
  const id = useId();

  useEffect(() => {
    if (editing) {
      field.current?.focus();
      field.current?.select();
    }
    else if (wasEditing.current) rename.current?.focus();
    wasEditing.current = editing;
  }, [editing]);

  const open = () => {
    setValue(title ?? '');
    setError(null);
    setNote(null);
    setEditing(true);
  };
  const save = async () => {
    const next = value.trim();
    if (busy) return;
    if (next === '') return setError('Give the conversation a title, or press Escape to keep this one.');
    if (next === title) return setEditing(false);
    setBusy(true);
    setError(null);
    try {
      await onRename(next);
      setEditing(false);
      setNote({ ok: true, text: 'Conversation renamed.' });
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  if (!editing)
    return (
      <div class="subject">
        {showTitle && (
          <>
            <span class={title === null ? 'muted' : undefined} data-testid="conversation-title">
              {title ?? UNTITLED}
            </span>{' '}
          </>
        )}
        <button type="button" class="rename" ref={rename} aria-label="Rename conversation" onClick={open}>
          Rename
        </button>
        <Notice note={note} inline />
      </div>
    );
  return (
    <form
      class="subject rename-form"
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.preventDefault();
          setEditing(false);
        }
      }}
    >
      <label for={`${id}-title`}>Conversation title</label>
      <input
        id={`${id}-title`}
        ref={field}
        value={value}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        onInput={(e) => setValue((e.currentTarget as HTMLInputElement).value)}
      />
      <button type="submit" class="primary" disabled={busy}>
        Save
      </button>
      <button type="button" onClick={() => setEditing(false)}>
        Cancel
      </button>
      {error && (
        <p role="alert" id={`${id}-error`} class="notice error">
          {error}
        </p>
      )}
    </form>
  );
}
