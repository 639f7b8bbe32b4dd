/**
 * A user's new message in a resolved or snoozed conversation opens it again, in the transaction of the
 * message, announced as `conversation.updated` with the conversation as it now is. An administrator's answer
 * or note leaves the status as it is.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';
import { fromNow, openSse, type SseFrame, type SseReader } from '../../helpers/sse.js';

type Headers = Record<string, string>;

describe.each(DIALECTS)('a user’s reply reopens on %s', (dialect) => {
  let t: TestApp;
  let base: string;
  let owner: Headers;
  let alice: Headers;
  const streams: SseReader[] = [];

  async function sessionFor(id: string, role: 'owner' | 'member' = 'member'): Promise<Headers> {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id, name: id } }) } });
    if (role !== 'member') await t.app.services.users.setRole(res.json().user.id, role);
    return { authorization: `Bearer ${res.json().session.token}` };
  }
  const call = (headers: Headers, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) => t.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
  const setStatus = async (id: string, patch: object) => expect((await call(owner, 'PATCH', `/api/v1/admin/conversations/${id}`, patch)).statusCode).toBe(200);
  const conversationOf = async (id: string) => (await call(alice, 'GET', `/api/v1/conversations/${id}`)).json().conversation;
  const typed = (frames: SseFrame[]) => frames.filter((f) => f.event !== undefined && f.event !== 'ready').map((f) => [f.event, JSON.parse(f.data!)]);
  async function openStream(headers: Headers): Promise<SseReader> {
    const stream = await openSse(`${base}/api/v1/events`, await fromNow(t.db.store.db, headers));
    streams.push(stream);
    await stream.until((f) => f.some((x) => x.event === 'ready'));
    return stream;
  }

  beforeEach(async () => {
    t = await createTestApp({ dialect });
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    owner = await sessionFor('the-owner', 'owner');
    alice = await sessionFor('alice');
  });
  afterEach(async () => {
    for (const s of streams.splice(0)) s.close();
    await t.close();
  });

  it('a resolve committed while the user’s message is on its way is undone by it, not lost', async () => {
    const conversation = (await call(alice, 'POST', '/api/v1/conversations', { message: { text: 'Help', clientMessageId: 'q1' } })).json().conversation;
    // The message reads its conversation (still open), then an administrator resolves it before the write.
    const access = t.app.services.access;
    const read = access.requireConversation.bind(access);
    access.requireConversation = async (...args: Parameters<typeof read>) => {
      const row = await read(...args);
      access.requireConversation = read;
      await setStatus(conversation.id, { status: 'resolved' });
      return row;
    };
    const posted = await call(alice, 'POST', `/api/v1/conversations/${conversation.id}/messages`, { text: 'Still broken', clientMessageId: 'q2' });
    expect(posted.statusCode).toBe(201);
    expect(access.requireConversation).toBe(read);
    expect(await conversationOf(conversation.id)).toMatchObject({ status: 'open', snoozedUntil: null });
    const updates = await t.db.store.db.selectFrom('events').select('payload').where('conversation_id', '=', conversation.id).where('type', '=', 'conversation.updated').orderBy('id').execute();
    expect(updates.map((e) => JSON.parse(e.payload).conversation.status)).toEqual(['resolved', 'open']);
  });

  for (const [status, patch] of [
    ['resolved', { status: 'resolved' }],
    ['snoozed', { status: 'snoozed', snoozedUntil: new Date(Date.UTC(2026, 10, 21, 9, 0, 0)).toISOString() }],
  ] as const) {
    it(`a ${status} conversation is open again after the user’s message, and both sides hear it`, async () => {
      const conversation = (await call(alice, 'POST', '/api/v1/conversations', { message: { text: 'Help', clientMessageId: 'q1' } })).json().conversation;
      await setStatus(conversation.id, patch);
      expect(await conversationOf(conversation.id)).toMatchObject({ status, snoozedUntil: status === 'snoozed' ? patch.snoozedUntil : null });
      const userStream = await openStream(alice);
      const adminStream = await openStream(owner);
      t.clock.now += 1000;
      const posted = await call(alice, 'POST', `/api/v1/conversations/${conversation.id}/messages`, { text: 'It broke again', clientMessageId: 'q2' });
      expect(posted.statusCode).toBe(201);
      const message = posted.json().message;
      const now = await conversationOf(conversation.id);
      expect(now).toEqual({ ...conversation, status: 'open', snoozedUntil: null, lastMessage: message, lastMessageAt: new Date(t.clock.now).toISOString() });
      for (const stream of [userStream, adminStream]) {
        const frames = await stream.until((f) => typed(f).length === 2);
        expect(typed(frames)).toEqual([
          ['message.created', { message }],
          ['conversation.updated', { conversation: now }],
        ]);
      }
      // A retry of the same message changes nothing more.
      expect((await call(alice, 'POST', `/api/v1/conversations/${conversation.id}/messages`, { text: 'It broke again', clientMessageId: 'q2' })).statusCode).toBe(200);
    });
  }

  it('an administrator’s answer or note does not reopen it', async () => {
    const conversation = (await call(alice, 'POST', '/api/v1/conversations', { message: { text: 'Help', clientMessageId: 'q1' } })).json().conversation;
    await setStatus(conversation.id, { status: 'resolved' });
    expect((await call(owner, 'POST', `/api/v1/admin/conversations/${conversation.id}/messages`, { text: 'One more thing', clientMessageId: 'a1' })).statusCode).toBe(201);
    expect((await call(owner, 'POST', `/api/v1/admin/conversations/${conversation.id}/messages`, { text: 'Noted', clientMessageId: 'n1', internal: true })).statusCode).toBe(201);
    expect(await conversationOf(conversation.id)).toMatchObject({ status: 'resolved' });
    const stored = await t.db.store.db.selectFrom('events').select('type').where('conversation_id', '=', conversation.id).where('type', '=', 'conversation.updated').execute();
    expect(stored).toHaveLength(1); // the resolution itself
  });
});
