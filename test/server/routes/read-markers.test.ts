/**
 * Read state: `GET /api/v1/conversations` gives each conversation the caller's `unreadCount` (messages by
 * others after their read marker) and `lastReadMessageId`; `POST /api/v1/conversations/:id/read` moves the
 * marker forward only and announces it (`conversation.read`); posting moves the author's own marker.
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

describe.each(DIALECTS)('read markers on %s', (dialect) => {
  let t: TestApp;
  let base: string;
  let owner: Who;
  let alice: Who;
  const streams: SseReader[] = [];

  async function sessionFor(id: string, role: 'owner' | 'member' = 'member'): Promise<Who> {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id, name: id } }) } });
    const { session, user } = res.json();
    if (role !== 'member') await t.app.services.users.setRole(user.id, role);
    return { headers: { authorization: `Bearer ${session.token}` }, userId: user.id };
  }
  const call = (who: Who, method: 'GET' | 'POST', url: string, payload?: object) => t.app.inject({ method, url, headers: who.headers, ...(payload ? { payload } : {}) });
  const start = async (who: Who, text: string, clientMessageId: string) =>
    (await call(who, 'POST', '/api/v1/conversations', { message: { text, clientMessageId } })).json().conversation;
  /** Posts as `who` (an administrator answers through the inbox); answers the message. */
  const post = async (who: Who, id: string, text: string) => {
    const url = who === owner ? `/api/v1/admin/conversations/${id}/messages` : `/api/v1/conversations/${id}/messages`;
    return (await call(who, 'POST', url, { text, clientMessageId: text.replace(/\W/g, '') })).json().message;
  };
  const markRead = (who: Who, id: string, messageId: string) => call(who, 'POST', `/api/v1/conversations/${id}/read`, { messageId });
  /** The caller's read state of each conversation of their list, by id. */
  const readState = async (who: Who) =>
    Object.fromEntries(
      (await call(who, 'GET', '/api/v1/conversations?limit=100')).json().conversations.map((c: { id: string; unreadCount: number; lastReadMessageId: string | null }) => [
        c.id,
        { unreadCount: c.unreadCount, lastReadMessageId: c.lastReadMessageId },
      ]),
    );
  const typed = (frames: SseFrame[]) => frames.filter((f) => f.event !== undefined && f.event !== 'ready').map((f) => [f.event, JSON.parse(f.data!)]);
  async function openStream(who: Who): Promise<SseReader> {
    const stream = await openSse(`${base}/api/v1/events`, await fromNow(t.db.store.db, who.headers));
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

  it('counts the messages by others after the marker; posting moves the author\'s marker to their message', async () => {
    const conversation = await start(alice, 'Printer jammed', 'q1');
    const first = conversation.lastMessage;
    expect(await readState(alice)).toEqual({ [conversation.id]: { unreadCount: 0, lastReadMessageId: first.id } });
    const a1 = await post(owner, conversation.id, 'Which floor?');
    const a2 = await post(owner, conversation.id, 'And which printer?');
    expect(await readState(alice)).toEqual({ [conversation.id]: { unreadCount: 2, lastReadMessageId: first.id } });
    // The administrator has read up to their own answer: Alice's first message came before it.
    expect(await readState(owner)).toEqual({ [conversation.id]: { unreadCount: 0, lastReadMessageId: a2.id } });

    const reply = await post(alice, conversation.id, 'Floor 3, the big one');
    expect(await readState(alice)).toEqual({ [conversation.id]: { unreadCount: 0, lastReadMessageId: reply.id } });
    expect(await readState(owner)).toEqual({ [conversation.id]: { unreadCount: 1, lastReadMessageId: a2.id } });
    expect(a1.id).not.toBe(a2.id);
  });

  it('a user\'s own messages never count, with no marker at all (as after the upgrade that added them)', async () => {
    const conversation = await start(alice, 'Hello', 'q1');
    await post(owner, conversation.id, 'Hi');
    await post(alice, conversation.id, 'Still there?');
    await post(owner, conversation.id, 'Yes');
    await t.db.store.db.deleteFrom('read_markers').execute();
    expect(await readState(alice)).toEqual({ [conversation.id]: { unreadCount: 2, lastReadMessageId: null } });
    expect(await readState(owner)).toEqual({ [conversation.id]: { unreadCount: 2, lastReadMessageId: null } });
  });

  it('POST …/read moves the marker forward only and answers what remains unread; a move is announced to the others', async () => {
    const conversation = await start(alice, 'Hello', 'q1');
    const answers = [];
    for (const text of ['one', 'two', 'three']) answers.push(await post(owner, conversation.id, text));
    const ownerStream = await openStream(owner);

    const forward = await markRead(alice, conversation.id, answers[1].id);
    expect([forward.statusCode, forward.json()]).toEqual([200, { unreadCount: 1 }]);
    expect(await readState(alice)).toEqual({ [conversation.id]: { unreadCount: 1, lastReadMessageId: answers[1].id } });
    const frames = await ownerStream.until((f) => typed(f).length === 1);
    expect(typed(frames)).toEqual([['conversation.read', { conversationId: conversation.id, userId: alice.userId, messageId: answers[1].id }]]);

    // An older message, or the same one again, is accepted and changes nothing (nor announces anything).
    for (const older of [answers[0].id, conversation.lastMessage.id, answers[1].id]) {
      const res = await markRead(alice, conversation.id, older);
      expect([res.statusCode, res.json()]).toEqual([200, { unreadCount: 1 }]);
    }
    expect(await readState(alice)).toEqual({ [conversation.id]: { unreadCount: 1, lastReadMessageId: answers[1].id } });
    const last = await markRead(alice, conversation.id, answers[2].id);
    expect([last.statusCode, last.json()]).toEqual([200, { unreadCount: 0 }]);
    const after = await ownerStream.until((f) => typed(f).length === 2);
    expect(typed(after)[1]).toEqual(['conversation.read', { conversationId: conversation.id, userId: alice.userId, messageId: answers[2].id }]);
  });

  it('concurrent marks keep the furthest', async () => {
    const conversation = await start(alice, 'Hello', 'q1');
    const answers = [];
    for (const text of ['one', 'two', 'three', 'four']) answers.push(await post(owner, conversation.id, text));
    const results = await Promise.all([answers[2], answers[0], answers[3], answers[1]].map((m) => markRead(alice, conversation.id, m.id)));
    expect(results.map((r) => r.statusCode)).toEqual([200, 200, 200, 200]);
    expect(await readState(alice)).toEqual({ [conversation.id]: { unreadCount: 0, lastReadMessageId: answers[3].id } });
  });

  it('a message of another conversation is 400 bad_request; a conversation out of reach is the usual 404', async () => {
    const mine = await start(alice, 'Mine', 'q1');
    const other = await start(alice, 'Other', 'q2');
    const elsewhere = await markRead(alice, mine.id, other.lastMessage.id);
    expect([elsewhere.statusCode, elsewhere.json()]).toEqual([400, { error: { code: 'bad_request', message: 'messageId is not a message of this conversation.' } }]);
    const unknown = await markRead(alice, mine.id, 'msg_unknown');
    expect([unknown.statusCode, unknown.json().error.code]).toEqual([400, 'bad_request']);
    const missing = await call(alice, 'POST', `/api/v1/conversations/${mine.id}/read`, {});
    expect([missing.statusCode, missing.json().error.code]).toEqual([400, 'bad_request']);

    const bob = await sessionFor('bob');
    const notFound = { error: { code: 'conversation_not_found', message: 'No such conversation.' } };
    for (const id of [mine.id, 'cnv_unknown']) {
      const res = await markRead(bob, id, mine.lastMessage.id);
      expect([res.statusCode, res.json()]).toEqual([404, notFound]);
    }
    const anonymous = await t.app.inject({ method: 'POST', url: `/api/v1/conversations/${mine.id}/read`, payload: { messageId: mine.lastMessage.id } });
    expect([anonymous.statusCode, anonymous.json().error.code]).toEqual([401, 'session_missing']);
  });

  it('gives every conversation of a page its own count, in one list', async () => {
    const ids: string[] = [];
    for (let n = 0; n < 5; n++) {
      const conversation = await start(alice, `c${n}`, `q${n}`);
      ids.push(conversation.id);
      for (let k = 0; k < n; k++) await post(owner, conversation.id, `c${n} answer ${k}`);
      t.clock.now += 1000;
    }
    const state = await readState(alice);
    expect(ids.map((id) => state[id].unreadCount)).toEqual([0, 1, 2, 3, 4]);
  });
});
