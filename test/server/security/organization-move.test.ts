/**
 * A user moved to another organization (a token with another organizationId, or `/v2/users/update`) sees
 * nothing of the old one: no conversation in the list, no title, no last message, no event.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';
import { openSse, type SseReader } from '../../helpers/sse.js';

describe.each(DIALECTS)('moving a user to another organization on %s', (dialect) => {
  let t: TestApp;
  let base: string;
  const streams: SseReader[] = [];

  beforeEach(async () => {
    t = await createTestApp({ dialect });
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterEach(async () => {
    for (const s of streams.splice(0)) s.close();
    await t.close();
  });

  const exchange = async (user: Record<string, unknown>) => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user }) } });
    expect(res.statusCode).toBe(200);
    return { authorization: `Bearer ${res.json().session.token}` };
  };
  const api = (headers: Record<string, string>, method: 'GET' | 'POST', url: string, payload?: object) =>
    t.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });

  /** Alice, in `default`, has a conversation with a message an admin of `default` answered. */
  async function aliceWithAConversation() {
    const alice = await exchange({ id: 'alice', name: 'Alice' });
    const admin = await exchange({ id: 'boss', name: 'Boss', isAdmin: true });
    const id = (await api(alice, 'POST', '/api/v1/conversations', { title: 'Payroll' })).json().conversation.id as string;
    expect((await api(alice, 'POST', `/api/v1/conversations/${id}/messages`, { text: 'the salary list', clientMessageId: 'm1' })).statusCode).toBe(201);
    t.clock.now += 1000;
    expect((await api(admin, 'POST', `/api/v1/conversations/${id}/messages`, { text: 'here it is', clientMessageId: 'm2' })).statusCode).toBe(201);
    const listed = (await api(alice, 'GET', '/api/v1/conversations')).json();
    expect(listed.conversations.map((c: { title: string }) => c.title)).toEqual(['Payroll']);
    return { alice, admin, id };
  }

  async function expectNothingOfTheOldOrganization(headers: Record<string, string>, admin: Record<string, string>, id: string) {
    const list = await api(headers, 'GET', '/api/v1/conversations');
    expect(list.statusCode).toBe(200);
    expect(list.json()).toEqual({ conversations: [], nextCursor: null });
    const paged = await api(headers, 'GET', `/api/v1/conversations?limit=1&cursor=${encodeURIComponent(`${t.clock.now + 1}.zzzz`)}`);
    expect(paged.json()).toEqual({ conversations: [], nextCursor: null });
    for (const [method, url, payload] of [
      ['GET', `/api/v1/conversations/${id}`, undefined],
      ['GET', `/api/v1/conversations/${id}/messages`, undefined],
      ['POST', `/api/v1/conversations/${id}/messages`, { text: 'still here?', clientMessageId: 'm3' }],
    ] as const) {
      const res = await api(headers, method, url, payload);
      expect([res.statusCode, res.json()]).toEqual([404, { error: { code: 'conversation_not_found', message: 'No such conversation.' } }]);
    }
    // Neither the log replayed from the start nor a live message in the old conversation reaches them.
    const stream = await openSse(`${base}/api/v1/events`, { ...headers, 'last-event-id': '0' });
    streams.push(stream);
    expect(stream.status).toBe(200);
    await stream.until((f) => f.some((x) => x.event === 'ready'));
    expect((await api(admin, 'POST', `/api/v1/conversations/${id}/messages`, { text: 'after the move', clientMessageId: 'm4' })).statusCode).toBe(201);
    // A marker of the new organization, delivered after the old one's message would have been.
    const own = (await api(headers, 'POST', '/api/v1/conversations', { title: 'New home' })).json().conversation;
    expect(own.organizationId).toBe('globex');
    const frames = await stream.until((f) => f.some((x) => x.event === 'conversation.created'));
    expect(frames.filter((f) => f.event !== undefined).map((f) => [f.event, f.data])).toEqual([
      ['ready', '{}'],
      ['conversation.created', JSON.stringify({ conversation: own })],
    ]);
    expect((await api(headers, 'GET', '/api/v1/conversations')).json().conversations.map((c: { title: string }) => c.title)).toEqual(['New home']);
  }

  it('by a new token with another organizationId', async () => {
    const { alice, admin, id } = await aliceWithAConversation();
    const moved = await exchange({ id: 'alice', name: 'Alice', organizationId: 'globex' });
    await expectNothingOfTheOldOrganization(moved, admin, id);
    // The session opened before the move is the same account, now of globex: it sees nothing old either.
    expect((await api(alice, 'GET', '/api/v1/conversations')).json().conversations.map((c: { title: string }) => c.title)).toEqual(['New home']);
  });

  it('by /v2/users/update', async () => {
    const { alice, admin, id } = await aliceWithAConversation();
    const creds = await t.app.services.apiCredentials.create('test', t.clock.now);
    const update = await t.app.inject({
      method: 'POST',
      url: '/v2/users/update',
      headers: { 'x-api-key': creds.apiKey, 'x-auth-token': creds.authToken },
      payload: { data: { users: [{ userId: 'alice', organizationId: 'globex' }] } },
    });
    expect(update.json().result.data.alice).toMatchObject({ success: true, user: { organizationId: 'globex' } });
    await expectNothingOfTheOldOrganization(alice, admin, id);
  });
});
