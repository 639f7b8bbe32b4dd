/**
 * The form that creates an assistant or changes one (docs/assistant.md): the model it calls (an
 * OpenAI-compatible base URL, a model and an API key), what it is told, when and where it answers, and its
 * daily limits. The API key is write-only: the API answers only its last characters, which are shown beside
 * an empty field that is never filled in; a change sends only the fields that differ from the saved
 * assistant, so the key is kept unless a new one is typed. Fields are checked here first (each problem said
 * under its field, focus on the first), then by the server, whose refusal is said by its code.
 */
import type { InputHTMLAttributes, JSX } from 'preact';
import { useEffect, useId, useState } from 'preact/hooks';
import type { AdminApi, Assistant, AssistantAnswers, AssistantInput, AssistantLimits } from './api.js';
import { Notice, useAction } from './ui.js';

type LimitKey = keyof AssistantLimits;
const LIMITS: readonly [LimitKey, string][] = [
  ['userMessagesPerDay', 'Messages per user'],
  ['userTokensPerDay', 'Tokens per user'],
  ['organizationMessagesPerDay', 'Messages per organization'],
  ['organizationTokensPerDay', 'Tokens per organization'],
];

/** The answers to "when does it answer", in the order the form offers them (a Record, so none is missing). */
const ANSWER_LABELS: Readonly<Record<AssistantAnswers, string>> = {
  always: 'Always',
  when_offline: 'Only while no administrator is online',
  never: 'Never (switched off)',
};
export const ANSWERS = Object.entries(ANSWER_LABELS) as [AssistantAnswers, string][];

export const CONTEXT_MIN = 256;
export const CONTEXT_MAX = 128_000;
const LIMIT_MAX = 1_000_000_000;

interface Draft {
  name: string;
  baseUrl: string;
  model: string;
  apiKey: string;
  systemPrompt: string;
  temperature: string;
  answers: AssistantAnswers;
  everyOrganization: boolean;
  organizationIds: string;
  documentRooms: boolean;
  shareTokenMetadata: boolean;
  allowPrivateAddress: boolean;
  contextTokens: string;
  limits: Record<LimitKey, string>;
}
type FieldKey = 'name' | 'baseUrl' | 'model' | 'apiKey' | 'temperature' | 'organizationIds' | 'contextTokens' | LimitKey;
/** The fields in the form's order, so that focus goes to the first one with a problem. */
const FIELD_ORDER: readonly FieldKey[] = ['name', 'baseUrl', 'model', 'apiKey', 'temperature', 'organizationIds', 'contextTokens', ...LIMITS.map(([key]) => key)];

const NEW: Draft = {
  name: '',
  baseUrl: '',
  model: '',
  apiKey: '',
  systemPrompt: '',
  temperature: '0.7',
  answers: 'always',
  everyOrganization: true,
  organizationIds: '',
  documentRooms: false,
  shareTokenMetadata: false,
  allowPrivateAddress: false,
  contextTokens: '4000',
  limits: { userMessagesPerDay: '', userTokensPerDay: '', organizationMessagesPerDay: '', organizationTokensPerDay: '' },
};

const limitText = (n: number | null) => (n === null ? '' : String(n));

function draftOf(a: Assistant | null): Draft {
  if (!a) return NEW;
  return {
    name: a.name,
    baseUrl: a.baseUrl,
    model: a.model,
    apiKey: '',
    systemPrompt: a.systemPrompt,
    temperature: String(a.temperature),
    answers: a.answers,
    everyOrganization: a.organizationIds === null,
    organizationIds: (a.organizationIds ?? []).join(', '),
    documentRooms: a.documentRooms,
    shareTokenMetadata: a.shareTokenMetadata,
    allowPrivateAddress: a.allowPrivateAddress,
    contextTokens: String(a.contextTokens),
    limits: {
      userMessagesPerDay: limitText(a.limits.userMessagesPerDay),
      userTokensPerDay: limitText(a.limits.userTokensPerDay),
      organizationMessagesPerDay: limitText(a.limits.organizationMessagesPerDay),
      organizationTokensPerDay: limitText(a.limits.organizationTokensPerDay),
    },
  };
}

/** Organization ids as typed: separated by commas, spaces or lines, each once. */
const idsOf = (text: string) => [...new Set(text.split(/[\s,]+/).filter(Boolean))];

const isHttpUrl = (text: string) => {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
};

