// @vitest-environment happy-dom
/**
 * The Assistant page against a fake admin server: the list, creating one (checked in the form first, then
 * refused by the server's codes), changing one with its API key kept unless a new one is typed, deleting
 * after asking, the Test button's reply and time to first token or the provider's failure, and the usage
 * tables of a day.
 */
import { act } from 'preact/test-utils';
import { describe, expect, it } from 'vitest';
import type { Assistant, AssistantUsage } from '../../widget/src/admin/api.js';
import { click as clickOnce, settle } from '../helpers/dom.js';
import { T0, callsTo, choose, dom, fail, input, ok, serve, until, withAdminPage, type Handler } from './admin-fake.js';

let container: HTMLElement;
let d: ReturnType<typeof dom>;
withAdminPage((page) => ({ container, d } = page));
const click = (el: HTMLElement) => clickOnce(el, 2);

const assistant = (id: string, fields: Partial<Assistant> = {}): Assistant => ({
  id,
  name: 'Sam',
  baseUrl: 'https://api.openai.com/v1',
  model: 'gpt-4o-mini',
  apiKeyHint: '…abcd',
  systemPrompt: 'You answer for Acme.',
  temperature: 0.3,
  answers: 'always',
  organizationIds: null,
  documentRooms: false,
  shareTokenMetadata: false,
  allowPrivateAddress: false,
  contextTokens: 4000,
  limits: { userMessagesPerDay: null, userTokensPerDay: null, organizationMessagesPerDay: null, organizationTokensPerDay: null },
  createdAt: T0,
  updatedAt: T0,
  ...fields,
});

const BASE = '/api/v1/admin/assistants';
/** A fake that keeps its assistants: list, create (as `ast_new`), change, delete, plus `more` routes. */
function serveAssistants(start: Assistant[], more: Record<string, Handler> = {}) {
  let list = [...start];
  const routes: Record<string, Handler> = {
    [`GET ${BASE}`]: () => ok({ assistants: list }),
    [`POST ${BASE}`]: (call) => {
      const { apiKey, ...body } = call.body as Record<string, unknown> & { apiKey: string };
      const made = assistant('ast_new', { ...(body as Partial<Assistant>), apiKeyHint: `…${apiKey.slice(-4)}` });
      list = [...list, made];
      return { status: 201, body: { assistant: made } };
    },
    ...more,
  };
  for (const a of start) {
    routes[`GET ${BASE}/${a.id}/usage`] ??= () => ok({ day: '2026-03-01', users: [], organizations: [] });
    routes[`PATCH ${BASE}/${a.id}`] ??= (call) => {
      const { apiKey, ...patch } = call.body as Record<string, unknown> & { apiKey?: string };
      const current = list.find((x) => x.id === a.id)!;
      const changed = { ...current, ...(patch as Partial<Assistant>), ...(apiKey ? { apiKeyHint: `…${apiKey.slice(-4)}` } : {}), updatedAt: '2026-03-01T11:00:00.000Z' };
      list = list.map((x) => (x.id === a.id ? changed : x));
      return ok({ assistant: changed });
    };
    routes[`DELETE ${BASE}/${a.id}`] ??= () => {
      list = list.filter((x) => x.id !== a.id);
      return { status: 204 };
    };
  }
  serve(routes);
}

async function go(hash: string) {
  await act(() => {
    location.hash = hash;
  });
  await settle();
  await settle();
}
const row = (id: string) => d.q(`[data-assistant-id="${id}"]`)!;
const cells = (id: string) => [...row(id).querySelectorAll('th, td')].map((c) => d.text(c));
const fieldError = (label: string) => {
  const ids = d.control(label).getAttribute('aria-describedby')?.split(' ') ?? [];
  return ids.map((id) => container.querySelector(`#${CSS.escape(id)}.field-error`)).find(Boolean)?.textContent ?? null;
};

