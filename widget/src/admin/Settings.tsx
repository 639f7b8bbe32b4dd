/**
 * Settings the panel may change, each saved on its own; one fixed by the environment is shown read-only with
 * the variable that fixes it. External auth's on/off switch lives on the external auth page. Below them, email
 * (EmailSettings.tsx) and the widget's look and words (WidgetSettings.tsx).
 */
import { useState } from 'preact/hooks';
import type { AdminApi, Setting, SettingName, SettingsPatch } from './api.js';
import { Loading, lockedText, Notice, useAction, useLoad } from './ui.js';
import { EmailSettings } from './EmailSettings.js';
import { draftOf } from './widget-draft.js';
import { WidgetSettings } from './WidgetSettings.js';

type Kind = 'number' | 'lines' | 'text' | 'methods';
/** The choices of `signInMethods`, by the draft's value (the methods joined by commas). */
const METHODS: [string, string][] = [
  ['external', 'External auth (signed tokens) only'],
  ['email', 'Email (a code and a link) only'],
  ['external,email', 'External auth and email'],
];
const FIELDS: { name: SettingName; label: string; help: string; kind: Kind }[] = [
  { name: 'seatLimit', label: 'Seat limit', help: 'The most accounts that may be active at once.', kind: 'number' },
  {
    name: 'allowedOrigins',
    label: 'Allowed origins',
    help: 'Sites that may embed the widget, one origin per line (https://app.example.com). Empty: only this server’s own origin.',
    kind: 'lines',
  },
  { name: 'tokenMaxLifetime', label: 'Token maximum lifetime', help: 'The longest a signed token may be valid, such as 15m, 12h or 7d.', kind: 'text' },
  {
    name: 'signInMethods',
    label: 'Sign-in methods',
    help: 'What the widget and the hosted page offer a visitor without a session. Email needs an SMTP server; signed tokens keep working as long as external auth is on.',
    kind: 'methods',
  },
  {
    name: 'emailSignInDomains',
    label: 'Email sign-in domains',
    help: 'Only addresses of these domains (one per line, such as example.com) get a new account by email; existing accounts always can. Empty: anyone.',
    kind: 'lines',
  },
];

function toDraft(kind: Kind, value: unknown): string {
  if (kind === 'lines') return Array.isArray(value) ? value.join('\n') : '';
  if (kind === 'methods') return Array.isArray(value) ? value.join(',') : 'external';
  return value === null || value === undefined ? '' : String(value);
}

/** The PATCH value for a draft, or a sentence saying why there is none. */
function parse(kind: Kind, draft: string): { value: SettingsPatch[keyof SettingsPatch] } | { problem: string } {
  if (kind === 'number') return /^\s*\d+\s*$/.test(draft) ? { value: Number(draft) } : { problem: 'Enter a whole number.' };
  if (kind === 'methods') return { value: draft.split(',') };
  if (kind === 'lines') {
    const origins = draft.split('\n').map((l) => l.trim()).filter(Boolean);
    return { value: origins.length ? origins : null };
  }
  return draft.trim() ? { value: draft.trim() } : { problem: 'Enter a duration such as 7d.' };
}

function Field({ api, field, setting, onSaved }: { api: AdminApi; field: (typeof FIELDS)[number]; setting: Setting; onSaved: (all: Setting[]) => void }) {
  const [draft, setDraft] = useState(() => toDraft(field.kind, setting.value));
  const { busy, note, setNote, run } = useAction();
  const id = `setting-${field.name}`;
  const save = (e: Event) => {
    e.preventDefault();
    const parsed = parse(field.kind, draft);
    if ('problem' in parsed) return setNote({ ok: false, text: parsed.problem });
    void run(async () => {
      const all = await api.updateSettings({ [field.name]: parsed.value });
      const saved = all.find((s) => s.name === field.name);
      if (saved) setDraft(toDraft(field.kind, saved.value));
      onSaved(all);
      return 'Saved.';
    });
  };
  const common = {
    id,
    value: draft,
    readOnly: setting.locked,
    'aria-describedby': `${id}-help`,
    onInput: (e: Event) => setDraft((e.currentTarget as HTMLInputElement).value),
  };
  return (
    <form class="card setting" onSubmit={save} data-setting={field.name}>
      <label for={id}>{field.label}</label>
      <div class="row">
        {field.kind === 'methods' ? (
          <select {...common} disabled={setting.locked} onChange={common.onInput}>
            {METHODS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        ) : field.kind === 'lines' ? (
          <textarea {...common} rows={4} class="mono" />
        ) : field.kind === 'number' ? (
          <input {...common} type="number" min={0} step={1} />
        ) : (
          <input {...common} type="text" />
        )}
        {!setting.locked && (
          <button type="submit" class="primary" disabled={busy} aria-label={`Save ${field.label.toLowerCase()}`}>
            Save
          </button>
        )}
      </div>
      <p id={`${id}-help`} class="muted">
        {setting.locked ? <strong class="locked">{lockedText(setting)}</strong> : field.help}
      </p>
      <Notice note={note} />
    </form>
  );
}

export function SettingsPage({ api }: { api: AdminApi }) {
  const body = useLoad(() => api.settingsBody(), []);
  if (!body.data) return <Loading error={body.error} />;
  const settings = body.data.settings;
  const byName = new Map(settings.map((s) => [s.name, s]));
  const saved = (all: Setting[]) => body.set((b) => ({ ...b, settings: all }));
  return (
    <>
      {FIELDS.map((field) => {
        const setting = byName.get(field.name);
        return setting && <Field key={field.name} api={api} field={field} setting={setting} onSaved={saved} />;
      })}
      <EmailSettings api={api} settings={settings} email={body.data.email} onSaved={(b) => body.set(() => b)} />
      {draftOf(settings) && <WidgetSettings api={api} settings={settings} onSaved={saved} />}
    </>
  );
}
