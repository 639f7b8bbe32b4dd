/**
 * Editing and deleting messages: `PATCH`/`DELETE /api/v1/conversations/:id/messages/:messageId` for the
 * author within 15 minutes, and the same under `/api/v1/admin/…` for administrators, who may also delete any
 * message at any time (audited when it is someone else's). Each change is announced (`message.updated`,
 * `message.deleted`) to whoever may see the message; a deletion empties the text and keeps the row.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MESSAGE_EDIT_WINDOW_MS } from '#shared/constants.js';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';
import { fromNow, openSse, type SseFrame, type SseReader } from '../../helpers/sse.js';

type Headers = Record<string, string>;
interface Who {
  headers: Headers;
  userId: string;
  admin: boolean;
}

describe.each(DIALECTS)('message edits and deletions on %s', (dialect) => {
  let t: TestApp;
  let base: string;
  let owner: Who;
  let alice: Who;
  const streams: SseReader[] = [];

  async function sessionFor(id: string, role: 'owner' | 'admin' | 'member' = 'member'): Promise<Who> {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id, name: id } }) } });
    const { session, user } = res.json();
    if (role !== 'member') await t.app.services.users.setRole(user.id, role);
    return { headers: { authorization: `Bearer ${session.token}` }, userId: user.id, admin: role !== 'member' };
  }
  const prefix = (who: Who) => (who.admin ? '/api/v1/admin' : '/api/v1');
  const call = (who: Who, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    t.app.inject({ method, url, headers: who.headers, ...(payload ? { payload } : {}) });
  const start = async (who: Who, text: string, clientMessageId: string) =>
    (await call(who, 'POST', '/api/v1/conversations', { message: { text, clientMessageId } })).json().conversation;
  const post = async (who: Who, id: string, text: string, extra: object = {}) =>
    (await call(who, 'POST', `${prefix(who)}/conversations/${id}/messages`, { text, clientMessageId: text.replace(/\W/g, ''), ...extra })).json().message;
  const edit = (who: Who, id: string, messageId: string, text: string, via = prefix(who)) => call(who, 'PATCH', `${via}/conversations/${id}/messages/${messageId}`, { text });
  const remove = (who: Who, id: string, messageId: string, via = prefix(who)) => call(who, 'DELETE', `${via}/conversations/${id}/messages/${messageId}`);
  const thread = async (who: Who, id: string) => (await call(who, 'GET', `${prefix(who)}/conversations/${id}/messages`)).json().messages;
  const typed = (frames: SseFrame[]) => frames.filter((f) => f.event !== undefined && f.event !== 'ready').map((f) => [f.event, JSON.parse(f.data!)]);
  const error = (code: string, message: string) => ({ error: { code, message } });
  async function openStream(who: Who): Promise<SseReader> {
    const stream = await openSse(`${base}/api/v1/events`, await fromNow(t.db.store.db, who.headers));
    streams.push(stream);
    await stream.until((f) => f.some((x) => x.event === 'ready'));
    return stream;
  }
  const iso = (ms: number) => new Date(ms).toISOString();
  const audit = () => t.db.store.db.selectFrom('audit_log').select(['action', 'actor_id', 'target', 'outcome']).where('action', 'like', 'message.%').orderBy('id').execute();

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

  it('the author edits within 15 minutes: 200 with the message as it now is, announced to both sides', async () => {
    const conversation = await start(alice, 'Pritner jammed', 'q1');
    const original = conversation.lastMessage;
    const userStream = await openStream(alice);
    const adminStream = await openStream(owner);
    t.clock.now += MESSAGE_EDIT_WINDOW_MS;
    const res = await edit(alice, conversation.id, original.id, 'Printer jammed');
    const edited = { ...original, text: 'Printer jammed', editedAt: iso(t.clock.now) };
    expect([res.statusCode, res.json()]).toEqual([200, { message: edited }]);
    expect(await thread(alice, conversation.id)).toEqual([edited]);
    expect(await thread(owner, conversation.id)).toEqual([edited]);
    // The title came from the first message's text: it follows the edit.
    for (const stream of [userStream, adminStream]) {
      const frames = await stream.until((f) => typed(f).length === 2);
      expect(typed(frames)).toEqual([
        ['message.updated', { message: edited }],
        ['conversation.updated', { conversation: { ...conversation, title: 'Printer jammed', lastMessage: edited } }],
      ]);
    }
    // The same text again changes nothing and announces nothing.
    const again = await edit(alice, conversation.id, original.id, 'Printer jammed');
    expect([again.statusCode, again.json()]).toEqual([200, { message: edited }]);

    // An administrator edits their own answer the same way, through the admin route.
    const answer = await post(owner, conversation.id, 'Which flor?');
    const fixed = await edit(owner, conversation.id, answer.id, 'Which floor?');
    expect([fixed.statusCode, fixed.json().message]).toEqual([200, { ...answer, text: 'Which floor?', editedAt: iso(t.clock.now) }]);
    const frames = await userStream.until((f) => typed(f).length === 4);
    expect(typed(frames).map(([event]) => event)).toEqual(['message.updated', 'conversation.updated', 'message.created', 'message.updated']);
  });

  it('someone else’s message, or one past the window, is 403 message_locked; the text rules of posting apply', async () => {
    const conversation = await start(alice, 'Hello', 'q1');
    const mine = conversation.lastMessage;
    const answer = await post(owner, conversation.id, 'Hi');
    const locked = error('message_locked', 'Only the author may change a message, within 15 minutes; an administrator may delete any.');
    for (const res of [await edit(alice, conversation.id, answer.id, 'Changed'), await remove(alice, conversation.id, answer.id), await edit(owner, conversation.id, mine.id, 'Changed')]) {
      expect([res.statusCode, res.json()]).toEqual([403, locked]);
    }
    // Another member of the organization does not reach the conversation at all.
    const bob = await sessionFor('bob');
    const outOfReach = await edit(bob, conversation.id, mine.id, 'Changed');
    expect([outOfReach.statusCode, outOfReach.json()]).toEqual([404, error('conversation_not_found', 'No such conversation.')]);

    const empty = await edit(alice, conversation.id, mine.id, '   ');
    expect([empty.statusCode, empty.json().error.code]).toEqual([400, 'message_empty']);
    const long = await edit(alice, conversation.id, mine.id, 'x'.repeat(10_001));
    expect([long.statusCode, long.json().error.code]).toEqual([400, 'message_too_long']);

    t.clock.now += MESSAGE_EDIT_WINDOW_MS + 1;
    for (const res of [await edit(alice, conversation.id, mine.id, 'Too late'), await remove(alice, conversation.id, mine.id), await edit(owner, conversation.id, answer.id, 'Too late')]) {
      expect([res.statusCode, res.json()]).toEqual([403, locked]);
    }
    expect((await thread(alice, conversation.id)).map((m: { text: string }) => m.text)).toEqual(['Hello', 'Hi']);
  });

  it('an unknown message, one of another conversation, or a note to a user is 404 message_not_found', async () => {
    const conversation = await start(alice, 'Hello', 'q1');
    const other = await start(alice, 'Other', 'q2');
    const note = await post(owner, conversation.id, 'Internal', { internal: true });
    const notFound = error('message_not_found', 'No such message.');
    const attempts = [
      await edit(alice, conversation.id, 'msg_unknown', 'x'),
      await edit(alice, conversation.id, other.lastMessage.id, 'x'),
      await remove(alice, conversation.id, other.lastMessage.id),
      await edit(alice, conversation.id, note.id, 'x'),
      await remove(alice, conversation.id, note.id),
      await remove(owner, conversation.id, other.lastMessage.id),
    ];
    for (const res of attempts) expect([res.statusCode, res.json()]).toEqual([404, notFound]);
    const unknownConversation = await remove(owner, 'cnv_unknown', note.id);
    expect([unknownConversation.statusCode, unknownConversation.json().error.code]).toEqual([404, 'conversation_not_found']);
  });

  it('a deletion empties the text, keeps the row, is announced, and is idempotent; a deleted message cannot be edited', async () => {
    const conversation = await start(alice, 'My card number is 4111', 'q1');
    const message = conversation.lastMessage;
    const adminStream = await openStream(owner);
    const res = await remove(alice, conversation.id, message.id);
    expect([res.statusCode, res.body]).toEqual([204, '']);
    const deleted = { ...message, text: '', deletedAt: iso(t.clock.now) };
    expect(await thread(alice, conversation.id)).toEqual([deleted]);
    expect(await t.db.store.db.selectFrom('messages').select(['text', 'deleted_at']).where('id', '=', message.id).executeTakeFirst()).toEqual({ text: '', deleted_at: t.clock.now });
    expect((await call(alice, 'GET', '/api/v1/conversations')).json().conversations[0].lastMessage).toEqual(deleted);
    // Its title was its text: the conversation has none now (the clients show their placeholder).
    expect(typed(await adminStream.until((f) => typed(f).length === 2))).toEqual([
      ['message.deleted', { message: deleted }],
      ['conversation.updated', { conversation: { ...conversation, title: null, lastMessage: deleted } }],
    ]);

    // Again, even after the window: nothing changes, nothing more is announced.
    t.clock.now += MESSAGE_EDIT_WINDOW_MS + 1;
    const twice = await remove(alice, conversation.id, message.id);
    expect([twice.statusCode, twice.body]).toEqual([204, '']);
    const byAdmin = await remove(owner, conversation.id, message.id);
    expect(byAdmin.statusCode).toBe(204);
    const marker = await post(owner, conversation.id, 'After');
    const frames = await adminStream.until((f) => typed(f).some(([, data]) => data.conversation?.title === 'After'));
    expect(marker.text).toBe('After');
    // The untitled conversation takes its next message's title, as a new one does.
    expect(typed(frames).map(([event]) => event)).toEqual(['message.deleted', 'conversation.updated', 'message.created', 'conversation.updated']);

    t.clock.now -= MESSAGE_EDIT_WINDOW_MS;
    const editDeleted = await edit(alice, conversation.id, message.id, 'Restored');
    expect([editDeleted.statusCode, editDeleted.json()]).toEqual([409, error('message_deleted', 'A deleted message cannot be edited.')]);
    expect(await audit()).toEqual([]);
  });

  it('an administrator deletes any message at any time; deleting someone else’s is audited', async () => {
    const conversation = await start(alice, 'Spam spam spam', 'q1');
    const own = await post(owner, conversation.id, 'Oops, wrong chat');
    t.clock.now += 4 * MESSAGE_EDIT_WINDOW_MS;
    const userStream = await openStream(alice);
    const res = await remove(owner, conversation.id, conversation.lastMessage.id);
    expect([res.statusCode, res.body]).toEqual([204, '']);
    expect((await remove(owner, conversation.id, own.id)).statusCode).toBe(204);
    const frames = await userStream.until((f) => typed(f).length === 4);
    expect(typed(frames).map(([event, data]) => [event, data.message?.id ?? data.conversation.title])).toEqual([
      ['message.deleted', conversation.lastMessage.id],
      ['conversation.updated', 'Oops, wrong chat'], // the next message's text titles it now
      ['message.deleted', own.id],
      ['conversation.updated', null],
    ]);
    expect(typed(frames)[0]).toEqual(['message.deleted', { message: { ...conversation.lastMessage, text: '', deletedAt: iso(t.clock.now) } }]);
    expect(await audit()).toEqual([{ action: 'message.delete', actor_id: owner.userId, target: conversation.lastMessage.id, outcome: 'ok' }]);
    // Through the user route the rules are the same: they follow the account, not the door.
    const again = await post(owner, conversation.id, 'Another');
    t.clock.now += MESSAGE_EDIT_WINDOW_MS + 1;
    expect((await remove(owner, conversation.id, again.id, '/api/v1')).statusCode).toBe(204);
  });

  it('a deleted message’s text leaves the event log: a stream resuming from the start replays none of it', async () => {
    const conversation = await start(alice, 'Topic: printers', 'q1');
    const secret = await post(alice, conversation.id, 'my card SECRET4111 oops', { clientMessageId: 'c2' });
    await edit(alice, conversation.id, secret.id, 'my card SECRET4111 oops, really');
    expect((await remove(alice, conversation.id, secret.id)).statusCode).toBe(204);
    const stored = await t.db.store.db.selectFrom('events').select(['type', 'payload']).where('conversation_id', '=', conversation.id).orderBy('id').execute();
    expect(stored.map((e) => e.type)).toEqual(['conversation.created', 'message.created', 'message.created', 'message.updated', 'message.deleted']);
    expect(stored.filter((e) => e.payload.includes('SECRET4111'))).toEqual([]);
    for (const who of [alice, owner]) {
      const replay = await openSse(`${base}/api/v1/events`, { ...who.headers, 'last-event-id': '0' });
      streams.push(replay);
      const frames = await replay.until((f) => typed(f).length === 5);
      expect(frames.some((f) => f.data?.includes('SECRET4111'))).toBe(false);
      expect(typed(frames).filter(([, data]) => data.message?.id === secret.id).map(([, data]) => data.message)).toEqual(Array(3).fill({ ...secret, text: '', editedAt: iso(t.clock.now), deletedAt: iso(t.clock.now) }));
    }
    // The first message, which titled the conversation, was neither edited nor deleted: the title stays.
    expect((await call(alice, 'GET', `/api/v1/conversations/${conversation.id}`)).json().conversation.title).toBe('Topic: printers');
  });

  it('a deleted message no longer counts as unread; a note’s edit and deletion stay with administrators', async () => {
    const conversation = await start(alice, 'Hello', 'q1');
    const answer = await post(owner, conversation.id, 'Hi');
    const unread = async () => (await call(alice, 'GET', '/api/v1/conversations')).json().conversations[0].unreadCount;
    expect(await unread()).toBe(1);
    expect((await remove(owner, conversation.id, answer.id)).statusCode).toBe(204);
    expect(await unread()).toBe(0);

    const note = await post(owner, conversation.id, 'Internal', { internal: true });
    const userStream = await openStream(alice);
    const adminStream = await openStream(owner);
    expect((await edit(owner, conversation.id, note.id, 'Internal, edited')).statusCode).toBe(200);
    expect((await remove(owner, conversation.id, note.id)).statusCode).toBe(204);
    const sentinel = await post(owner, conversation.id, 'Public');
    const adminFrames = await adminStream.until((f) => typed(f).length === 3);
    expect(typed(adminFrames).map(([event, data]) => [event, data.message.internal])).toEqual([
      ['message.updated', true],
      ['message.deleted', true],
      ['message.created', false],
    ]);
    const userFrames = await userStream.until((f) => typed(f).some(([, data]) => data.message?.id === sentinel.id));
    expect(typed(userFrames).map(([event]) => event)).toEqual(['message.created']);
  });
});
