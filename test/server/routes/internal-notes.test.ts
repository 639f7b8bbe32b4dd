/**
 * Internal notes: `POST /api/v1/admin/conversations/:id/messages` with `internal: true` stores a note that
 * administrators see everywhere (the inbox's thread, their streams) and the conversation's users never do:
 * not in their messages, their list's preview, their unread count, their live stream nor a resumed one.
 * A note does not answer, title or move the conversation.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';
import { fromNow, openSse, type SseFrame, type SseReader } from '../../helpers/sse.js';

type Headers = Record<string, string>;
interface Who {
  headers: Headers;
  userId: string;
}

describe.each(DIALECTS)('internal notes on %s', (dialect) => {
  let t: TestApp;
  let base: string;
  let owner: Who;
  let alice: Who;
  const streams: SseReader[] = [];

  async function sessionFor(id: string, role: 'owner' | 'admin' | 'member' = 'member'): Promise<Who> {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id, name: id } }) } });
    const { session, user } = res.json();
    if (role !== 'member') await t.app.services.users.setRole(user.id, role);
    return { headers: { authorization: `Bearer ${session.token}` }, userId: user.id };
  }
  const call = (who: Who, method: 'GET' | 'POST', url: string, payload?: object) => t.app.inject({ method, url, headers: who.headers, ...(payload ? { payload } : {}) });
  const start = async (who: Who, text: string, clientMessageId: string) =>
    (await call(who, 'POST', '/api/v1/conversations', { message: { text, clientMessageId } })).json().conversation;
  const note = (who: Who, id: string, text: string, clientMessageId: string) =>
    call(who, 'POST', `/api/v1/admin/conversations/${id}/messages`, { text, clientMessageId, internal: true });
  const answer = (who: Who, id: string, text: string, clientMessageId: string) => call(who, 'POST', `/api/v1/admin/conversations/${id}/messages`, { text, clientMessageId });
  const texts = (messages: { text: string }[]) => messages.map((m) => m.text);
  const typed = (frames: SseFrame[]) => frames.filter((f) => f.event !== undefined && f.event !== 'ready');
  async function openStream(who: Who, headers?: Headers): Promise<SseReader> {
    const stream = await openSse(`${base}/api/v1/events`, headers ?? (await fromNow(t.db.store.db, who.headers)));
    streams.push(stream);
    await stream.until((f) => f.some((x) => x.event === 'ready'));
    return stream;
  }
  const latestEventId = async () => Number((await t.db.store.db.selectFrom('events').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst())?.id ?? 0);

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

  it('is stored as a note and shown to administrators, never in the user’s messages, preview or unread count', async () => {
    const conversation = await start(alice, 'Refund please', 'q1');
    const created = await note(owner, conversation.id, 'Customer since 2019, be generous', 'n1');
    expect(created.statusCode).toBe(201);
    const stored = created.json().message;
    expect(stored).toMatchObject({ conversationId: conversation.id, text: 'Customer since 2019, be generous', internal: true, editedAt: null, deletedAt: null, author: { id: owner.userId, agent: true } });
    expect(await t.db.store.db.selectFrom('messages').select(['internal']).where('id', '=', stored.id).executeTakeFirst()).toEqual({ internal: 1 });
    // A retry answers the same note.
    const retry = await note(owner, conversation.id, 'Customer since 2019, be generous', 'n1');
    expect([retry.statusCode, retry.json().message.id]).toEqual([200, stored.id]);

    const adminThread = await call(owner, 'GET', `/api/v1/admin/conversations/${conversation.id}/messages`);
    expect([adminThread.statusCode, texts(adminThread.json().messages)]).toEqual([200, ['Refund please', 'Customer since 2019, be generous']]);
    const userThread = await call(alice, 'GET', `/api/v1/conversations/${conversation.id}/messages`);
    expect([userThread.statusCode, userThread.json()]).toEqual([200, { messages: [conversation.lastMessage], hasMore: false }]);

    const list = (await call(alice, 'GET', '/api/v1/conversations')).json().conversations;
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ id: conversation.id, lastMessage: conversation.lastMessage, lastMessageAt: conversation.lastMessageAt, unreadCount: 0 });
    expect((await call(alice, 'GET', `/api/v1/conversations/${conversation.id}`)).json().conversation.lastMessage).toEqual(conversation.lastMessage);

    // A user may not page from a note, nor mark one read: to them it is no message of this conversation.
    const before = await call(alice, 'GET', `/api/v1/conversations/${conversation.id}/messages?before=${stored.id}`);
    expect([before.statusCode, before.json().error.code]).toEqual([400, 'bad_request']);
    const read = await call(alice, 'POST', `/api/v1/conversations/${conversation.id}/read`, { messageId: stored.id });
    expect([read.statusCode, read.json()]).toEqual([400, { error: { code: 'bad_request', message: 'messageId is not a message of this conversation.' } }]);

    // An answer after the note counts as one unread message, not two; the note never counts for anyone.
    await answer(owner, conversation.id, 'Refunded', 'a1');
    await note(await sessionFor('second-admin', 'admin'), conversation.id, 'Done by the owner', 'n2');
    expect((await call(alice, 'GET', '/api/v1/conversations')).json().conversations[0]).toMatchObject({ unreadCount: 1, lastMessage: { text: 'Refunded', internal: false } });
    expect((await call(owner, 'GET', '/api/v1/conversations')).json().conversations[0]).toMatchObject({ unreadCount: 0 });
  });

  it('does not answer, title, or move the conversation', async () => {
    const conversation = await start(alice, 'Printer jammed', 'q1');
    const waiting = async () => (await call(owner, 'GET', '/api/v1/admin/inbox/counts')).json().waiting;
    expect(await waiting()).toBe(1);
    t.clock.now += 60_000;
    await note(owner, conversation.id, 'Probably floor 3', 'n1');
    expect(await waiting()).toBe(1);
    const after = (await call(alice, 'GET', `/api/v1/conversations/${conversation.id}`)).json().conversation;
    expect(after).toEqual(conversation);

    // An untitled conversation whose first message is a note stays untitled to its users.
    const empty = (await call(alice, 'POST', '/api/v1/conversations', {})).json().conversation;
    await note(owner, empty.id, 'Secret title material', 'n2');
    expect((await call(alice, 'GET', `/api/v1/conversations/${empty.id}`)).json().conversation).toEqual(empty);
  });

  it('reaches administrators’ streams and never a user’s, live or resumed with Last-Event-ID', async () => {
    const conversation = await start(alice, 'Hello', 'q1');
    const resumeFrom = await latestEventId();
    const userStream = await openStream(alice);
    const adminStream = await openStream(owner);
    const noted = (await note(owner, conversation.id, 'Internal only', 'n1')).json().message;
    const answered = (await answer(owner, conversation.id, 'Public answer', 'a1')).json().message;

    const adminFrames = await adminStream.until((f) => typed(f).length === 2);
    expect(typed(adminFrames).map((f) => [f.event, JSON.parse(f.data!).message.id])).toEqual([
      ['message.created', noted.id],
      ['message.created', answered.id],
    ]);
    // The answer came after the note: once it is here, the note would have been too.
    const userFrames = await userStream.until((f) => typed(f).some((x) => x.data!.includes(answered.id)));
    expect(typed(userFrames).map((f) => [f.event, JSON.parse(f.data!).message.id])).toEqual([['message.created', answered.id]]);
    expect(JSON.stringify(userStream.frames)).not.toContain('Internal only');

    // Resumed from before the note: the log skips it for the user, and keeps it for administrators.
    const resumed = await openStream(alice, { ...alice.headers, 'last-event-id': String(resumeFrom) });
    expect(typed(resumed.frames).map((f) => [f.event, JSON.parse(f.data!).message.id])).toEqual([['message.created', answered.id]]);
    const adminResumed = await openStream(owner, { ...owner.headers, 'last-event-id': String(resumeFrom) });
    expect(typed(adminResumed.frames).map((f) => JSON.parse(f.data!).message.id)).toEqual([noted.id, answered.id]);
    const stored = await t.db.store.db.selectFrom('events').select(['type', 'internal']).where('id', '>', resumeFrom).orderBy('id').execute();
    expect(stored).toEqual([
      { type: 'message.created', internal: 1 },
      { type: 'message.created', internal: 0 },
    ]);
  });

  it('read up to a note tells the user “seen” up to the message before it', async () => {
    const conversation = await start(alice, 'Hello', 'q1');
    const second = await sessionFor('second-admin', 'admin');
    await note(owner, conversation.id, 'Looking', 'n1');
    const userStream = await openStream(alice);
    const newest = (await note(second, conversation.id, 'Me too', 'n2')).json().message;
    const read = await call(owner, 'POST', `/api/v1/admin/conversations/${conversation.id}/read`, { messageId: newest.id });
    expect([read.statusCode, read.json()]).toEqual([200, { unreadCount: 0 }]);
    const frames = await userStream.until((f) => typed(f).length === 1);
    expect(typed(frames).map((f) => [f.event, JSON.parse(f.data!)])).toEqual([
      ['conversation.read', { conversationId: conversation.id, userId: owner.userId, messageId: conversation.lastMessage.id }],
    ]);
  });

  it('is refused to members and on the user routes the flag does not exist', async () => {
    const conversation = await start(alice, 'Hello', 'q1');
    const asMember = await note(alice, conversation.id, 'Sneaky', 'n1');
    expect([asMember.statusCode, asMember.json().error.code]).toEqual([403, 'admin_required']);
    const userRoute = await call(alice, 'POST', `/api/v1/conversations/${conversation.id}/messages`, { text: 'Sneaky', clientMessageId: 'n1', internal: true });
    expect([userRoute.statusCode, userRoute.json().error.code]).toEqual([400, 'bad_request']);
  });
});
