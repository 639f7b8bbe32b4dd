/**
 * The assistant end to end on both databases (docs/assistant.md): the admin REST (the key never answered),
 * a reply streamed from a fake Chat Completions server to a user's event stream and stored, each way the
 * provider can fail (no first token, cut, 429, 500, a line that is not JSON, no [DONE]) ending in the
 * system message and the hand-off, stop, take-over, "Talk to a person", daily limits (the limit message in
 * French for a French user), a reply interrupted by a crash ended once by the next worker, the test
 * endpoint, the SSRF guard, and the key in no response and no log line.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';
import { openSse, type SseFrame, type SseReader } from '../../helpers/sse.js';
import { gate, startFakeProvider, type Behaviour, type FakeProvider } from './fake-provider.js';

type Headers = Record<string, string>;
const KEY = 'sk-test-secret-key-abcd';
const NOW = '2026-11-20T12:00:00.000Z';
const FAILED = 'The assistant could not answer. A person from the team will reply.';
const TIMEOUTS = { firstTokenMs: 400, totalMs: 5000, stopPollMs: 50, retryPauseMs: 10 };

describe.each(DIALECTS)('the assistant on %s', (dialect) => {
  let t: TestApp;
  let provider: FakeProvider;
  let base: string;
  const streams: SseReader[] = [];

  afterEach(async () => {
    for (const s of streams.splice(0)) s.close();
    await t?.close();
    await provider?.close();
    // The key never reached a log line, whatever the test did.
    expect(t.logs.filter((line) => line.includes(KEY))).toEqual([]);
  });

  async function setUp(options: { behaviour?: Behaviour } = {}) {
    provider = await startFakeProvider(options.behaviour);
    t = await createTestApp({ dialect, assistant: TIMEOUTS, heartbeatMs: 1000 });
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  }

  async function sessionFor(user: Record<string, unknown>, role: 'owner' | 'admin' | 'member' = 'member') {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user }) } });
    expect(res.statusCode).toBe(200);
    const { session, user: created } = res.json();
    if (role !== 'member') await t.app.services.users.setRole(created.id, role);
    return { headers: { authorization: `Bearer ${session.token}` } as Headers, userId: created.id as string };
  }
  const call = (headers: Headers, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) => t.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
  const errorOf = (res: { statusCode: number; json: () => { error: { code: string; message: string } } }) => [res.statusCode, res.json().error.code, res.json().error.message];

  async function createAssistant(owner: Headers, fields: Record<string, unknown> = {}) {
    const res = await call(owner, 'POST', '/api/v1/admin/assistants', { name: 'Ada', baseUrl: provider.url, model: 'test-model', apiKey: KEY, systemPrompt: 'You help with Parley.', answers: 'always', allowPrivateAddress: true, ...fields });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().assistant as { id: string };
  }
  async function start(user: Headers, text: string) {
    const res = await call(user, 'POST', '/api/v1/conversations', { message: { text, clientMessageId: `c-${text.replace(/\W/g, '')}` } });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().conversation as { id: string; assistant: unknown };
  }
  const post = (headers: Headers, id: string, text: string) => call(headers, 'POST', `/api/v1/conversations/${id}/messages`, { text, clientMessageId: `m-${text.replace(/\W/g, '')}` });
  const messagesOf = async (headers: Headers, id: string) =>
    ((await call(headers, 'GET', `/api/v1/conversations/${id}/messages`)).json().messages as { author: { type: string; id: string | null; name: string | null }; text: string; clientMessageId: string | null }[]).map((m) => ({
      type: m.author.type,
      name: m.author.name,
      text: m.text,
    }));
  const conversationOf = async (headers: Headers, id: string) => (await call(headers, 'GET', `/api/v1/conversations/${id}`)).json().conversation;
  const drain = () => t.app.services.assistant.runner.drain();
  const open = async (headers: Headers) => {
    const stream = await openSse(`${base}/api/v1/events`, headers);
    streams.push(stream);
    await stream.until((f) => f.some((x) => x.event === 'ready'));
    return stream;
  };
  const dataOf = (frames: SseFrame[], event: string) => frames.filter((f) => f.event === event).map((f) => JSON.parse(f.data!));

  it('admin REST: create, list, change (a new key), delete, audited; the key is never answered; exact errors', async () => {
    await setUp();
    const owner = await sessionFor({ id: 'the-owner', email: 'owner@example.com' }, 'owner');
    const member = await sessionFor({ id: 'alice' });
    const created = await call(owner.headers, 'POST', '/api/v1/admin/assistants', { name: ' Ada ', baseUrl: `${provider.url}/`, model: 'test-model', apiKey: KEY, systemPrompt: 'Be brief.', answers: 'when_offline', allowPrivateAddress: true, limits: { userMessagesPerDay: 20 } });
    expect(created.statusCode).toBe(201);
    const assistant = {
      id: expect.stringMatching(/^ast_[\w-]{16}$/),
      name: 'Ada',
      baseUrl: provider.url,
      model: 'test-model',
      apiKeyHint: '…abcd',
      systemPrompt: 'Be brief.',
      temperature: 0.7,
      answers: 'when_offline',
      organizationIds: null,
      documentRooms: false,
      shareTokenMetadata: false,
      allowPrivateAddress: true,
      contextTokens: 4000,
      limits: { userMessagesPerDay: 20, userTokensPerDay: null, organizationMessagesPerDay: null, organizationTokensPerDay: null },
      createdAt: NOW,
      updatedAt: NOW,
    };
    expect(created.json()).toEqual({ assistant });
    const id = created.json().assistant.id as string;
    const list = await call(owner.headers, 'GET', '/api/v1/admin/assistants');
    expect(list.json()).toEqual({ assistants: [{ ...assistant, id }] });

    t.clock.now += 60_000;
    const changed = await call(owner.headers, 'PATCH', `/api/v1/admin/assistants/${id}`, { apiKey: 'sk-other-key-wxyz', temperature: 0, limits: { organizationTokensPerDay: 1000 }, organizationIds: ['default'] });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toEqual({
      assistant: { ...assistant, id, apiKeyHint: '…wxyz', temperature: 0, organizationIds: ['default'], limits: { ...assistant.limits, organizationTokensPerDay: 1000 }, updatedAt: '2026-11-20T12:01:00.000Z' },
    });
    expect(await t.db.store.db.selectFrom('assistants').select('api_key').where('id', '=', id).executeTakeFirst()).toEqual({ api_key: 'sk-other-key-wxyz' });
    // null is unlimited, never coerced to 0.
    const unlimited = await call(owner.headers, 'PATCH', `/api/v1/admin/assistants/${id}`, { limits: { userMessagesPerDay: null, organizationTokensPerDay: null } });
    expect(unlimited.json().assistant.limits).toEqual({ userMessagesPerDay: null, userTokensPerDay: null, organizationMessagesPerDay: null, organizationTokensPerDay: null });
    expect((await call(owner.headers, 'PATCH', `/api/v1/admin/assistants/${id}`, { limits: { organizationTokensPerDay: 1000, userMessagesPerDay: 20 } })).statusCode).toBe(200);

    // Bad input, refusals, unknown ids.
    expect(errorOf(await call(member.headers, 'GET', '/api/v1/admin/assistants'))).toEqual([403, 'admin_required', 'Administrators only.']);
    expect(errorOf(await call(owner.headers, 'PATCH', '/api/v1/admin/assistants/ast_nowhere', { name: 'X' }))).toEqual([404, 'assistant_not_found', 'No assistant has this id.']);
    expect(errorOf(await call(owner.headers, 'GET', '/api/v1/admin/assistants/ast_nowhere/usage'))).toEqual([404, 'assistant_not_found', 'No assistant has this id.']);
    expect((await call(owner.headers, 'POST', '/api/v1/admin/assistants', { name: 'X', baseUrl: provider.url, model: 'm', apiKey: KEY, systemPrompt: '', answers: 'sometimes' })).statusCode).toBe(400);
    expect(errorOf(await call(owner.headers, 'PATCH', `/api/v1/admin/assistants/${id}`, { temperature: 3 }))).toEqual([400, 'bad_request', 'body/temperature must be <= 2']);
    expect(errorOf(await call(owner.headers, 'PATCH', `/api/v1/admin/assistants/${id}`, { contextTokens: 100 }))).toEqual([400, 'bad_request', 'body/contextTokens must be >= 256']);
    expect(errorOf(await call(owner.headers, 'PATCH', `/api/v1/admin/assistants/${id}`, { baseUrl: 'ftp://93.184.216.34/v1' }))).toEqual([400, 'bad_request', 'baseUrl must be an http or https URL']);
    expect(errorOf(await call(owner.headers, 'PATCH', `/api/v1/admin/assistants/${id}`, { organizationIds: ['nowhere'] }))).toEqual([400, 'bad_request', 'organizationIds names an organization that does not exist']);

    // The SSRF guard: loopback and private addresses only with allowPrivateAddress.
    const refused = [400, 'assistant_url_refused', 'baseUrl is, or resolves to, a private or loopback address (allowPrivateAddress is off)'];
    for (const url of ['http://127.0.0.1:11434/v1', 'http://10.0.0.7/v1', 'http://[::1]:8080/v1', 'http://localhost:11434/v1', 'http://169.254.169.254/latest']) {
      expect(errorOf(await call(owner.headers, 'POST', '/api/v1/admin/assistants', { name: 'X', baseUrl: url, model: 'm', apiKey: KEY, systemPrompt: '', answers: 'always' })), url).toEqual(refused);
    }
    expect(errorOf(await call(owner.headers, 'PATCH', `/api/v1/admin/assistants/${id}`, { allowPrivateAddress: false }))).toEqual(refused);
    const local = await call(owner.headers, 'POST', '/api/v1/admin/assistants', { name: 'Local', baseUrl: 'http://127.0.0.1:11434/v1', model: 'llama', apiKey: 'ollama', systemPrompt: '', answers: 'never', allowPrivateAddress: true });
    expect(local.statusCode).toBe(201);

    expect((await call(owner.headers, 'DELETE', `/api/v1/admin/assistants/${id}`)).statusCode).toBe(204);
    expect(errorOf(await call(owner.headers, 'DELETE', `/api/v1/admin/assistants/${id}`))).toEqual([404, 'assistant_not_found', 'No assistant has this id.']);
    expect((await call(owner.headers, 'GET', '/api/v1/admin/assistants')).json().assistants.map((a: { name: string }) => a.name)).toEqual(['Local']);
    const audit = await t.db.store.db.selectFrom('audit_log').select(['action', 'outcome']).where('action', 'like', 'assistant.%').orderBy('id').execute();
    expect(audit).toEqual([
      { action: 'assistant.create', outcome: 'ok' },
      { action: 'assistant.update', outcome: 'ok' },
      { action: 'assistant.update', outcome: 'ok' },
      { action: 'assistant.update', outcome: 'ok' },
      { action: 'assistant.create', outcome: 'ok' },
      { action: 'assistant.delete', outcome: 'ok' },
      { action: 'assistant.delete', outcome: 'assistant_not_found' },
    ]);
  });

  it('answers a user: assistant.replying, coalesced deltas, the stored message, usage; the context sent', async () => {
    await setUp({ behaviour: { kind: 'reply', pieces: ['Hello', ' Ada', '!'], usage: { prompt_tokens: 30, completion_tokens: 12, total_tokens: 42 } } });
    const owner = await sessionFor({ id: 'the-owner' }, 'owner');
    const user = await sessionFor({ id: 'ada', name: 'Ada Lovelace', email: 'ada@example.com', plan: 'pro' });
    const assistant = await createAssistant(owner.headers, { shareTokenMetadata: true, name: 'Parley Bot' });
    const stream = await open(user.headers);
    const conversation = await start(user.headers, 'How do I embed the widget?');
    expect(conversation.assistant).toEqual({ name: 'Parley Bot', active: true });
    await stream.until((f) => f.some((x) => x.event === 'assistant.ended'));
    await drain();
    const [replying] = dataOf(stream.frames, 'assistant.replying');
    expect(replying).toEqual({ conversationId: conversation.id, replyId: expect.stringMatching(/^rpl_/) });
    const deltas = dataOf(stream.frames, 'message.delta');
    expect(deltas.map((d) => d.delta).join('')).toBe('Hello Ada!');
    expect(deltas[0]).toEqual({ conversationId: conversation.id, replyId: replying.replyId, offset: 0, delta: expect.any(String) });
    for (const [i, d] of deltas.entries()) expect(d.offset).toBe(deltas.slice(0, i).reduce((n, x) => n + x.delta.length, 0));
    // Signals carry no id (never replayed).
    expect(stream.frames.filter((f) => f.event === 'message.delta' || f.event === 'assistant.replying').every((f) => f.id === undefined)).toBe(true);
    const created = dataOf(stream.frames, 'message.created').map((d) => d.message);
    expect(created.at(-1)).toMatchObject({ text: 'Hello Ada!', clientMessageId: replying.replyId, author: { type: 'assistant', id: assistant.id, name: 'Parley Bot', avatarUrl: null, agent: false } });
    const order = stream.frames.map((f) => f.event).filter((e) => e !== undefined && e !== 'ready' && e !== 'conversation.created');
    // The signals keep their order, and assistant.ended follows the stored message. On SQLite (one process)
    // everything is in the order it happened; on PostgreSQL a signal reaches the streams as soon as it is
    // heard, an event once the fan-out has read it from the log, so the two interleave as they will (a client
    // closes the reply at its stored message and ignores later pieces of it: docs/assistant.md).
    expect(order.filter((e) => e !== 'message.created')).toEqual(['assistant.replying', ...deltas.map(() => 'message.delta'), 'assistant.ended']);
    expect(order.filter((e) => e === 'message.created')).toHaveLength(2);
    expect(order.indexOf('assistant.ended')).toBeGreaterThan(order.lastIndexOf('message.created'));
    if (dialect === 'sqlite') expect(order).toEqual(['message.created', 'assistant.replying', ...deltas.map(() => 'message.delta'), 'message.created', 'assistant.ended']);
    expect(await messagesOf(user.headers, conversation.id)).toEqual([
      { type: 'user', name: 'Ada Lovelace', text: 'How do I embed the widget?' },
      { type: 'assistant', name: 'Parley Bot', text: 'Hello Ada!' },
    ]);

    // What the provider was sent.
    expect(provider.requests).toHaveLength(1);
    const [request] = provider.requests;
    expect(request!.path).toBe('/v1/chat/completions');
    expect(request!.authorization).toBe(`Bearer ${KEY}`);
    expect(request!.body).toEqual({
      model: 'test-model',
      temperature: 0.7,
      stream: true,
      stream_options: { include_usage: true },
      messages: [
        { role: 'system', content: 'You help with Parley.\n\nYou are talking with Ada Lovelace.\n\nWhat the product knows of this user (from their sign-in token, JSON): {"plan":"pro"}' },
        { role: 'user', content: 'How do I embed the widget?' },
      ],
    });

    // A second message: the context holds the conversation so far; usage adds up (the provider's count).
    expect((await post(user.headers, conversation.id, 'And in React?')).statusCode).toBe(201);
    await drain();
    expect(provider.requests[1]!.body.messages.slice(1)).toEqual([
      { role: 'user', content: 'How do I embed the widget?' },
      { role: 'assistant', content: 'Hello Ada!' },
      { role: 'user', content: 'And in React?' },
    ]);
    const usage = await call(owner.headers, 'GET', `/api/v1/admin/assistants/${assistant.id}/usage`);
    expect(usage.json()).toEqual({
      day: '2026-11-20',
      users: [{ userId: user.userId, name: 'Ada Lovelace', email: 'ada@example.com', messages: 2, tokens: 84 }],
      organizations: [{ organizationId: 'default', name: 'Default', messages: 2, tokens: 84 }],
    });
    expect((await call(owner.headers, 'GET', `/api/v1/admin/assistants/${assistant.id}/usage?day=2026-11-19`)).json()).toEqual({ day: '2026-11-19', users: [], organizations: [] });
    // The conversation list shows the assistant too (the list is cached in the store, not read per row).
    expect((await call(user.headers, 'GET', '/api/v1/conversations')).json().conversations[0].assistant).toEqual({ name: 'Parley Bot', active: true });
    const metrics = await t.app.metrics.render();
    expect(metrics).toContain('parley_assistant_replies_total{outcome="done"} 2');
    expect(metrics).toContain('parley_assistant_first_token_seconds_count 2');
    // No response carried the key.
    expect(usage.body + (await call(owner.headers, 'GET', '/api/v1/admin/assistants')).body).not.toContain(KEY);
  });

  const failures: [string, Behaviour[], string, number][] = [
    ['no first token within the deadline', [{ kind: 'silent' }], '', 1],
    ['a stream cut mid-reply', [{ kind: 'cut', pieces: ['Half', ' a reply'] }], 'Half a reply', 1],
    // A provider that quotes the key back: it reaches no log line (checked after every test).
    ['429, then 429 again', [{ kind: 'status', status: 429, body: '{"error":{"message":"slow down"}}' }, { kind: 'status', status: 429, body: `slow down, ${KEY}` }], '', 2],
    ['500, then 500 again', [{ kind: 'status', status: 500, body: 'oops' }, { kind: 'status', status: 500, body: 'oops' }], '', 2],
    ['a line that is not JSON', [{ kind: 'invalid', pieces: ['Some'] }], 'Some', 1],
    // An error chunk in a 200 stream that quotes the key: it reaches no log line either.
    ['an error chunk quoting the key', [{ kind: 'error', pieces: ['Part'], message: `Incorrect API key provided: ${KEY}` }], 'Part', 1],
    ['a stream without [DONE]', [{ kind: 'reply', pieces: ['Nearly'], noDone: true }], 'Nearly', 1],
  ];
  it.each(failures)('%s: what came is kept, a system message says so, and the team takes over', async (_name, script, kept, calls) => {
    await setUp();
    provider.script.push(...script);
    const owner = await sessionFor({ id: 'the-owner' }, 'owner');
    const user = await sessionFor({ id: 'ada', name: 'Ada' });
    await createAssistant(owner.headers);
    const stream = await open(user.headers);
    const conversation = await start(user.headers, 'Help me');
    await drain();
    expect(provider.requests).toHaveLength(calls);
    // The operator sees why in the log.
    expect(t.logs.filter((line) => line.includes('assistant reply failed'))).toHaveLength(1);
    expect(await messagesOf(user.headers, conversation.id)).toEqual([
      { type: 'user', name: 'Ada', text: 'Help me' },
      ...(kept ? [{ type: 'assistant', name: 'Ada', text: kept }] : []),
      { type: 'system', name: null, text: FAILED },
    ]);
    expect(await conversationOf(user.headers, conversation.id)).toMatchObject({ status: 'open', assigneeId: null, assistant: { name: 'Ada', active: false } });
    await stream.until((f) => dataOf(f, 'conversation.updated').some((d) => d.conversation.assistant?.active === false) && f.some((x) => x.event === 'assistant.ended'));
    // The job is done, not stuck: the outbox row ended, and the next message gets no reply.
    expect(await t.db.store.db.selectFrom('outbox').select('status').where('kind', '=', 'assistant_reply').execute()).toEqual([{ status: 'done' }]);
    expect(await t.db.store.db.selectFrom('assistant_replies').select('state').execute()).toEqual([{ state: 'failed' }]);
    expect((await post(user.headers, conversation.id, 'Anyone?')).statusCode).toBe(201);
    await drain();
    expect(provider.requests).toHaveLength(calls);
  });

  it('a 429 before the first token is tried once more, and the retry answers', async () => {
    await setUp();
    provider.script.push({ kind: 'status', status: 429, body: 'slow down' });
    const owner = await sessionFor({ id: 'the-owner' }, 'owner');
    const user = await sessionFor({ id: 'ada', name: 'Ada' });
    await createAssistant(owner.headers);
    const conversation = await start(user.headers, 'Hi');
    await drain();
    expect(provider.requests).toHaveLength(2);
    expect((await messagesOf(user.headers, conversation.id)).map((m) => m.text)).toEqual(['Hi', 'Hello there!']);
  });

  it('Stop ends the reply with its text so far, on the user’s word', async () => {
    await setUp();
    const held = gate();
    provider.script.push({ kind: 'reply', pieces: ['First part', ' never sent'], gates: new Map([[1, held.opened]]) });
    const owner = await sessionFor({ id: 'the-owner' }, 'owner');
    const user = await sessionFor({ id: 'ada', name: 'Ada' });
    await createAssistant(owner.headers);
    const stream = await open(user.headers);
    const conversation = await start(user.headers, 'Tell me a story');
    await stream.until((f) => dataOf(f, 'message.delta').map((d) => d.delta).join('') === 'First part');
    expect((await call(user.headers, 'POST', `/api/v1/conversations/${conversation.id}/assistant/stop`)).statusCode).toBe(204);
    await drain();
    held.open();
    expect((await messagesOf(user.headers, conversation.id)).map((m) => [m.type, m.text])).toEqual([
      ['user', 'Tell me a story'],
      ['assistant', 'First part'],
    ]);
    expect(await t.db.store.db.selectFrom('assistant_replies').select('state').execute()).toEqual([{ state: 'stopped' }]);
    // Nothing in progress: 204 too; the assistant still answers the next message.
    expect((await call(user.headers, 'POST', `/api/v1/conversations/${conversation.id}/assistant/stop`)).statusCode).toBe(204);
    expect((await conversationOf(user.headers, conversation.id)).assistant).toEqual({ name: 'Ada', active: true });
  });

  it('a stop asked through another instance ends a reply streaming here', async () => {
    await setUp();
    const held = gate();
    provider.script.push({ kind: 'reply', pieces: ['Streaming', ' here'], gates: new Map([[1, held.opened]]) });
    const owner = await sessionFor({ id: 'the-owner' }, 'owner');
    const user = await sessionFor({ id: 'ada', name: 'Ada' });
    await createAssistant(owner.headers);
    const stream = await open(user.headers);
    const conversation = await start(user.headers, 'Go');
    await stream.until((f) => dataOf(f, 'message.delta').length > 0);
    // What another instance does on the stop route: the stop flag in the database, no local reply to stop.
    await t.db.store.db.updateTable('assistant_replies').set({ stop_requested: 1 }).where('conversation_id', '=', conversation.id).execute();
    await drain();
    held.open();
    expect((await messagesOf(user.headers, conversation.id)).map((m) => m.text)).toEqual(['Go', 'Streaming']);
  });

  it('an administrator’s message takes the conversation over: the assistant is silent there from then on', async () => {
    await setUp();
    const owner = await sessionFor({ id: 'the-owner', name: 'Olga' }, 'owner');
    const user = await sessionFor({ id: 'ada', name: 'Ada' });
    await createAssistant(owner.headers);
    const conversation = await start(user.headers, 'Hi');
    await drain();
    expect(provider.requests).toHaveLength(1);
    // A note is not a take-over.
    expect((await call(owner.headers, 'POST', `/api/v1/admin/conversations/${conversation.id}/messages`, { text: 'a note', clientMessageId: 'n1', internal: true })).statusCode).toBe(201);
    expect((await conversationOf(user.headers, conversation.id)).assistant).toEqual({ name: 'Ada', active: true });
    expect((await call(owner.headers, 'POST', `/api/v1/admin/conversations/${conversation.id}/messages`, { text: 'Olga here', clientMessageId: 'a1' })).statusCode).toBe(201);
    expect((await conversationOf(user.headers, conversation.id)).assistant).toEqual({ name: 'Ada', active: false });
    expect((await post(user.headers, conversation.id, 'Thanks Olga')).statusCode).toBe(201);
    await drain();
    expect(provider.requests).toHaveLength(1);

    // The explicit take-over, on another conversation.
    const second = await start(user.headers, 'Another');
    await drain();
    const taken = await call(owner.headers, 'POST', `/api/v1/admin/conversations/${second.id}/take-over`);
    expect(taken.statusCode).toBe(200);
    expect(taken.json().conversation).toMatchObject({ id: second.id, assistant: { name: 'Ada', active: false } });
    expect(errorOf(await call(user.headers, 'POST', `/api/v1/admin/conversations/${second.id}/take-over`))).toEqual([403, 'admin_required', 'Administrators only.']);
    expect(await t.db.store.db.selectFrom('audit_log').select(['action', 'target']).where('action', '=', 'conversation.take_over').execute()).toEqual([{ action: 'conversation.take_over', target: second.id }]);
  });

  it('"Talk to a person": open, unassigned, the assistant off, a system message once; when_offline waits for an empty team', async () => {
    await setUp();
    const owner = await sessionFor({ id: 'the-owner' }, 'owner');
    const user = await sessionFor({ id: 'ada', name: 'Ada' });
    const assistant = await createAssistant(owner.headers, { answers: 'when_offline' });
    // Someone of the team has the panel open: no reply.
    await t.app.services.presence.seen({ id: owner.userId, role: 'owner', organization_id: 'default' }, t.clock.now);
    const conversation = await start(user.headers, 'Hello?');
    await drain();
    expect(provider.requests).toHaveLength(0);
    // The team leaves: the next message gets one.
    t.clock.now += 3 * 60_000;
    expect((await post(user.headers, conversation.id, 'Anyone there?')).statusCode).toBe(201);
    await drain();
    expect(provider.requests).toHaveLength(1);

    // Answered by the assistant: not waiting for the team, until it is handed over.
    const waiting = async () => (await call(owner.headers, 'GET', '/api/v1/admin/inbox/counts')).json().waiting;
    const unanswered = async () => (await call(owner.headers, 'GET', '/api/v1/admin/conversations?status=all')).json().conversations.find((c: { id: string }) => c.id === conversation.id).unanswered;
    expect([await waiting(), await unanswered()]).toEqual([0, false]);
    const handed = await call(user.headers, 'POST', `/api/v1/conversations/${conversation.id}/handoff`);
    expect(handed.statusCode).toBe(200);
    expect(handed.json().conversation).toMatchObject({ status: 'open', assigneeId: null, assistant: { name: 'Ada', active: false }, lastMessage: { author: { type: 'system', id: null, name: null, avatarUrl: null, agent: false }, text: 'The conversation was passed to the team.' } });
    expect([await waiting(), await unanswered()]).toEqual([1, true]);
    expect((await call(user.headers, 'POST', `/api/v1/conversations/${conversation.id}/handoff`)).statusCode).toBe(200);
    expect((await messagesOf(user.headers, conversation.id)).filter((m) => m.type === 'system').map((m) => m.text)).toEqual(['The conversation was passed to the team.']);
    // The team is alerted as for a user's message (the agent notification is scheduled).
    expect(await t.db.store.db.selectFrom('outbox').select('kind').where('kind', '=', 'agent_notification').where('status', '=', 'pending').execute()).toHaveLength(1);
    expect(assistant.id).toMatch(/^ast_/);
  });

  it('daily limits: no reply past the user’s, a French user is told in French, and the team takes over', async () => {
    await setUp();
    const owner = await sessionFor({ id: 'the-owner' }, 'owner');
    const user = await sessionFor({ id: 'amelie', name: 'Amélie', locale: 'fr-FR' });
    const assistant = await createAssistant(owner.headers, { limits: { userMessagesPerDay: 1 } });
    const conversation = await start(user.headers, 'Bonjour');
    await drain();
    expect((await post(user.headers, conversation.id, 'Encore une question')).statusCode).toBe(201);
    await drain();
    expect(provider.requests).toHaveLength(1);
    expect((await messagesOf(user.headers, conversation.id)).map((m) => [m.type, m.text])).toEqual([
      ['user', 'Bonjour'],
      ['assistant', 'Hello there!'],
      ['user', 'Encore une question'],
      ['system', 'L’assistant a atteint sa limite du jour. Une personne de l’équipe va vous répondre.'],
    ]);
    expect((await conversationOf(user.headers, conversation.id)).assistant).toEqual({ name: 'Ada', active: false });
    // Without the provider's usage, tokens are estimated (ceil(characters / 4)) and counted.
    const usage = (await call(owner.headers, 'GET', `/api/v1/admin/assistants/${assistant.id}/usage`)).json();
    expect(usage.users).toEqual([{ userId: user.userId, name: 'Amélie', email: null, messages: 1, tokens: expect.any(Number) }]);
    expect(usage.users[0].tokens).toBeGreaterThan(0);
  });

  it('a reply interrupted by a crash is ended once by the next worker, with what was saved, never streamed again', async () => {
    await setUp();
    const owner = await sessionFor({ id: 'the-owner' }, 'owner');
    const user = await sessionFor({ id: 'ada', name: 'Ada' });
    const assistant = await createAssistant(owner.headers, { answers: 'never' });
    const conversation = await start(user.headers, 'Hi');
    // As a worker that stopped mid-reply leaves it: the reply streaming with its saved text, the row claimed, its lease over.
    const db = t.db.store.db;
    await db.updateTable('assistants').set({ answers: 'always' }).execute();
    await db.insertInto('assistant_replies').values({ id: 'rpl_crashed', conversation_id: conversation.id, assistant_id: assistant.id, user_id: user.userId, state: 'streaming', partial_text: 'Half a rep', created_at: t.clock.now, updated_at: t.clock.now }).execute();
    await db
      .insertInto('outbox')
      .values({ id: 'out_crashed', kind: 'assistant_reply', target: conversation.id, ordering_key: `assistant:${conversation.id}`, payload: JSON.stringify({ replyId: 'rpl_crashed' }), status: 'sending', attempts: 1, next_attempt_at: t.clock.now, locked_until: t.clock.now - 1, last_error: null, created_at: t.clock.now, updated_at: t.clock.now, done_at: null })
      .execute();
    await drain();
    await drain();
    expect(provider.requests).toHaveLength(0);
    expect((await messagesOf(user.headers, conversation.id)).map((m) => [m.type, m.text])).toEqual([
      ['user', 'Hi'],
      ['assistant', 'Half a rep'],
      ['system', FAILED],
    ]);
    expect(await db.selectFrom('outbox').select(['id', 'status']).where('kind', '=', 'assistant_reply').execute()).toEqual([{ id: 'out_crashed', status: 'done' }]);
  });

  it('a graceful shutdown mid-reply ends it now as a failure, with what it had', async () => {
    await setUp();
    const held = gate();
    provider.script.push({ kind: 'reply', pieces: ['Before', ' the restart'], gates: new Map([[1, held.opened]]) });
    const owner = await sessionFor({ id: 'the-owner' }, 'owner');
    const user = await sessionFor({ id: 'ada', name: 'Ada' });
    await createAssistant(owner.headers);
    const stream = await open(user.headers);
    const conversation = await start(user.headers, 'Quick question');
    await stream.until((f) => dataOf(f, 'message.delta').length > 0);
    stream.close();
    await t.app.close();
    held.open();
    const rows = await t.db.store.db.selectFrom('messages').select(['author_type', 'text']).where('conversation_id', '=', conversation.id).orderBy('seq').execute();
    expect(rows).toEqual([
      { author_type: 'user', text: 'Quick question' },
      { author_type: 'assistant', text: 'Before' },
      { author_type: 'system', text: FAILED },
    ]);
    expect(await t.db.store.db.selectFrom('assistant_replies').select('state').execute()).toEqual([{ state: 'failed' }]);
  });

  it('the test endpoint: the reply and its time to first token, or what the provider answered', async () => {
    await setUp();
    const owner = await sessionFor({ id: 'the-owner' }, 'owner');
    const assistant = await createAssistant(owner.headers);
    const ok = await call(owner.headers, 'POST', `/api/v1/admin/assistants/${assistant.id}/test`);
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ reply: 'Hello there!', firstTokenMs: expect.any(Number) });
    expect(provider.requests[0]!.body.messages).toEqual([
      { role: 'system', content: 'You help with Parley.' },
      { role: 'user', content: 'Say hello in one short sentence.' },
    ]);
    provider.script.push({ kind: 'status', status: 401, body: `{"error":{"message":"Incorrect API key provided: ${KEY}"}}` });
    const refused = await call(owner.headers, 'POST', `/api/v1/admin/assistants/${assistant.id}/test`);
    expect(errorOf(refused)).toEqual([502, 'assistant_unavailable', 'The provider answered HTTP 401: Incorrect API key provided: [key].']);
    provider.script.push({ kind: 'silent' });
    expect(errorOf(await call(owner.headers, 'POST', `/api/v1/admin/assistants/${assistant.id}/test`))).toEqual([504, 'assistant_unavailable', 'The provider sent no first token within 400 ms.']);
    await provider.close();
    const unreachable = await call(owner.headers, 'POST', `/api/v1/admin/assistants/${assistant.id}/test`);
    expect(unreachable.statusCode).toBe(503);
    expect(unreachable.json().error.code).toBe('assistant_unavailable');
    expect(unreachable.json().error.message).toMatch(/^The provider could not be reached: ECONNREFUSED/);
    provider = await startFakeProvider();
  });

  it('messages in a row get one answer, with all of them in its context', async () => {
    await setUp();
    const held = gate();
    provider.script.push({ kind: 'reply', pieces: ['One', ' moment'], gates: new Map([[0, held.opened]]) });
    const owner = await sessionFor({ id: 'the-owner' }, 'owner');
    const user = await sessionFor({ id: 'ada', name: 'Ada' });
    await createAssistant(owner.headers);
    const conversation = await start(user.headers, 'First');
    await provider.requested(1);
    expect((await post(user.headers, conversation.id, 'Second')).statusCode).toBe(201);
    expect((await post(user.headers, conversation.id, 'Third')).statusCode).toBe(201);
    held.open();
    await drain();
    expect(provider.requests).toHaveLength(2);
    expect(provider.requests[1]!.body.messages.slice(1).map((m) => m.content)).toEqual(['First', 'One moment', 'Second', 'Third']);
    // (Stored in the order they came: the first reply ended after the two others were posted.)
    expect((await messagesOf(user.headers, conversation.id)).map((m) => m.text)).toEqual(['First', 'Second', 'Third', 'One moment', 'Hello there!']);
    expect((await t.db.store.db.selectFrom('assistant_replies').select('state').orderBy('created_at').orderBy('id').execute()).map((r) => r.state).sort()).toEqual(['done', 'done', 'skipped']);
  });

  it('the user’s messages count against their message limit; the assistant’s replies do not', async () => {
    await provider?.close();
    provider = await startFakeProvider();
    t = await createTestApp({ dialect, assistant: TIMEOUTS, env: { PARLEY_MESSAGE_RATE_LIMIT: '3/1m' } });
    const owner = await sessionFor({ id: 'the-owner' }, 'owner');
    const user = await sessionFor({ id: 'ada', name: 'Ada' });
    await createAssistant(owner.headers);
    const conversation = await start(user.headers, 'One');
    await drain();
    expect((await post(user.headers, conversation.id, 'Two')).statusCode).toBe(201);
    await drain();
    expect((await post(user.headers, conversation.id, 'Three')).statusCode).toBe(201);
    await drain();
    // Three of the user's own and three replies: the fourth of the user's is the one refused.
    expect((await messagesOf(user.headers, conversation.id)).filter((m) => m.type === 'assistant')).toHaveLength(3);
    expect((await post(user.headers, conversation.id, 'Four')).statusCode).toBe(429);
  });

  it('document rooms: answered only with documentRooms; a viewer hears the reply stream', async () => {
    await setUp();
    const owner = await sessionFor({ id: 'the-owner' }, 'owner');
    const grant = (accessRole: string) => ({ permissions: { resources: [{ type: 'document', id: 'doc-1', organizationId: 'default', accessRole }] } });
    const signInWith = async (user: Record<string, unknown>, extra: Record<string, unknown>) => {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user, ...extra }) } });
      return { authorization: `Bearer ${res.json().session.token}` };
    };
    const editor = await signInWith({ id: 'ed', name: 'Ed' }, grant('editor'));
    const viewer = await signInWith({ id: 'vi', name: 'Vi' }, grant('viewer'));
    const assistant = await createAssistant(owner.headers);
    const room = (await call(editor, 'POST', '/api/v1/documents/doc-1/open')).json().conversation;
    expect(room.assistant).toBeNull();
    expect((await post(editor, room.id, 'In the room')).statusCode).toBe(201);
    await drain();
    expect(provider.requests).toHaveLength(0);

    expect((await call(owner.headers, 'PATCH', `/api/v1/admin/assistants/${assistant.id}`, { documentRooms: true })).statusCode).toBe(200);
    expect((await call(viewer, 'POST', '/api/v1/documents/doc-1/open')).json().conversation.assistant).toEqual({ name: 'Ada', active: true });
    const stream = await open(viewer);
    expect((await post(editor, room.id, 'Now answer')).statusCode).toBe(201);
    await stream.until((f) => f.some((x) => x.event === 'assistant.ended'));
    await drain();
    expect(dataOf(stream.frames, 'message.delta').map((d) => d.delta).join('')).toBe('Hello there!');
    expect(provider.requests[0]!.body.messages.slice(1)).toEqual([
      { role: 'user', content: 'In the room' },
      { role: 'user', content: 'Now answer' },
    ]);
  });

  it('no assistant, or one for another organization: conversations show none and nothing is asked', async () => {
    await setUp();
    const owner = await sessionFor({ id: 'the-owner' }, 'owner');
    const user = await sessionFor({ id: 'ada', name: 'Ada' });
    const none = await start(user.headers, 'Plain');
    expect(none.assistant).toBeNull();
    await t.db.store.db.insertInto('organizations').values({ id: 'acme', name: 'Acme', created_at: t.clock.now }).execute();
    await createAssistant(owner.headers, { organizationIds: ['acme'] });
    const other = await start(user.headers, 'Still plain');
    expect(other.assistant).toBeNull();
    await drain();
    expect(provider.requests).toHaveLength(0);
  });
});