describe('the Assistant page', () => {
  it('is in the navigation and lists each assistant: name, model, base URL host, when it answers, organizations', async () => {
    serveAssistants([
      assistant('ast_1'),
      assistant('ast_2', { name: 'Local', baseUrl: 'http://127.0.0.1:11434/v1', model: 'llama3.1', answers: 'when_offline', organizationIds: ['acme', 'globex'] }),
      assistant('ast_3', { name: 'Off', answers: 'never' }),
    ]);
    await d.mount('#/assistant');
    expect(d.all('nav a').map((a) => d.text(a))).toContain('Assistant');
    expect(d.text(d.q('main h1'))).toBe('Assistant');
    expect(d.all('table.assistants thead th').map((th) => d.text(th))).toEqual(['Name', 'Model', 'Base URL', 'Answers', 'Organizations']);
    expect(cells('ast_1')).toEqual(['Sam', 'gpt-4o-mini', 'api.openai.com', 'Always', 'All']);
    expect(cells('ast_2')).toEqual(['Local', 'llama3.1', '127.0.0.1:11434', 'Only while no administrator is online', 'acme, globex']);
    expect(cells('ast_3')[3]).toBe('Never (switched off)');
    expect(row('ast_3').className).toBe('inactive');
    expect(row('ast_2').querySelector('a')!.getAttribute('href')).toBe('#/assistant/ast_2');
  });

  it('says when there is none', async () => {
    serveAssistants([]);
    await d.mount('#/assistant');
    expect(d.text(d.q('.empty'))).toBe('No assistant yet: users’ messages wait for the team.');
  });

  it('says a failed list by its code', async () => {
    serve({ [`GET ${BASE}`]: () => fail(429, 'rate_limited') });
    await d.mount('#/assistant');
    expect(d.alerts()).toEqual(['Too many requests. Wait a moment and try again.']);
  });

  it('checks the form before sending: each problem under its field, focus on the first, nothing sent', async () => {
    serveAssistants([]);
    await d.mount('#/assistant/new');
    expect(d.text(d.q('main h2'))).toBe('New assistant');
    expect(d.control('Temperature').value).toBe('0.7');
    await input(d.control('Temperature'), '3');
    await click(d.button('Create assistant'));
    expect(d.alerts()).toEqual(['5 fields need a change: see below each.']);
    expect(fieldError('Name')).toBe('Give the assistant a name: users see it on its answers.');
    expect(fieldError('Base URL')).toBe('Write the base URL of the model’s API.');
    expect(fieldError('Model')).toBe('Write the model’s name.');
    expect(fieldError('API key')).toBe('Write the provider’s API key (a local Ollama takes any text).');
    expect(fieldError('Temperature')).toBe('Write a number from 0 to 2.');
    expect(d.control('Name').getAttribute('aria-invalid')).toBe('true');
    expect(document.activeElement).toBe(d.control('Name'));

    await input(d.control('Name'), 'Sam');
    await input(d.control('Base URL'), 'api.openai.com');
    await input(d.control('Model'), 'gpt-4o-mini');
    await input(d.control('API key'), 'sk-1');
    await input(d.control('Temperature'), '0.5');
    await input(d.control('Context budget (tokens)'), '100');
    await input(d.control('Messages per user'), '2.5');
    await click(d.control('Only these'));
    await click(d.button('Create assistant'));
    expect(d.alerts()).toEqual(['4 fields need a change: see below each.']);
    expect(fieldError('Base URL')).toBe('Write a full http:// or https:// URL.');
    expect(fieldError('Organization ids')).toBe('List at least one organization id, or choose every organization.');
    expect(fieldError('Context budget (tokens)')).toBe('Write a number from 256 to 128000.');
    expect(fieldError('Messages per user')).toBe('Write a whole number. Empty: no limit.');
    expect(fieldError('Name')).toBeNull();
    expect(document.activeElement).toBe(d.control('Base URL'));
    expect(callsTo('POST', BASE)).toEqual([]);
  });

  it('creates one with every field, then shows it with its key hint, focus on its heading', async () => {
    serveAssistants([]);
    await d.mount('#/assistant');
    expect(d.q<HTMLAnchorElement>('a.button')!.getAttribute('href')).toBe('#/assistant/new');
    await go('#/assistant/new');
    expect(document.activeElement).toBe(d.q('main h2'));
    expect(d.control('API key').type).toBe('password');
    expect(d.text(d.q('form'))).toContain('OpenAI https://api.openai.com/v1, Ollama http://127.0.0.1:11434/v1');

    await input(d.control('Name'), ' Sam ');
    await input(d.control('Base URL'), 'http://127.0.0.1:11434/v1');
    await input(d.control('Model'), 'llama3.1');
    await input(d.control('API key'), 'ollama-key-wxyz');
    await input(d.control('System prompt'), 'You answer for Acme.');
    await input(d.control('Temperature'), '0.2');
    await click(d.control('Only while no administrator is online'));
    await click(d.control('Only these'));
    await input(d.control('Organization ids'), 'acme, globex acme');
    await click(d.control('Also answer in document rooms'));
    await click(d.control('Share the signed token’s metadata'));
    expect(d.q('.warning')).toBeNull();
    await click(d.control('Allow a private address'));
    expect(d.text(d.q('.assistant-form .warning'))).toMatch(/^Parley will call this base URL even on this machine or inside your network/);
    await input(d.control('Context budget (tokens)'), '8000');
    await input(d.control('Messages per user'), '20');
    await input(d.control('Tokens per organization'), '500000');
    await click(d.button('Create assistant'));

    expect(callsTo('POST', BASE).map((c) => c.body)).toEqual([
      {
        name: 'Sam',
        baseUrl: 'http://127.0.0.1:11434/v1',
        model: 'llama3.1',
        apiKey: 'ollama-key-wxyz',
        systemPrompt: 'You answer for Acme.',
        temperature: 0.2,
        answers: 'when_offline',
        organizationIds: ['acme', 'globex'],
        documentRooms: true,
        shareTokenMetadata: true,
        allowPrivateAddress: true,
        contextTokens: 8000,
        limits: { userMessagesPerDay: 20, userTokensPerDay: null, organizationMessagesPerDay: null, organizationTokensPerDay: 500000 },
      },
    ]);
    await until(() => expect(location.hash).toBe('#/assistant/ast_new'));
    await until(() => expect(d.text(d.q('main h2'))).toBe('Sam'));
    expect(document.activeElement).toBe(d.q('main h2'));
    expect(d.text(d.q('[data-testid=assistant-said]'))).toBe('Sam created. Test it now, or change its settings below.');
    expect(d.text(d.q('[data-testid=api-key-hint]'))).toBe('…wxyz');
    expect(d.text(d.q('[data-testid=assistant-summary]'))).toBe('llama3.1 at 127.0.0.1:11434 · answers: only while no administrator is online · organizations: acme, globex');
    expect(d.control('Replace the API key').value).toBe('');
    expect(d.control('Organization ids').value).toBe('acme, globex');
    expect(d.control<HTMLInputElement>('Only while no administrator is online').checked).toBe(true);

    await go('#/assistant');
    expect(cells('ast_new')).toEqual(['Sam', 'llama3.1', '127.0.0.1:11434', 'Only while no administrator is online', 'acme, globex']);
  });

  it('says the server’s refusals by their code: a refused base URL, a schema error', async () => {
    serveAssistants([], {
      [`POST ${BASE}`]: (call) =>
        (call.body as { baseUrl: string }).baseUrl.includes('10.0.0.5')
          ? { status: 400, body: { error: { code: 'assistant_url_refused', message: 'baseUrl resolves to a private address' } } }
          : { status: 400, body: { error: { code: 'bad_request', message: 'body/model must NOT have more than 200 characters' } } },
    });
    await d.mount('#/assistant/new');
    await input(d.control('Name'), 'Sam');
    await input(d.control('Base URL'), 'http://10.0.0.5:8080/v1');
    await input(d.control('Model'), 'm');
    await input(d.control('API key'), 'k');
    await click(d.button('Create assistant'));
    await until(() =>
      expect(d.alerts()).toEqual(['Parley does not call this base URL: it is on a private or loopback address. For a model on this machine or your network, such as a local Ollama, turn on “Allow a private address”.']),
    );
    await input(d.control('Base URL'), 'https://api.example.com/v1');
    await click(d.button('Create assistant'));
    await until(() => expect(d.alerts()).toEqual(['Not accepted: body/model must NOT have more than 200 characters']));
    expect(location.hash).toBe('#/assistant/new');
  });

  it('changes only what was changed, and keeps the API key unless a new one is typed', async () => {
    serveAssistants([assistant('ast_1', { limits: { userMessagesPerDay: 50, userTokensPerDay: null, organizationMessagesPerDay: null, organizationTokensPerDay: null } })]);
    await d.mount('#/assistant/ast_1');
    expect(d.text(d.q('main h2'))).toBe('Sam');
    expect(d.text(d.q('[data-testid=api-key-hint]'))).toBe('…abcd');
    const key = d.control('Replace the API key');
    expect(key.value).toBe('');
    expect(key.type).toBe('password');
    expect(d.control('Model').value).toBe('gpt-4o-mini');
    expect(d.control('Messages per user').value).toBe('50');
    expect(d.control('Tokens per user').value).toBe('');

    await click(d.button('Save changes'));
    expect(d.statuses()).toContain('Nothing to save: no field changed.');
    expect(callsTo('PATCH', `${BASE}/ast_1`)).toEqual([]);

    await input(d.control('Model'), 'gpt-4o');
    await input(d.control('Messages per user'), '');
    await click(d.control('Never (switched off)'));
    await click(d.button('Save changes'));
    expect(callsTo('PATCH', `${BASE}/ast_1`).map((c) => c.body)).toEqual([
      { model: 'gpt-4o', answers: 'never', limits: { userMessagesPerDay: null, userTokensPerDay: null, organizationMessagesPerDay: null, organizationTokensPerDay: null } },
    ]);
    await until(() => expect(d.statuses()).toContain('Saved.'));
    expect(d.text(d.q('[data-testid=api-key-hint]'))).toBe('…abcd');

    await input(d.control('Replace the API key'), 'sk-new-key-9876');
    await click(d.button('Save changes'));
    expect(callsTo('PATCH', `${BASE}/ast_1`).at(-1)!.body).toEqual({ apiKey: 'sk-new-key-9876' });
    await until(() => expect(d.statuses()).toContain('Saved. The new API key is in use.'));
    expect(d.text(d.q('[data-testid=api-key-hint]'))).toBe('…9876');
    expect(d.control('Replace the API key').value).toBe('');
    expect(container.textContent).not.toContain('sk-new-key-9876');

    await go('#/assistant');
    expect(cells('ast_1')).toEqual(['Sam', 'gpt-4o', 'api.openai.com', 'Never (switched off)', 'All']);
  });

  it('deletes after asking, and says it in the list; a failed delete by its code', async () => {
    serveAssistants([assistant('ast_1'), assistant('ast_2', { name: 'Gone' })], { [`DELETE ${BASE}/ast_2`]: () => fail(404, 'assistant_not_found') });
    await d.mount('#/assistant/ast_1');
    await click(d.button('Delete assistant'));
    expect(d.text(d.q('.confirm'))).toContain('Delete Sam? It stops answering at once.');
    expect(document.activeElement).toBe(d.button('Cancel'));
    await click(d.button('Cancel'));
    expect(callsTo('DELETE', `${BASE}/ast_1`)).toEqual([]);
    expect(document.activeElement).toBe(d.button('Delete assistant'));
    await click(d.button('Delete assistant'));
    await click(d.button('Delete', d.q('.confirm')!));
    expect(callsTo('DELETE', `${BASE}/ast_1`)).toHaveLength(1);
    await until(() => expect(location.hash).toBe('#/assistant'));
    await until(() => expect(d.text(d.q('[data-testid=assistants-said]'))).toBe('Deleted Sam.'));
    expect(d.q('[data-assistant-id="ast_1"]')).toBeNull();
    expect(document.activeElement).toBe(d.q('main h2'));

    await go('#/assistant/ast_2');
    await click(d.button('Delete assistant'));
    await click(d.button('Delete', d.q('.confirm')!));
    await until(() => expect(d.alerts()).toEqual(['This assistant no longer exists. Reload the page.']));
    expect(location.hash).toBe('#/assistant/ast_2');
  });

  it('an unknown id says the assistant no longer exists', async () => {
    serveAssistants([assistant('ast_1')]);
    await d.mount('#/assistant/ast_missing');
    expect(d.alerts()).toEqual(['This assistant no longer exists. Reload the page.']);
    expect(d.q<HTMLAnchorElement>('main a[href="#/assistant"]')).not.toBeNull();
  });

  it('Test shows the reply and the time to its first token, or what the provider answered', async () => {
    let answer: Handler = () => ok({ reply: 'Hello! How can I help?', firstTokenMs: 412 });
    serveAssistants([assistant('ast_1')], { [`POST ${BASE}/ast_1/test`]: (call) => answer(call) });
    await d.mount('#/assistant/ast_1');
    await click(d.button('Test'));
    expect(callsTo('POST', `${BASE}/ast_1/test`)).toHaveLength(1);
    await until(() => expect(d.text(d.q('[data-testid=test-said]'))).toBe('Answered: first token after 412 ms.'));
    expect(d.text(d.q('[data-testid=test-reply]'))).toBe('Hello! How can I help?');

    answer = () => ({ status: 502, body: { error: { code: 'assistant_unavailable', message: 'The provider answered 401 Unauthorized: Incorrect API key provided.' } } });
    await click(d.button('Test'));
    await until(() => expect(d.alerts()).toEqual(['The model provider failed: The provider answered 401 Unauthorized: Incorrect API key provided.']));
    expect(d.q('[data-testid=test-reply]')).toBeNull();
    expect(d.text(d.q('[data-testid=test-said]'))).toBe('');

    // A change not saved yet is not what Test uses: said beside it, until saved or undone.
    expect(d.q('.assistant-test .warning')).toBeNull();
    await input(d.control('Model'), 'gpt-4o');
    expect(d.text(d.q('.assistant-test .warning'))).toBe('The settings below have changes not saved yet: Test uses the saved ones.');
    await input(d.control('Model'), 'gpt-4o-mini');
    expect(d.q('.assistant-test .warning')).toBeNull();
    await input(d.control('Replace the API key'), 'sk-typed');
    expect(d.q('.assistant-test .warning')).not.toBeNull();
    await click(d.button('Save changes'));
    await until(() => expect(d.q('.assistant-test .warning')).toBeNull());

    answer = () => ok({ reply: 'Bonjour', firstTokenMs: 2345 });
    await click(d.button('Test'));
    await until(() => expect(d.text(d.q('[data-testid=test-said]'))).toBe('Answered: first token after 2.3 s.'));
    expect(d.alerts()).toEqual([]);
  });

  it('shows the usage of the server’s today per user and per organization, and of the day picked', async () => {
    const days: Record<string, AssistantUsage> = {
      '2026-03-01': {
        day: '2026-03-01',
        users: [
          { userId: 'usr_alice', name: 'Alice', email: 'alice@example.com', messages: 12, tokens: 15300 },
          { userId: 'usr_bob', name: null, email: null, messages: 1, tokens: 90 },
        ],
        organizations: [
          { organizationId: 'acme', name: 'Acme', messages: 12, tokens: 15300 },
          { organizationId: 'default', name: 'default', messages: 1, tokens: 90 },
        ],
      },
      '2026-02-27': { day: '2026-02-27', users: [], organizations: [] },
    };
    serveAssistants([assistant('ast_1')], {
      [`GET ${BASE}/ast_1/usage`]: (call) => {
        const day = call.query.get('day') ?? '2026-03-01';
        return ok(days[day] ?? { day, users: [], organizations: [] });
      },
    });
    await d.mount('#/assistant/ast_1');
    // The first ask names no day: the server's today, whatever this browser's clock says.
    await until(() => expect(d.control('Day (UTC)').value).toBe('2026-03-01'));
    expect(d.control('Day (UTC)').max).toBe('2026-03-01');
    expect(callsTo('GET', `${BASE}/ast_1/usage`).map((c) => c.query.toString())).toEqual(['']);
    expect(d.text(d.q('[data-testid=usage-said]'))).toBe('2026-03-01: 13 replies, 15,390 tokens, for 2 users.');
    // No day after the server's today.
    expect(d.button('Next day').disabled).toBe(true);
    const tableRows = (cls: string) => d.all(`table.${cls} tbody tr`).map((tr) => [...tr.querySelectorAll('th, td')].map((c) => d.text(c)));
    expect(d.all('table.usage-users thead th').map((th) => d.text(th))).toEqual(['Name', 'Email', 'Messages', 'Tokens']);
    expect(tableRows('usage-users')).toEqual([
      ['Alice', 'alice@example.com', '12', '15,300'],
      ['usr_bob', '—', '1', '90'],
    ]);
    expect(tableRows('usage-organizations')).toEqual([
      ['Acme acme', '12', '15,300'],
      ['default', '1', '90'],
    ]);

    await choose(d.control<HTMLSelectElement>('Day (UTC)'), '2026-02-27');
    await until(() => expect(d.text(d.q('[data-testid=usage-said]'))).toBe('No replies on 2026-02-27.'));
    expect(callsTo('GET', `${BASE}/ast_1/usage`).at(-1)!.query.get('day')).toBe('2026-02-27');
    expect(d.q('table.usage-users')).toBeNull();
    // The status line says it once: no empty tables under it.
    expect(d.all('.usage h3, .usage .empty')).toEqual([]);

    // Previous and Next day step by one UTC day, across a month's end.
    await click(d.button('Next day'));
    await click(d.button('Next day'));
    await until(() => expect(d.text(d.q('[data-testid=usage-said]'))).toBe('2026-03-01: 13 replies, 15,390 tokens, for 2 users.'));
    expect(callsTo('GET', `${BASE}/ast_1/usage`).slice(-2).map((c) => c.query.get('day'))).toEqual(['2026-02-28', '2026-03-01']);
    expect(d.control('Day (UTC)').value).toBe('2026-03-01');
    expect(d.button('Next day').disabled).toBe(true);
    await click(d.button('Previous day'));
    expect(callsTo('GET', `${BASE}/ast_1/usage`).at(-1)!.query.get('day')).toBe('2026-02-28');
  });
});