/** A whole number from `min` up (and up to `max`), or why not. */
function wholeNumber(text: string, min: number, max = Number.MAX_SAFE_INTEGER): number | string {
  const n = Number(text.trim());
  if (text.trim() === '' || !Number.isInteger(n)) return 'Write a whole number.';
  if (n < min || n > max) return max === Number.MAX_SAFE_INTEGER ? `Write ${min} or more.` : `Write a number from ${min} to ${max}.`;
  return n;
}

/** What the draft asks for (every field, as POST takes them), and what is wrong with it, by field. */
function readDraft(draft: Draft, isNew: boolean): { values: Required<Omit<AssistantInput, 'apiKey'>>; problems: Map<FieldKey, string> } {
  const problems = new Map<FieldKey, string>();
  const name = draft.name.trim();
  const baseUrl = draft.baseUrl.trim();
  const model = draft.model.trim();
  if (!name) problems.set('name', 'Give the assistant a name: users see it on its answers.');
  if (!baseUrl) problems.set('baseUrl', 'Write the base URL of the model’s API.');
  else if (!isHttpUrl(baseUrl)) problems.set('baseUrl', 'Write a full http:// or https:// URL.');
  if (!model) problems.set('model', 'Write the model’s name.');
  if (isNew && !draft.apiKey.trim()) problems.set('apiKey', 'Write the provider’s API key (a local Ollama takes any text).');
  const temperature = Number(draft.temperature.trim());
  if (draft.temperature.trim() === '' || !Number.isFinite(temperature) || temperature < 0 || temperature > 2) problems.set('temperature', 'Write a number from 0 to 2.');
  const organizationIds = draft.everyOrganization ? null : idsOf(draft.organizationIds);
  if (organizationIds?.length === 0) problems.set('organizationIds', 'List at least one organization id, or choose every organization.');
  const context = wholeNumber(draft.contextTokens, CONTEXT_MIN, CONTEXT_MAX);
  if (typeof context === 'string') problems.set('contextTokens', context);
  const limits = {} as AssistantLimits;
  for (const [key] of LIMITS) {
    const text = draft.limits[key].trim();
    const n = text === '' ? null : wholeNumber(text, 0, LIMIT_MAX);
    if (typeof n === 'string') problems.set(key, `${n} Empty: no limit.`);
    limits[key] = typeof n === 'number' ? n : null;
  }
  return {
    values: {
      name,
      baseUrl,
      model,
      systemPrompt: draft.systemPrompt,
      temperature,
      answers: draft.answers,
      organizationIds,
      documentRooms: draft.documentRooms,
      shareTokenMetadata: draft.shareTokenMetadata,
      allowPrivateAddress: draft.allowPrivateAddress,
      contextTokens: typeof context === 'number' ? context : 0,
      limits,
    },
    problems,
  };
}

/** The fields of `values` that differ from `saved`. */
function changesOf(values: ReturnType<typeof readDraft>['values'], saved: Assistant): AssistantInput {
  const patch: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) if (JSON.stringify(value) !== JSON.stringify(saved[key as keyof Assistant])) patch[key] = value;
  return patch as AssistantInput;
}

const valueOf = (e: Event) => (e.currentTarget as HTMLInputElement | HTMLTextAreaElement).value;
const checkedOf = (e: Event) => (e.currentTarget as HTMLInputElement).checked;

