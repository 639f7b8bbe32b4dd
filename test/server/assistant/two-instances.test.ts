/**
 * The assistant across two instances on one PostgreSQL database: a reply streamed by one instance reaches
 * a user's stream open on the other (signals over NOTIFY), and the user's Stop, asked through the other
 * instance, ends it with its text so far (the stop flag the streaming instance reads).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../../server/src/app.js';
import { loadConfig } from '../../../server/src/config.js';
import { createTestApp, PUBLIC_URL, TEST_SECRET, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';
import { openSse, type SseReader } from '../../helpers/sse.js';
import { gate, startFakeProvider, type FakeProvider } from './fake-provider.js';

const TIMEOUTS = { firstTokenMs: 2000, totalMs: 8000, stopPollMs: 50, retryPauseMs: 10 };

describe.each(DIALECTS.filter((d) => d === 'postgres'))('the assistant on two instances (%s)', (dialect) => {
  let t: TestApp;
  let other: App | undefined;
  let provider: FakeProvider;
  const streams: SseReader[] = [];
  afterEach(async () => {
    for (const s of streams.splice(0)) s.close();
    await other?.close();
    await t?.close();
    await provider?.close();
  });

  it('deltas reach the other instance’s streams, and a stop asked there ends the reply', async () => {
    provider = await startFakeProvider();
    const held = gate();
    provider.script.push({ kind: 'reply', pieces: ['Across', ' instances'], gates: new Map([[1, held.opened]]) });
    t = await createTestApp({ dialect, assistant: TIMEOUTS });
    other = await buildApp({
      config: loadConfig({ PUBLIC_URL, PARLEY_EXTERNAL_AUTH_SECRET: TEST_SECRET, PARLEY_SEAT_LIMIT: '50', PARLEY_SIGNIN_RATE_LIMIT: '0', PARLEY_SIGNIN_RATE_LIMIT_PER_KEY: '0' }),
      store: await t.db.elsewhere(),
      now: () => t.clock.now,
      // This instance streams no reply itself: the first one does, and this one only hears it.
      assistant: { ...TIMEOUTS, concurrency: 0 },
    });
    const otherBase = await other.listen({ port: 0, host: '127.0.0.1' });
    const session = async (user: Record<string, unknown>) => {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user }) } });
      return { headers: { authorization: `Bearer ${res.json().session.token}` }, userId: res.json().user.id as string };
    };
    const owner = await session({ id: 'the-owner' });
    await t.app.services.users.setRole(owner.userId, 'owner');
    const user = await session({ id: 'ada', name: 'Ada' });
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/admin/assistants', headers: owner.headers, payload: { name: 'Ada', baseUrl: provider.url, model: 'm', apiKey: 'sk-two-instances', systemPrompt: '', answers: 'always', allowPrivateAddress: true } });
    expect(created.statusCode).toBe(201);

    const stream = await openSse(`${otherBase}/api/v1/events`, user.headers);
    streams.push(stream);
    await stream.until((f) => f.some((x) => x.event === 'ready'));
    const started = await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: user.headers, payload: { message: { text: 'Hello', clientMessageId: 'c1' } } });
    expect(started.statusCode).toBe(201);
    const id = started.json().conversation.id as string;
    const deltas = (frames: typeof stream.frames) => frames.filter((f) => f.event === 'message.delta').map((f) => JSON.parse(f.data!).delta as string);
    await stream.until((f) => deltas(f).join('') === 'Across', 5000);
    expect(stream.frames.some((f) => f.event === 'assistant.replying')).toBe(true);

    expect((await other.inject({ method: 'POST', url: `/api/v1/conversations/${id}/assistant/stop`, headers: user.headers })).statusCode).toBe(204);
    await stream.until((f) => f.some((x) => x.event === 'assistant.ended'), 5000);
    held.open();
    const messages = (await other.inject({ method: 'GET', url: `/api/v1/conversations/${id}/messages`, headers: user.headers })).json().messages;
    expect(messages.map((m: { author: { type: string }; text: string }) => [m.author.type, m.text])).toEqual([
      ['user', 'Hello'],
      ['assistant', 'Across'],
    ]);
    expect(stream.frames.filter((f) => f.event === 'message.created').map((f) => JSON.parse(f.data!).message.text)).toEqual(['Hello', 'Across']);
  });
});
