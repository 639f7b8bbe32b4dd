/**
 * Small pieces every admin page uses: loading data with an error state, running an action with a status
 * message, status and alert messages, times, tables, "Load more", and a button that asks for confirmation
 * inline (no native dialog, so it is styled, testable and never blocks the page).
 */
import type { ComponentChildren, JSX } from 'preact';
import { useCallback, useEffect, useId, useRef, useState } from 'preact/hooks';
import { errorText } from './errors.js';

export interface Loaded<T> {
  data: T | undefined;
  error: string | null;
  reload: () => void;
  set: (update: (data: T) => T) => void;
}

/** Runs `load` on mount (and when `deps` change); a late answer for stale deps is dropped. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [round, setRound] = useState(0);
  useEffect(() => {
    let current = true;
    setError(null);
    load().then(
      (value) => current && setData(value),
      (e: unknown) => current && setError(errorText(e)),
    );
    return () => {
      current = false;
    };
  }, [...deps, round]);
  const reload = useCallback(() => setRound((n) => n + 1), []);
  const set = useCallback((update: (data: T) => T) => setData((d) => (d === undefined ? d : update(d))), []);
  return { data, error, reload, set };
}

export type Note = { ok: boolean; text: string } | null;

export interface Action {
  /** True while an action runs; the controls that start one are disabled meanwhile. */
  busy: boolean;
  note: Note;
  setNote: (note: Note) => void;
  /**
   * Runs `action` and shows the sentence it answers with; when it fails, `onError` runs first (to put back
   * what was shown early, or reload what changed elsewhere) and the error's sentence is shown instead.
   */
  run: (action: () => Promise<string>, onError?: (error: unknown) => void) => Promise<void>;
}

export function useAction(): Action {
  const [note, setNote] = useState<Note>(null);
  const [busy, setBusy] = useState(false);
  const run = async (action: () => Promise<string>, onError?: (error: unknown) => void) => {
    setBusy(true);
    setNote(null);
    try {
      setNote({ ok: true, text: await action() });
    } catch (error) {
      onError?.(error);
      setNote({ ok: false, text: errorText(error) });
    } finally {
      setBusy(false);
    }
  };
  return { busy, note, setNote, run };
}

/**
 * A status (polite) or alert (assertive) message. With no note it still renders an empty status region, so
 * a later "Saved." is announced; `inline` makes it a span, for use inside a line of controls.
 */
export function Notice({ note, inline = false }: { note: Note; inline?: boolean }) {
  const Tag = inline ? 'span' : 'p';
  const error = note !== null && !note.ok;
  return (
    // Keyed by role: an alert is announced when it is inserted, not when a status region turns into one.
    <Tag key={error ? 'alert' : 'status'} role={error ? 'alert' : 'status'} class={`notice ${note ? (note.ok ? 'ok' : 'error') : 'idle'}${inline ? ' inline' : ''}`}>
      {note?.text}
    </Tag>
  );
}

/** An error sentence, announced when it appears; nothing without one. */
export function Alert({ text }: { text: string | null }) {
  return text ? (
    <p role="alert" class="notice error">
      {text}
    </p>
  ) : null;
}

export function Loading({ error }: { error: string | null }) {
  return error ? (
    <p role="alert" class="notice error">
      {error}
    </p>
  ) : (
    <p class="muted">Loading…</p>
  );
}

/** Why a setting cannot be changed in the panel. */
export const lockedText = (setting: { variable: string | null }) =>
  setting.variable ? `Set by ${setting.variable} in the environment.` : 'Set in the environment.';

export function formatTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString([], { dateStyle: 'medium', timeStyle: 'short' });
}

export function Time({ iso, none = '—' }: { iso: string | null; none?: string }) {
  return iso ? (
    <time dateTime={iso} title={iso}>
      {formatTime(iso)}
    </time>
  ) : (
    <span class="muted">{none}</span>
  );
}

/** A cell with a time in it (`none` when there is no time). */
export function TimeCell(props: { iso: string | null; none?: string }) {
  return (
    <td>
      <Time {...props} />
    </td>
  );
}

/** "Active", or what the thing is when it is not (Revoked, Retired, Deactivated). */
export function StatusBadge({ active, inactive, title }: { active: boolean; inactive: string; title?: string }) {
  return active ? <span class="badge on">Active</span> : <span class="badge off" title={title}>{inactive}</span>;
}