/** `assistant` null: a new one, created on submit and handed to `onSaved`; else that one, changed. */
export function AssistantForm({ api, assistant, onSaved, onDirty, children }: {
  api: AdminApi;
  assistant: Assistant | null;
  onSaved: (saved: Assistant) => void;
  /** Told whether the form holds changes not saved yet (an assistant's form only). */
  onDirty?: (dirty: boolean) => void;
  /** More buttons for the form's last row (Delete). */
  children?: JSX.Element;
}) {
  const [draft, setDraft] = useState<Draft>(() => draftOf(assistant));
  const [shown, setShown] = useState<ReadonlySet<FieldKey>>(new Set());
  const save = useAction();
  const base = useId();
  const id = (key: string) => `${base}-${key}`;
  const { values, problems } = readDraft(draft, !assistant);
  const problem = (key: FieldKey) => (shown.has(key) ? problems.get(key) : undefined);
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft((d) => ({ ...d, [key]: value }));
  const seen = (key: FieldKey) => () => setShown((keys) => new Set([...keys, key]));
  const dirty = assistant !== null && (draft.apiKey.trim() !== '' || Object.keys(changesOf(values, assistant)).length > 0);
  useEffect(() => onDirty?.(dirty), [dirty]);

  const submit = (e: Event) => {
    e.preventDefault();
    if (problems.size > 0) {
      setShown(new Set(FIELD_ORDER));
      save.setNote({ ok: false, text: problems.size === 1 ? 'One field needs a change: see below it.' : `${problems.size} fields need a change: see below each.` });
      document.getElementById(id(FIELD_ORDER.find((key) => problems.has(key))!))?.focus();
      return;
    }
    const apiKey = draft.apiKey.trim();
    if (!assistant) {
      void save.run(async () => {
        const created = await api.createAssistant({ ...values, apiKey });
        onSaved(created);
        return `${created.name} created.`;
      });
      return;
    }
    const patch: AssistantInput = { ...changesOf(values, assistant), ...(apiKey ? { apiKey } : {}) };
    if (Object.keys(patch).length === 0) return save.setNote({ ok: true, text: 'Nothing to save: no field changed.' });
    void save.run(async () => {
      const saved = await api.updateAssistant(assistant.id, patch);
      setDraft(draftOf(saved));
      setShown(new Set());
      onSaved(saved);
      return patch.apiKey ? 'Saved. The new API key is in use.' : 'Saved.';
    });
  };

  /** A one-line field with its label, help and problem (said under it, and read with it). */
  const text = (key: 'name' | 'baseUrl' | 'model' | 'temperature' | 'contextTokens', label: string, help: string | null, attrs: InputHTMLAttributes<HTMLInputElement>) => (
    <div class="field">
      <label for={id(key)}>{label}</label>
      <input
        id={id(key)}
        value={draft[key]}
        aria-invalid={problem(key) ? 'true' : undefined}
        aria-describedby={[help ? `${id(key)}-help` : '', problem(key) ? `${id(key)}-error` : ''].filter(Boolean).join(' ') || undefined}
        onInput={(e) => set(key, valueOf(e))}
        onBlur={seen(key)}
        {...attrs}
      />
      {help && (
        <p id={`${id(key)}-help`} class="muted">
          {help}
        </p>
      )}
      <FieldError id={`${id(key)}-error`} text={problem(key)} />
    </div>
  );

  return (
    <form class="assistant-form" noValidate onSubmit={submit} aria-label={assistant ? `Settings of ${assistant.name}` : 'New assistant'}>
      {text('name', 'Name', 'Shown to users on its answers.', { maxLength: 80, autocomplete: 'off' })}
      {text('baseUrl', 'Base URL', 'An OpenAI-compatible API: OpenAI https://api.openai.com/v1, Ollama http://127.0.0.1:11434/v1.', {
        type: 'url',
        class: 'mono',
        maxLength: 2000,
        placeholder: 'https://api.openai.com/v1',
        autocomplete: 'off',
        spellcheck: false,
      })}
      {text('model', 'Model', 'As the provider names it, e.g. gpt-4o-mini or llama3.1.', { class: 'mono', maxLength: 200, autocomplete: 'off', spellcheck: false })}
      <div class="field">
        <label for={id('apiKey')}>{assistant ? 'Replace the API key' : 'API key'}</label>
        <input
          id={id('apiKey')}
          type="password"
          class="mono"
          value={draft.apiKey}
          autocomplete="new-password"
          spellcheck={false}
          aria-invalid={problem('apiKey') ? 'true' : undefined}
          aria-describedby={`${id('apiKey')}-help${problem('apiKey') ? ` ${id('apiKey')}-error` : ''}`}
          onInput={(e) => set('apiKey', valueOf(e))}
          onBlur={seen('apiKey')}
        />
        <p id={`${id('apiKey')}-help`} class="muted">
          {assistant ? (
            <>
              Now <code data-testid="api-key-hint">{assistant.apiKeyHint}</code>. Leave empty to keep it; Parley never shows a key again.
            </>
          ) : (
            'Stored on the server and never shown again. A local Ollama takes any text.'
          )}
        </p>
        <FieldError id={`${id('apiKey')}-error`} text={problem('apiKey')} />
      </div>
      <div class="field">
        <label for={id('systemPrompt')}>System prompt</label>
        <textarea id={id('systemPrompt')} rows={6} maxLength={20000} value={draft.systemPrompt} aria-describedby={`${id('systemPrompt')}-help`} onInput={(e) => set('systemPrompt', valueOf(e))} />
        <p id={`${id('systemPrompt')}-help`} class="muted">
          What the model is told before every conversation: who it speaks for, what it may answer, when to suggest a person.
        </p>
      </div>
      {text('temperature', 'Temperature', 'From 0 (steady) to 2 (inventive).', { type: 'number', min: 0, max: 2, step: 0.1, inputMode: 'decimal' })}

      <fieldset class="field">
        <legend>When it answers</legend>
        {ANSWERS.map(([value, label]) => (
          <label key={value} class="choice">
            <input type="radio" name={id('answers')} value={value} checked={draft.answers === value} onChange={() => set('answers', value)} />
            {label}
          </label>
        ))}
      </fieldset>

      <fieldset class="field">
        <legend>Organizations</legend>
        <label class="choice">
          <input type="radio" name={id('organizations')} checked={draft.everyOrganization} onChange={() => set('everyOrganization', true)} />
          Every organization
        </label>
        <label class="choice">
          <input type="radio" name={id('organizations')} checked={!draft.everyOrganization} onChange={() => set('everyOrganization', false)} />
          Only these
        </label>
        {!draft.everyOrganization && (
          <>
            <label for={id('organizationIds')} class="sub">
              Organization ids
            </label>
            <input
              id={id('organizationIds')}
              class="mono"
              value={draft.organizationIds}
              autocomplete="off"
              spellcheck={false}
              aria-invalid={problem('organizationIds') ? 'true' : undefined}
              aria-describedby={`${id('organizationIds')}-help${problem('organizationIds') ? ` ${id('organizationIds')}-error` : ''}`}
              onInput={(e) => set('organizationIds', valueOf(e))}
              onBlur={seen('organizationIds')}
            />
            <p id={`${id('organizationIds')}-help`} class="muted">
              Separated by commas or spaces, as your signed tokens name them.
            </p>
            <FieldError id={`${id('organizationIds')}-error`} text={problem('organizationIds')} />
          </>
        )}
      </fieldset>

      <fieldset class="field">
        <legend>Options</legend>
        <label class="switch">
          <input type="checkbox" checked={draft.documentRooms} onChange={(e) => set('documentRooms', checkedOf(e))} />
          Also answer in document rooms
        </label>
        <label class="switch">
          <input type="checkbox" checked={draft.shareTokenMetadata} aria-describedby={`${id('share')}-help`} onChange={(e) => set('shareTokenMetadata', checkedOf(e))} />
          Share the signed token’s metadata
        </label>
        <p id={`${id('share')}-help`} class="muted">
          The metadata your backend signs into the user’s token (plan, account, …) goes to the model with each conversation.
        </p>
        <label class="switch">
          <input type="checkbox" checked={draft.allowPrivateAddress} aria-describedby={`${id('private')}-help`} onChange={(e) => set('allowPrivateAddress', checkedOf(e))} />
          Allow a private address
        </label>
        <p id={`${id('private')}-help`} class={draft.allowPrivateAddress ? 'warning' : 'muted'}>
          {draft.allowPrivateAddress
            ? 'Parley will call this base URL even on this machine or inside your network: only for a model you run yourself, such as a local Ollama.'
            : 'Off: Parley refuses a base URL on a loopback or private address.'}
        </p>
      </fieldset>

      {text('contextTokens', 'Context budget (tokens)', `How much of the recent conversation goes to the model with each message: ${CONTEXT_MIN} to ${CONTEXT_MAX.toLocaleString('en-US')}.`, {
        type: 'number',
        min: CONTEXT_MIN,
        max: CONTEXT_MAX,
        step: 1,
        inputMode: 'numeric',
      })}

      <fieldset class="field limits">
        <legend>Daily limits</legend>
        <p class="muted">The assistant’s replies and their tokens per UTC day; empty is unlimited. When one is reached the assistant stops and the team answers.</p>
        <div class="limit-grid">
          {LIMITS.map(([key, label]) => (
            <div key={key}>
              <label for={id(key)}>{label}</label>
              <input
                id={id(key)}
                type="number"
                min={0}
                step={1}
                inputMode="numeric"
                value={draft.limits[key]}
                placeholder="Unlimited"
                aria-invalid={problem(key) ? 'true' : undefined}
                aria-describedby={problem(key) ? `${id(key)}-error` : undefined}
                onInput={(e) => {
                  const value = valueOf(e);
                  setDraft((d) => ({ ...d, limits: { ...d.limits, [key]: value } }));
                }}
                onBlur={seen(key)}
              />
              <FieldError id={`${id(key)}-error`} text={problem(key)} />
            </div>
          ))}
        </div>
      </fieldset>

      <div class="row">
        <button type="submit" class="primary" disabled={save.busy}>
          {assistant ? 'Save changes' : 'Create assistant'}
        </button>
        {children}
      </div>
      <Notice note={save.note} />
    </form>
  );
}

function FieldError({ id, text }: { id: string; text: string | undefined }) {
  return text ? (
    <p id={id} class="field-error">
      {text}
    </p>
  ) : null;
}
