import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';

describe.each(DIALECTS)('chat REST on %s', (dialect) => {
  let t: TestApp;
  let alice: Record<string, string>;
  let bob: Record<string, string>;

  const signIn = async (id: string, name: string) => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id, name } }) } });
    return { authorization: `Bearer ${res.json().session.token}` };
  };
  const api = (headers: Record<string, string>, method: 'GET' | 'POST', url: string, payload?: object) =>
    t.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });

  beforeEach(async () => {
    t = await createTestApp({ dialect });
    alice = await signIn('alice', 'Alice');
    bob = await signIn('bob', 'Bob');
  });
  afterEach(async () => {
    await t.close();
  });

  it('creates and lists conversations, newest activity first', async () => {
    const first = await api(alice, 'POST', '/api/v1/conversations', { title: 'First' });
    expect(first.statusCode).toBe(201);
    expect(first.json().conversation).toEqual({
      id: expect.stringMatching(/^cnv_/),
      organizationId: 'default',
      documentId: null,
      title: 'First',
      createdAt: '2026-11-20T12:00:00.000Z',
      lastMessageAt: null,
      lastMessage: null,
      status: 'open',
      snoozedUntil: null,
      assigneeId: null,
      assistant: null,
    });
    t.clock.now += 1000;
    const second = (await api(alice, 'POST', '/api/v1/conversations', {})).json().conversation;
    // Untitled until its first message gives it one.
    expect(second.title).toBeNull();
    let list = (await api(alice, 'GET', '/api/v1/conversations')).json();
    expect(list.conversations.map((c: { title: string | null }) => c.title)).toEqual([null, 'First']);
    t.clock.now += 1000;
    await api(alice, 'POST', `/api/v1/conversations/${first.json().conversation.id}/messages`, { text: 'hi', clientMessageId: 'c1' });
    list = (await api(alice, 'GET', '/api/v1/conversations')).json();
    expect(list.conversations.map((c: { title: string | null }) => c.title)).toEqual(['First', null]);
    expect(list.conversations[0].lastMessage.text).toBe('hi');
    expect(list.nextCursor).toBeNull();
  });

  it('pages the conversation list with a cursor', async () => {
    for (let i = 0; i < 5; i++) {
      await api(alice, 'POST', '/api/v1/conversations', { title: `c${i}` });
      t.clock.now += 1000;
    }
    const page1 = (await api(alice, 'GET', '/api/v1/conversations?limit=2')).json();
    expect(page1.conversations.map((c: { title: string }) => c.title)).toEqual(['c4', 'c3']);
    const page2 = (await api(alice, 'GET', `/api/v1/conversations?limit=2&cursor=${page1.nextCursor}`)).json();
    expect(page2.conversations.map((c: { title: string }) => c.title)).toEqual(['c2', 'c1']);
    const page3 = (await api(alice, 'GET', `/api/v1/conversations?limit=2&cursor=${page2.nextCursor}`)).json();
    expect(page3).toMatchObject({ conversations: [{ title: 'c0' }], nextCursor: null });
    expect((await api(alice, 'GET', '/api/v1/conversations?cursor=bogus')).json().error.code).toBe('bad_request');
  });

  it('posts messages once per clientMessageId and pages them newest last', async () => {
    const id = (await api(alice, 'POST', '/api/v1/conversations', {})).json().conversation.id;
    const post = (text: string, clientMessageId: string) => api(alice, 'POST', `/api/v1/conversations/${id}/messages`, { text, clientMessageId });
    const created = await post('hello **world**', 'cm-1');
    expect(created.statusCode).toBe(201);
    expect(created.json().message).toEqual({
      id: expect.stringMatching(/^msg_/),
      conversationId: id,
      author: { type: 'user', id: expect.stringMatching(/^usr_/), name: 'Alice', avatarUrl: null, agent: false },
      text: 'hello **world**',
      clientMessageId: 'cm-1',
      createdAt: '2026-11-20T12:00:00.000Z',
      internal: false,
      editedAt: null,
      deletedAt: null,
      attachments: [],
    });
    const retried = await post('hello **world**', 'cm-1');
    expect(retried.statusCode).toBe(200);
    expect(retried.json().message.id).toBe(created.json().message.id);
    for (let i = 2; i <= 5; i++) await post(`m${i}`, `cm-${i}`);

    const newest = (await api(alice, 'GET', `/api/v1/conversations/${id}/messages?limit=3`)).json();
    expect(newest.messages.map((m: { text: string }) => m.text)).toEqual(['m3', 'm4', 'm5']);
    expect(newest.hasMore).toBe(true);
    const older = (await api(alice, 'GET', `/api/v1/conversations/${id}/messages?limit=3&before=${newest.messages[0].id}`)).json();
    expect(older).toMatchObject({ messages: [{ text: 'hello **world**' }, { text: 'm2' }], hasMore: false });
  });

  it('concurrent retries of one clientMessageId store one message', async () => {
    const id = (await api(alice, 'POST', '/api/v1/conversations', {})).json().conversation.id;
    const results = await Promise.all(Array.from({ length: 10 }, () => api(alice, 'POST', `/api/v1/conversations/${id}/messages`, { text: 'once', clientMessageId: 'same' })));
    expect(new Set(results.map((r) => r.json().message.id)).size).toBe(1);
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(1);
    expect((await api(alice, 'GET', `/api/v1/conversations/${id}/messages`)).json().messages).toHaveLength(1);
  });

  it('enforces 1 to 10,000 characters, counted as characters', async () => {
    const id = (await api(alice, 'POST', '/api/v1/conversations', {})).json().conversation.id;
    const post = (text: string, clientMessageId: string) => api(alice, 'POST', `/api/v1/conversations/${id}/messages`, { text, clientMessageId });
    expect((await post('x'.repeat(10_000), 'a')).statusCode).toBe(201);
    expect((await post('😀'.repeat(10_000), 'b')).statusCode).toBe(201);
    const long = await post('x'.repeat(10_001), 'c');
    expect(long.statusCode).toBe(400);
    expect(long.json()).toEqual({ error: { code: 'message_too_long', message: 'A message may have at most 10,000 characters.' } });
    expect((await post('   ', 'd')).json().error.code).toBe('message_empty');
    expect((await api(alice, 'POST', `/api/v1/conversations/${id}/messages`, { text: 'x' })).json().error.code).toBe('bad_request');
    expect((await api(alice, 'POST', `/api/v1/conversations/${id}/messages`, { text: 'x', clientMessageId: 'bad id!' })).json().error.code).toBe('bad_request');
  });

  it('a user never sees or writes another user\'s conversation: the same 404 as an unknown id', async () => {
    const id = (await api(alice, 'POST', '/api/v1/conversations', { title: 'private' })).json().conversation.id;
    await api(alice, 'POST', `/api/v1/conversations/${id}/messages`, { text: 'secret', clientMessageId: 'x' });
    const notFound = { error: { code: 'conversation_not_found', message: 'No such conversation.' } };
    for (const url of [`/api/v1/conversations/${id}`, `/api/v1/conversations/${id}/messages`, '/api/v1/conversations/cnv_unknown']) {
      const res = await api(bob, 'GET', url);
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual(notFound);
    }
    // Posting reads the conversation with the session (auth/session-auth.ts): the same answers.
    for (const url of [`/api/v1/conversations/${id}/messages`, '/api/v1/conversations/cnv_unknown/messages']) {
      const write = await api(bob, 'POST', url, { text: 'intrude', clientMessageId: 'y' });
      expect([write.statusCode, write.json()]).toEqual([404, notFound]);
    }
    expect((await api(bob, 'GET', '/api/v1/conversations')).json().conversations).toEqual([]);
  });

  it('every chat route needs a session', async () => {
    for (const [method, url] of [['GET', '/api/v1/conversations'], ['POST', '/api/v1/conversations'], ['GET', '/api/v1/conversations/x/messages'], ['GET', '/api/v1/events']] as const) {
      const res = await t.app.inject({ method, url });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('session_missing');
    }
  });

  it('posting a message needs a session still on: refused as every route refuses, the session checked once the body has come', async () => {
    const id = (await api(alice, 'POST', '/api/v1/conversations', { title: 'mine' })).json().conversation.id as string;
    const url = `/api/v1/conversations/${id}/messages`;
    const body = { text: 'hi', clientMessageId: 'p1' };
    const error = (res: Awaited<ReturnType<typeof api>>) => [res.statusCode, res.json().error.code];
    expect(error(await t.app.inject({ method: 'POST', url, payload: body }))).toEqual([401, 'session_missing']);
    expect(error(await api({ authorization: 'Bearer not-a-session' }, 'POST', url, body))).toEqual([401, 'session_invalid']);
    expect(error(await api({ authorization: 'Bearer x y' }, 'POST', url, body))).toEqual([401, 'session_invalid']);
    // A genuine session, logged out: refused once its body has come (a body that is no message is refused first).
    const other = await signIn('alice', 'Alice');
    expect((await api(other, 'POST', '/api/v1/auth/logout')).statusCode).toBe(204);
    expect(error(await api(other, 'POST', url, body))).toEqual([401, 'session_invalid']);
    expect(error(await api(other, 'POST', url, { text: 'hi' }))).toEqual([400, 'bad_request']);
    // Deactivated: told why.
    const userId = (await api(alice, 'GET', '/api/v1/me')).json().user.id as string;
    await t.app.services.users.setActive(userId, false);
    expect(error(await api(alice, 'POST', url, body))).toEqual([403, 'user_deactivated']);
    expect((await t.db.store.db.selectFrom('messages').select('id').where('conversation_id', '=', id).execute()).length).toBe(0);
  });

  it('unknown API routes are JSON 404s', async () => {
    const res = await api(alice, 'GET', '/api/v1/nope');
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: { code: 'not_found', message: 'Not found.' } });
  });
});
