/**
 * The open conversation's status and assignee, in its header: Resolve or Reopen, Snooze with its choices
 * (in an hour, tomorrow at 9:00, next week, or a date and time), and who it is assigned to (Unassigned, Me,
 * or another owner or admin by name). Each change is one PATCH; what the server answers is shown, and a
 * refusal is an alert.
 */
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import type { Conversation } from '#shared/api.js';
import type { AdminUser, ConversationPatch } from './api.js';
import { errorText } from './errors.js';
import { localDateTimeValue, parseLocalDateTime, snoozeChoices } from './snooze.js';
import { Notice, formatTime, type Note } from './ui.js';

export interface ControlsProps {
  conversation: Pick<Conversation, 'id' | 'status' | 'snoozedUntil' | 'assigneeId'>;
  meId: string;
  /** The organization's active owners and admins (the assignee choices besides Unassigned and Me). */
  admins: Pick<AdminUser, 'id' | 'name' | 'email'>[];
  onChange: (patch: ConversationPatch) => Promise<void>;
  now?: () => Date;
}

const STATUS_TEXT: Record<Conversation['status'], string> = { open: 'Open', resolved: 'Resolved', snoozed: 'Snoozed' };

export function ConversationControls({ conversation, meId, admins, onChange, now = () => new Date() }: ControlsProps) {
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<Note>(null);
  const [snoozing, setSnoozing] = useState(false);
  const [custom, setCustom] = useState('');
  const [customError, setCustomError] = useState<string | null>(null);
  const snoozeButton = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  const wasSnoozing = useRef(false);
  const id = useId();

  useEffect(() => {
    if (snoozing) menu.current?.querySelector<HTMLButtonElement>('button')?.focus();
    else if (wasSnoozing.current) snoozeButton.current?.focus();
    wasSnoozing.current = snoozing;
    if (!snoozing) return;
    // A press anywhere else closes the choices, as a menu would.
    const outside = (e: Event) => {
      const box = menu.current?.parentElement;
      if (box && e.target instanceof Node && !box.contains(e.target)) {
        wasSnoozing.current = false; // focus goes where the press was, not back to Snooze
        setSnoozing(false);
      }
    };
    document.addEventListener('pointerdown', outside);
    return () => document.removeEventListener('pointerdown', outside);
  }, [snoozing]);

  const change = async (patch: ConversationPatch, done: string) => {
    if (busy) return;
    setBusy(true);
    setNote(null);
    try {
      await onChange(patch);
      setSnoozing(false);
      setNote({ ok: true, text: done });
    } catch (e) {
      setNote({ ok: false, text: errorText(e) });
    } finally {
      setBusy(false);
    }
  };
  const snooze = (until: Date) => change({ status: 'snoozed', snoozedUntil: until.toISOString() }, `Snoozed until ${formatTime(until.toISOString())}.`);
  const snoozeCustom = () => {
    const until = parseLocalDateTime(custom);
    if (!until) return setCustomError('Choose a date and time.');
    if (until.getTime() <= now().getTime()) return setCustomError('Choose a time in the future.');
    setCustomError(null);
    void snooze(until);
  };

  const { status } = conversation;
  const others = admins.filter((a) => a.id !== meId);
  const assigned = conversation.assigneeId;
  const unknownAssignee = assigned !== null && assigned !== meId && !others.some((a) => a.id === assigned);
  return (
    <div class="controls">
      <span class={`badge status ${status}`} data-testid="conversation-status">
        {STATUS_TEXT[status]}
        {status === 'snoozed' && conversation.snoozedUntil ? ` until ${formatTime(conversation.snoozedUntil)}` : ''}
      </span>
      {status === 'open' ? (
        <button type="button" disabled={busy} onClick={() => void change({ status: 'resolved' }, 'Conversation resolved.')}>
          Resolve
        </button>
      ) : (
        <button type="button" disabled={busy} onClick={() => void change({ status: 'open' }, 'Conversation reopened.')}>
          Reopen
        </button>
      )}
      <span class="snooze">
        <button type="button" ref={snoozeButton} disabled={busy} aria-expanded={snoozing} aria-controls={`${id}-snooze`} onClick={() => setSnoozing((open) => !open)}>
          Snooze
        </button>
        {snoozing && (
          <div
            id={`${id}-snooze`}
            class="snooze-menu"
            role="group"
            aria-label="Snooze until"
            ref={menu}
            onKeyDown={(e) => {
              if (e.key === 'Escape') {
                e.preventDefault();
                setSnoozing(false);
              }
            }}
          >
            {snoozeChoices(now()).map((choice) => (
              <button type="button" key={choice.label} disabled={busy} onClick={() => void snooze(choice.until)}>
                {choice.label}
              </button>
            ))}
            <form
              class="row"
              onSubmit={(e) => {
                e.preventDefault();
                snoozeCustom();
              }}
            >
              <label for={`${id}-until`}>Date and time</label>
              <input
                id={`${id}-until`}
                type="datetime-local"
                value={custom}
                min={localDateTimeValue(now())}
                aria-invalid={customError ? true : undefined}
                aria-describedby={customError ? `${id}-until-error` : undefined}
                onInput={(e) => setCustom((e.currentTarget as HTMLInputElement).value)}
              />
              <button type="submit" disabled={busy}>
                Snooze until then
              </button>
              {customError && (
                <p role="alert" id={`${id}-until-error`} class="notice error">
                  {customError}
                </p>
              )}
            </form>
          </div>
        )}
      </span>
      <label for={`${id}-assignee`}>Assignee</label>
      <select
        id={`${id}-assignee`}
        value={assigned ?? ''}
        disabled={busy}
        onChange={(e) => {
          const value = (e.currentTarget as HTMLSelectElement).value || null;
          const who = value === null ? null : value === meId ? 'you' : (others.find((a) => a.id === value)?.name ?? value);
          void change({ assigneeId: value }, who === null ? 'Conversation unassigned.' : `Assigned to ${who}.`);
        }}
      >
        <option value="">Unassigned</option>
        <option value={meId}>Me</option>
        {others.map((a) => (
          <option key={a.id} value={a.id}>
            {a.name ?? a.email ?? a.id}
          </option>
        ))}
        {unknownAssignee && <option value={assigned}>Another administrator</option>}
      </select>
      <Notice note={note} inline />
    </div>
  );
}

/**
 * Whether the conversation's AI assistant answers it (docs/assistant.md): "AI assistant answering" with its
 * name and Take over, which makes it quiet there for good; or "Handed to the team" once it no longer
 * answers (taken over, or passed to the team by the user or by a failure). Nothing without an assistant.
 */
export function AssistantStatus({ assistant, onTakeOver }: { assistant: Conversation['assistant'] | undefined; onTakeOver: () => Promise<void> }) {
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<Note>(null);
  if (!assistant) return null;
  const takeOver = async () => {
    setBusy(true);
    setNote(null);
    try {
      await onTakeOver();
      setNote({ ok: true, text: `You took over: ${assistant.name} no longer answers in this conversation.` });
    } catch (e) {
      setNote({ ok: false, text: errorText(e) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="assistant-status" data-testid="assistant-status">
      {assistant.active ? (
        <>
          <span class="badge ai">
            AI assistant answering: <strong>{assistant.name}</strong>
          </span>{' '}
          <button type="button" disabled={busy} onClick={() => void takeOver()}>
            Take over
          </button>
        </>
      ) : (
        <span class="badge handed">Handed to the team</span>
      )}{' '}
      <Notice note={note} inline />
    </div>
  );
}
