/**
 * A take-over or a stop that lands between a reply's checks and its start wins: the reply never starts (the
 * move to streaming was unconditional, so such a reply called the model and streamed until its next stop
 * poll). The sender here is built on the app's database and streams, with a presence check (`when_offline`)
 * that takes the conversation over, or stops its reply, while it runs: after every other check, before the
 * start. And a reply streaming in a conversation no longer the assistant's (a take-over whose stop flag
 * missed it) stops at its next poll.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';
import { openSse, type SseReader } from '../../helpers/sse.js';
import { createAssistantSender } from '../../../server/src/assistant/sender.js';
import { createAssistantWrites } from '../../../server/src/assistant/writes.js';
import { createReplyRegistry } from '../../../server/src/assistant/registry.js';
import { ASSISTANT_REPLY_KIND } from '../../../server/src/assistant/chat-hook.js';
import { createConversationRepository } from '../../../server/src/store/conversations.js';
import { gate, startFakeProvider, type FakeProvider } from './fake-provider.js';
import { call as callAs, sessionFor as sessionOf, type Headers } from './sessions.js';

const TIMEOUTS = { firstTokenMs: 2000, totalMs: 5000, stopPollMs: 50, retryPauseMs: 10 };

describe.each(DIALECTS)('a stop or take-over just before a reply starts (%s)', (dialect) => {
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
  const replyStates = async () => (await t.db.store.db.selectFrom('assistant_replies').select('state').execute()).map((r) => r.state);

  async function setUp(options: { lanes?: number; answers: 'always' | 'when_offline' }) {
    provider = await startFakeProvider();
    t = await createTestApp({ dialect, assistant: { ...TIMEOUTS, ...(options.lanes !== undefined ? { concurrency: options.lanes } : {}) } });
    const owner = await sessionFor({ id: 'the-owner', name: 'Olga' }, 'owner');
    const user = await sessionFor({ id: 'ada', name: 'Ada' });
    const created = await call(owner, 'POST', '/api/v1/admin/assistants', { name: 'Ada', baseUrl: provider.url, model: 'm', apiKey: 'sk-stop-before-start', systemPrompt: '', answers: options.answers, allowPrivateAddress: true });
    expect(created.statusCode).toBe(201);
    return { owner, user };
  }

  const cases: ['take-over' | 'stop'][] = [['take-over'], ['stop']];
  it.each(cases)('a %s after the checks, before the start: the model is never called', async (what) => {
    // No worker of the app sends replies: the test's sender does, once.
    const { owner, user } = await setUp({ lanes: 0, answers: 'when_offline' });
    const started = await call(user, 'POST', '/api/v1/conversations', { message: { text: 'Hello', clientMessageId: 'c1' } });
    expect(started.statusCode).toBe(201);
    const id = started.json().conversation.id as string;

    const conversations = createConversationRepository(t.db.store);
    let asked = 0;
    const sender = createAssistantSender({
      store: t.db.store,
      bus: t.app.services.bus,
      signals: t.app.services.signals,
      conversations,
      // The last check before the start: the team's presence. It answers "offline", after the act.
      presence: {
        async online() {
          asked++;
          if (what === 'take-over') expect((await call(owner, 'POST', `/api/v1/admin/conversations/${id}/take-over`)).statusCode).toBe(200);
          else expect((await call(user, 'POST', `/api/v1/conversations/${id}/assistant/stop`)).statusCode).toBe(204);
          return false;
        },
      },
      writes: createAssistantWrites({ events: t.app.services.events, conversations }),
      registry: createReplyRegistry(),
      now: () => t.clock.now,
      timeouts: TIMEOUTS,
    });
    const [row] = await t.app.services.outbox.claim(t.clock.now, 1, { kinds: [ASSISTANT_REPLY_KIND] });
    expect(await sender.send(row!, t.clock.now)).toEqual({ ok: true });
    expect(asked).toBe(1);
    expect(provider.requests).toHaveLength(0);
    expect(await replyStates()).toEqual(['skipped']);
    const messages = (await call(user, 'GET', `/api/v1/conversations/${id}/messages`)).json().messages;
    expect(messages.map((m: { author: { type: string }; text: string }) => [m.author.type, m.text])).toEqual([['user', 'Hello']]);
  });

  it('a reply streaming in a conversation taken over without its stop flag stops at the next poll', async () => {
    const { user } = await setUp({ answers: 'always' });
    const held = gate();
    provider.script.push({ kind: 'reply', pieces: ['First part', ' never sent'], gates: new Map([[1, held.opened]]) });
    const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const stream = await openSse(`${base}/api/v1/events`, user);
    streams.push(stream);
    await stream.until((f) => f.some((x) => x.event === 'ready'));
    const started = await call(user, 'POST', '/api/v1/conversations', { message: { text: 'Go', clientMessageId: 'c1' } });
    const id = started.json().conversation.id as string;
    await stream.until((f) => f.filter((x) => x.event === 'message.delta').map((x) => JSON.parse(x.data!).delta).join('') === 'First part');
    // As a take-over leaves a conversation whose reply it did not see (that reply was being written as it committed).
    await t.db.store.db.updateTable('conversations').set({ assistant_off_at: t.clock.now }).where('id', '=', id).execute();
    await stream.until((f) => f.some((x) => x.event === 'assistant.ended'));
    held.open();
    await t.app.services.assistant.runner.drain();
    expect(await replyStates()).toEqual(['stopped']);
    const messages = (await call(user, 'GET', `/api/v1/conversations/${id}/messages`)).json().messages;
    expect(messages.map((m: { author: { type: string }; text: string }) => [m.author.type, m.text])).toEqual([
      ['user', 'Go'],
      ['assistant', 'First part'],
    ]);
  });
});