/**
 * A table of `rows` in a horizontal scroller, or `empty` when there are none. With `actions`, a last column
 * for each row's buttons, headed for screen readers only. A wide table scrolls inside its region instead of
 * the page (data tables are exempt from reflow, WCAG 1.4.10); the region is focusable, so a keyboard can
 * scroll it, and named by the table's caption (`label`, for screen readers: the section's heading shows it).
 */
export function DataTable<T>({ class: className, label, columns, actions = false, rows, row, empty }: {
  class?: string;
  label: string;
  columns: string[];
  actions?: boolean;
  rows: T[];
  row: (item: T) => JSX.Element;
  empty: JSX.Element;
}) {
  const captionId = useId();
  if (rows.length === 0) return empty;
  return (
    <div class="scroll" role="region" aria-labelledby={captionId} tabIndex={0}>
      <table class={className}>
        <caption id={captionId} class="sr-only">
          {label}
        </caption>
        <thead>
          <tr>
            {columns.map((column) => (
              <th key={column} scope="col">
                {column}
              </th>
            ))}
            {actions && (
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            )}
          </tr>
        </thead>
        <tbody>{rows.map(row)}</tbody>
      </table>
    </div>
  );
}

/** The next page of `current` after `page`, leaving out what `current` already has (the list may have moved). */
export function appendNew<T extends { id: string }>(current: T[], page: T[]): T[] {
  const known = new Set(current.map((item) => item.id));
  return [...current, ...page.filter((item) => !known.has(item.id))];
}

/** The button that asks for the page after `cursor`; nothing when there is no next page. */
export function LoadMore({ cursor, busy, onLoad }: { cursor: string | null | undefined; busy?: boolean; onLoad: (cursor: string) => void }) {
  return cursor ? (
    <button type="button" class="more" disabled={busy} onClick={() => onLoad(cursor)}>
      Load more
    </button>
  ) : null;
}

/** A button that first asks `question`, with the action and Cancel next to it; Cancel gets the focus. */
export function ConfirmButton({ label, question, confirmLabel = label, onConfirm, danger = false, disabled = false, subject }: {
  label: string;
  question: ComponentChildren;
  confirmLabel?: string;
  onConfirm: () => void;
  danger?: boolean;
  disabled?: boolean;
  /** What the action is on, when `label` alone is ambiguous in a table row: the button is named "label subject". */
  subject?: string;
}) {
  const name = subject === undefined ? undefined : `${label} ${subject}`;
  const [asking, setAsking] = useState(false);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const openRef = useRef<HTMLButtonElement>(null);
  const asked = useRef(false);
  // Focus follows the question: to Cancel when it appears, back to the button when it goes.
  useEffect(() => {
    if (asking) cancelRef.current?.focus();
    else if (asked.current) openRef.current?.focus();
    asked.current = asking;
  }, [asking]);
  if (!asking)
    return (
      <button type="button" ref={openRef} class={danger ? 'danger' : ''} disabled={disabled} aria-label={name} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  return (
    <span class="confirm" role="group" aria-label={typeof question === 'string' ? question : label}>
      <span>{question}</span>{' '}
      <button type="button" class={danger ? 'danger' : 'primary'} onClick={() => { setAsking(false); onConfirm(); }}>
        {confirmLabel}
      </button>{' '}
      <button type="button" ref={cancelRef} onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}

/** Copies `text` to the clipboard where the browser allows it, and says whether it worked. */
export function CopyButton({ text, label = 'Copy', name }: { text: string; label?: string; name?: string }) {
  const [note, setNote] = useState<Note>(null);
  const copy = async () => {
    try {
      // Absent outside secure contexts, and writeText rejects without permission: both are told, not thrown.
      await navigator.clipboard.writeText(text);
      setNote({ ok: true, text: 'Copied.' });
    } catch {
      setNote({ ok: false, text: 'Could not copy: select the text and copy it by hand.' });
    }
  };
  return (
    <span class="copy">
      <button type="button" aria-label={name} onClick={() => void copy()}>
        {label}
      </button>
      <Notice note={note} inline />
    </span>
  );
}
