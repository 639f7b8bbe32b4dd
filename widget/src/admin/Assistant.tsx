/**
 * The Assistant page (docs/assistant.md): the AI assistants that answer users with a language model, in
 * three views on one hash route: the list (`#/assistant`), a new one (`#/assistant/new`) and one assistant
 * (`#/assistant/<id>`: a summary and a test message to its provider, its usage by day, then its settings and
 * Delete). The list is read once and kept in step with what this page changes. Moving between the views
 * moves focus to the new view's heading, as moving between pages does.
 */
import type { JSX } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api/client.js';
import type { AdminApi, Assistant } from './api.js';
import { ANSWERS, AssistantForm } from './AssistantForm.js';
import { AssistantUsageView } from './AssistantUsage.js';
import { errorText } from './errors.js';
import { href } from './route.js';
import { Alert, ConfirmButton, DataTable, Loading, Notice, useAction, useLoad } from './ui.js';

const NEW = 'new';
const ANSWER_TEXT = new Map(ANSWERS);

/** The host of a base URL (what tells OpenAI from a local Ollama at a glance), or the URL as it is. */
function hostOf(baseUrl: string): string {
  try {
    return new URL(baseUrl).host;
  } catch {
    return baseUrl;
  }
}

const organizationsText = (ids: readonly string[] | null) => (ids === null ? 'All' : ids.join(', '));

/** A time in milliseconds as people read it: 850 ms, 1.2 s. */
const duration = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);

function List({ assistants, said }: { assistants: Assistant[]; said: string | null }) {
  const id = useId();
  return (
    <>
      <p class="muted">
        An assistant answers users’ messages with a language model, through any OpenAI-compatible API (OpenAI, Ollama, …), and passes the conversation to the team when
        the user asks for a person, when it cannot answer or when a daily limit is reached. Of the assistants that serve a conversation’s organization, the oldest one
        answers.
      </p>
      <p>
        <a class="button primary" href={href('assistant', NEW)}>
          New assistant
        </a>
      </p>
      <section class="card" aria-labelledby={`${id}-all`}>
        <h2 id={`${id}-all`} tabIndex={-1} data-view-heading>
          Assistants
        </h2>
        <p role="status" class="muted" data-testid="assistants-said">
          {said}
        </p>
        <DataTable
          class="assistants"
          label="Assistants"
          columns={['Name', 'Model', 'Base URL', 'Answers', 'Organizations']}
          rows={assistants}
          empty={<p class="muted empty">No assistant yet: users’ messages wait for the team.</p>}
          row={(a) => (
            <tr key={a.id} data-assistant-id={a.id} class={a.answers === 'never' ? 'inactive' : undefined}>
              <th scope="row">
                <a href={href('assistant', a.id)}>{a.name}</a>
              </th>
              <td class="mono">{a.model}</td>
              <td class="mono" title={a.baseUrl}>
                {hostOf(a.baseUrl)}
              </td>
              <td>{ANSWER_TEXT.get(a.answers) ?? a.answers}</td>
              <td>{organizationsText(a.organizationIds)}</td>
            </tr>
          )}
        />
      </section>
    </>
  );
}

/** "Test": one message to the provider with the saved settings; its reply and time to first token, or what failed. */
function TestPanel({ api, assistant, unsaved }: { api: AdminApi; assistant: Assistant; unsaved: boolean }) {
  const [state, setState] = useState<{ busy: boolean; result: { reply: string; firstTokenMs: number } | null; error: string | null }>({ busy: false, result: null, error: null });
  const id = useId();
  const test = async () => {
    setState({ busy: true, result: null, error: null });
    try {
      setState({ busy: false, result: await api.testAssistant(assistant.id), error: null });
    } catch (error) {
      setState({ busy: false, result: null, error: errorText(error) });
    }
  };
  return (
    <div class="assistant-test" role="group" aria-labelledby={`${id}-test`}>
      <h3 id={`${id}-test`}>Test</h3>
      <p class="muted">Sends a short message to the model with the saved settings, as a user’s first message would be.</p>
      {unsaved && <p class="warning">The settings below have changes not saved yet: Test uses the saved ones.</p>}
      <div class="row">
        <button type="button" disabled={state.busy} onClick={() => void test()}>
          Test
        </button>
        <span role="status" data-testid="test-said">
          {state.busy ? 'Waiting for the model…' : state.result ? `Answered: first token after ${duration(state.result.firstTokenMs)}.` : null}
        </span>
      </div>
      {state.result && (
        <blockquote class="test-reply" data-testid="test-reply" aria-label="The model’s reply">
          {state.result.reply || <span class="muted">(an empty reply)</span>}
        </blockquote>
      )}
      <Alert text={state.error} />
    </div>
  );
}

