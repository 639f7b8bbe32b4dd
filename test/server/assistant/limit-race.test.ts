/**
 * Daily limits hold while replies overlap: a reply reserves its message when it starts, in the transaction
 * that moves it to streaming. They were judged on the replies ended so far, so replies that started while
 * others streamed all passed (a user limit of 1 let two conversations' replies through). Here the first reply
 * is held at the provider before its first token while the second is asked for.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';
import { openSse, type SseReader } from '../../helpers/sse.js';
import { gate, startFakeProvider, type FakeProvider } from './fake-provider.js';
import { call as callAs, sessionFor as sessionOf, type Headers } from './sessions.js';

const TIMEOUTS = { firstTokenMs: 5000, totalMs: 8000, stopPollMs: 50, retryPauseMs: 10 };
const LIMIT_FR = 'L’assistant a atteint sa limite du jour. Une personne de l’équipe va vous répondre.';
const LIMIT_EN = 'The assistant has reached its daily limit. A person from the team will reply.';

describe.each(DIALECTS)('daily limits while replies overlap (%s)', (dialect) => {
  let t: TestApp;
  let provider: FakeProvider;
  const streams: SseReader[] = [];
  afterEach(async () => {
    for (const s of streams.splice(0)) s.close();
    await t?.close();
    await provider?.close();
  });

  const sessionFor = (user: Record<string, unknown>, role?: 'owner') => sessionOf(t, user, role);
  const call = (headers: Headers, method: 'GET' | 'POST', url: string, payload?: object) => callAs(t, headers, method, url, payload);
  const textsOf = async (headers: Headers, id: string) =>
    (await call(headers, 'GET', `/api/v1/conversations/${id}/messages`)).json().messages.map((m: { author: { type: string }; text: string }) => [m.author.type, m.text]);

  const cases: ['a user' | 'an organization', Record<string, number>][] = [
    ['a user', { userMessagesPerDay: 1 }],
    ['an organization', { organizationMessagesPerDay: 1 }],
  ];
  it.each(cases)('%s limit of 1: of two replies asked while the first streams, exactly one streams; the other gets the limit message', async (whose, limits) => {
    provider = await startFakeProvider();
    const held = gate();
    // Both held before their first token, so that without a reservation the two would stream at once.
    provider.script.push({ kind: 'reply', pieces: ['First answer'], gates: new Map([[0, held.opened]]) }, { kind: 'reply', pieces: ['Second answer'], gates: new Map([[0, held.opened]]) });
    t = await createTestApp({ dialect, assistant: TIMEOUTS, heartbeatMs: 1000 });
    const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const owner = await sessionFor({ id: 'the-owner' }, 'owner');
    const first = await sessionFor({ id: 'amelie', name: 'Amélie', locale: 'fr-FR' });
    // The same user twice, or another user of the same (default) organization.
    const second = whose === 'a user' ? first : await sessionFor({ id: 'bob', name: 'Bob' });
    const created = await call(owner, 'POST', '/api/v1/admin/assistants', { name: 'Ada', baseUrl: provider.url, model: 'm', apiKey: 'sk-limit-race-key', systemPrompt: '', answers: 'always', allowPrivateAddress: true, limits });
    expect(created.statusCode).toBe(201);
    const stream = await openSse(`${base}/api/v1/events`, second);
    streams.push(stream);
    await stream.until((f) => f.some((x) => x.event === 'ready'));

    const a = await call(first, 'POST', '/api/v1/conversations', { message: { text: 'Première question', clientMessageId: 'a1' } });
    expect(a.statusCode).toBe(201);
    await provider.requested(1);
    const b = await call(second, 'POST', '/api/v1/conversations', { message: { text: 'Second question', clientMessageId: 'b1' } });
    expect(b.statusCode).toBe(201);
    const bId = b.json().conversation.id as string;
    const limitText = whose === 'a user' ? LIMIT_FR : LIMIT_EN;
    // The second reply either reaches the provider too, or is refused with the limit's message.
    await Promise.race([
      provider.requested(2),
      stream.until((f) => f.some((x) => x.event === 'message.created' && JSON.parse(x.data!).message.conversationId === bId && JSON.parse(x.data!).message.text === limitText), 5000).catch(() => undefined),
    ]);
    held.open();
    await t.app.services.assistant.runner.drain();

    expect(provider.requests).toHaveLength(1);
    expect(await textsOf(first, a.json().conversation.id)).toEqual([
      ['user', 'Première question'],
      ['assistant', 'First answer'],
    ]);
    expect(await textsOf(second, bId)).toEqual([
      ['user', 'Second question'],
      ['system', limitText],
    ]);
    expect((await call(second, 'GET', `/api/v1/conversations/${bId}`)).json().conversation.assistant).toEqual({ name: 'Ada', active: false });
    expect((await t.db.store.db.selectFrom('assistant_replies').select('state').execute()).map((r) => r.state).sort()).toEqual(['done', 'skipped']);
    const usage = (await call(owner, 'GET', `/api/v1/admin/assistants/${created.json().assistant.id}/usage`)).json();
    expect(usage.organizations.map((o: { messages: number }) => o.messages)).toEqual([1]);
  });
});
