/**
 * The store's reservation of a reply's message under the daily limits (store/assistants.ts `startReply`),
 * many replies at once: on PostgreSQL each start is its own transaction on its own connection, so these
 * race for real. Exactly the limit's number start, for one user's limit (a conditional upsert of their row)
 * and for one organization's (a sum over its users' rows, under an advisory lock); a refused reply stays
 * pending with nothing counted; a message given back can be taken again; a limit of 0 starts nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';
import { createAssistantRepository, NO_LIMITS, utcDay, type AssistantLimits } from '../../../server/src/store/assistants.js';

const AT_ONCE = 12;

describe.each(DIALECTS)('reserving replies under the daily limits (%s)', (dialect) => {
  let t: TestApp;
  afterEach(async () => {
    await t?.close();
  });

  /** An assistant, `users` users of the default organization and a conversation; no worker sends replies. */
  async function setUp(users: number, limits: Partial<AssistantLimits>) {
    t = await createTestApp({ dialect, assistant: { concurrency: 0 } });
    const repo = createAssistantRepository(t.db.store);
    const ids: string[] = [];
    for (let i = 0; i < users; i++) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id: `u${i}` } }) } });
      ids.push(res.json().user.id as string);
    }
    const first = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id: 'u0' } }) } });
    const conversation = await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: { authorization: `Bearer ${first.json().session.token}` }, payload: { title: 'Race' } });
    expect(conversation.statusCode).toBe(201);
    const assistant = await repo.create(t.db.store.db, { name: 'Ada', baseUrl: 'http://127.0.0.1:9/v1', model: 'm', apiKey: 'sk-reservation-key', systemPrompt: '', temperature: 0.7, answers: 'always', organizationIds: null, documentRooms: false, shareTokenMetadata: false, allowPrivateAddress: true, contextTokens: 4000, limits: { ...NO_LIMITS, ...limits } }, t.clock.now);
    return { repo, assistant, userIds: ids, conversationId: conversation.json().conversation.id as string };
  }

  async function startAll(env: Awaited<ReturnType<typeof setUp>>, userOf: (i: number) => string) {
    const replies = [];
    for (let i = 0; i < AT_ONCE; i++) replies.push({ id: await env.repo.createReply(t.db.store.db, { conversationId: env.conversationId, assistantId: env.assistant.id, userId: userOf(i) }, t.clock.now), userId: userOf(i) });
    const key = (userId: string) => ({ assistantId: env.assistant.id, day: utcDay(t.clock.now), userId, organizationId: 'default', limits: env.assistant.limits });
    const outcomes = await Promise.all(replies.map((r) => env.repo.startReply(r.id, key(r.userId), t.clock.now)));
    const states = await t.db.store.db.selectFrom('assistant_replies').select(['id', 'state']).execute();
    return { outcomes, replies, states, key };
  }
  const count = (values: readonly string[]) => Object.fromEntries([...new Set(values)].sort().map((v) => [v, values.filter((x) => x === v).length]));
  const usage = async () => (await t.db.store.db.selectFrom('assistant_usage').select(['messages', 'tokens']).execute()).reduce((n, r) => n + Number(r.messages), 0);

  it(`one user's limit of 3: of ${AT_ONCE} replies starting at once, exactly 3 start`, async () => {
    const env = await setUp(1, { userMessagesPerDay: 3 });
    const { outcomes, states, replies, key } = await startAll(env, () => env.userIds[0]!);
    expect(count(outcomes)).toEqual({ limit_reached: AT_ONCE - 3, started: 3 });
    // Refused replies are still pending (the sender ends them with the limit's notice), counted nowhere.
    expect(count(states.map((s) => s.state))).toEqual({ pending: AT_ONCE - 3, streaming: 3 });
    expect(await usage()).toBe(3);

    // A reply that ended with nothing stored gives its message back: one more can start, and no more.
    await env.repo.releaseMessage(t.db.store.db, key(env.userIds[0]!));
    const pending = replies.filter((r) => states.find((s) => s.id === r.id)!.state === 'pending');
    expect(count(await Promise.all(pending.slice(0, 2).map((r) => env.repo.startReply(r.id, key(r.userId), t.clock.now))))).toEqual({ limit_reached: 1, started: 1 });
    expect(await usage()).toBe(3);
  });

  it(`an organization's limit of 4: of ${AT_ONCE} replies of ${AT_ONCE} users starting at once, exactly 4 start`, async () => {
    const env = await setUp(AT_ONCE, { organizationMessagesPerDay: 4 });
    const { outcomes, states } = await startAll(env, (i) => env.userIds[i]!);
    expect(count(outcomes)).toEqual({ limit_reached: AT_ONCE - 4, started: 4 });
    expect(count(states.map((s) => s.state))).toEqual({ pending: AT_ONCE - 4, streaming: 4 });
    expect(await usage()).toBe(4);
  });

  it('a token limit already reached, or a limit of 0, starts nothing; no limit starts all', async () => {
    const env = await setUp(1, { userTokensPerDay: 100 });
    const userId = env.userIds[0]!;
    await env.repo.addTokens(t.db.store.db, { assistantId: env.assistant.id, day: utcDay(t.clock.now), userId, organizationId: 'default', tokens: 100 });
    const one = await env.repo.createReply(t.db.store.db, { conversationId: env.conversationId, assistantId: env.assistant.id, userId }, t.clock.now);
    const key = { assistantId: env.assistant.id, day: utcDay(t.clock.now), userId, organizationId: 'default' };
    expect(await env.repo.startReply(one, { ...key, limits: env.assistant.limits }, t.clock.now)).toBe('limit_reached');
    expect(await env.repo.startReply(one, { ...key, limits: { ...NO_LIMITS, organizationMessagesPerDay: 0 } }, t.clock.now)).toBe('limit_reached');
    expect(await env.repo.startReply(one, { ...key, limits: NO_LIMITS }, t.clock.now)).toBe('started');
    expect(await env.repo.startReply(one, { ...key, limits: NO_LIMITS }, t.clock.now)).toBe('not_started');
  });
});