function Detail({ api, assistant, back, said, onSaved, onDeleted }: {
  api: AdminApi;
  assistant: Assistant;
  back: JSX.Element;
  said: string | null;
  onSaved: (saved: Assistant) => void;
  onDeleted: (gone: Assistant) => void;
}) {
  const remove = useAction();
  const [unsaved, setUnsaved] = useState(false);
  const id = useId();
  return (
    <>
      {back}
      <section class="card" aria-labelledby={`${id}-name`}>
        <h2 id={`${id}-name`} tabIndex={-1} data-view-heading>
          {assistant.name}
        </h2>
        <p role="status" class={said ? 'notice ok' : 'notice idle'} data-testid="assistant-said">
          {said}
        </p>
        <p class="muted" data-testid="assistant-summary">
          <span class="mono">{assistant.model}</span> at <span class="mono">{hostOf(assistant.baseUrl)}</span> · answers: {(ANSWER_TEXT.get(assistant.answers) ?? assistant.answers).toLowerCase()} ·
          organizations: {assistant.organizationIds === null ? 'all' : assistant.organizationIds.join(', ')}
        </p>
        <TestPanel key={assistant.id} api={api} assistant={assistant} unsaved={unsaved} />
      </section>
      <AssistantUsageView key={assistant.id} api={api} assistantId={assistant.id} />
      <section class="card" aria-labelledby={`${id}-settings`}>
        <h2 id={`${id}-settings`}>Settings</h2>
        <AssistantForm key={assistant.id} api={api} assistant={assistant} onSaved={onSaved} onDirty={setUnsaved}>
          <ConfirmButton
            label="Delete assistant"
            question={`Delete ${assistant.name}? It stops answering at once.`}
            confirmLabel="Delete"
            danger
            disabled={remove.busy}
            onConfirm={() =>
              void remove.run(async () => {
                await api.deleteAssistant(assistant.id);
                onDeleted(assistant);
                return 'Deleted.';
              })
            }
          />
        </AssistantForm>
        <Notice note={remove.note?.ok ? null : remove.note} />
      </section>
    </>
  );
}

export function AssistantPage({ api, id }: { api: AdminApi; id: string | null }) {
  const list = useLoad(() => api.assistants(), [api]);
  // What the last change was, said in the view it led to (the new assistant's, or the list after Delete).
  const [said, setSaid] = useState<{ view: string | null; text: string } | null>(null);
  const view = useRef<HTMLDivElement>(null);
  const shownId = useRef<string | null | undefined>(undefined);
  const go = (to: string | null, text: string) => {
    setSaid({ view: to, text });
    location.hash = href('assistant', to);
  };
  const loaded = list.data !== undefined;
  useEffect(() => {
    if (!loaded) return;
    // A new view (not the first, which the page's own heading serves) takes focus at its heading.
    if (shownId.current !== undefined && shownId.current !== id) view.current?.querySelector<HTMLElement>('[data-view-heading]')?.focus();
    shownId.current = id;
  }, [id, loaded]);

  if (!list.data) return <Loading error={list.error} />;
  const saidHere = said && said.view === id ? said.text : null;
  const assistant = id && id !== NEW ? list.data.find((a) => a.id === id) : undefined;
  const back = (
    <p>
      <a href={href('assistant')}>← All assistants</a>
    </p>
  );
  return (
    <div ref={view}>
      {id === null ? (
        <List assistants={list.data} said={saidHere} />
      ) : id === NEW ? (
        <>
          {back}
          <section class="card" aria-labelledby="assistant-new">
            <h2 id="assistant-new" tabIndex={-1} data-view-heading>
              New assistant
            </h2>
            <AssistantForm
              api={api}
              assistant={null}
              onSaved={(created) => {
                list.set((all) => [...all, created]);
                go(created.id, `${created.name} created. Test it now, or change its settings below.`);
              }}
            />
          </section>
        </>
      ) : assistant ? (
        <Detail
          api={api}
          assistant={assistant}
          back={back}
          said={saidHere}
          onSaved={(saved) => {
            setSaid(null);
            list.set((all) => all.map((a) => (a.id === saved.id ? saved : a)));
          }}
          onDeleted={(gone) => {
            list.set((all) => all.filter((a) => a.id !== gone.id));
            go(null, `Deleted ${gone.name}.`);
          }}
        />
      ) : (
        <>
          <p role="alert" class="notice error">
            {errorText(new ApiError(404, 'assistant_not_found', ''))}
          </p>
          {back}
        </>
      )}
    </div>
  );
}
