/**
 * `POST /api/v1/conversations` with `message`: the conversation and its first message in one transaction,
 * announced as `conversation.created` then `message.created`; a retry of the same clientMessageId answers the
 * same conversation and creates nothing; both per-account limits apply, and a refusal creates nothing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';
import { openSse, type SseFrame, type SseReader } from '../../helpers/sse.js';

type Headers = Record<string, string>;

const RATE_LIMITED = { error: { code: 'rate_limited', message: expect.stringMatching(/^Too many requests from this account\. Try again in \d+ s\.$/) } };

describe.each(DIALECTS)('a conversation created with its first message on %s', (dialect) => {
  let t: TestApp;
  const streams: SseReader[] = [];

  const signIn = async (id: string): Promise<{ headers: Headers; userId: string }> => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id, name: id } }) } });
    return { headers: { authorization: `Bearer ${res.json().session.token}` }, userId: res.json().user.id };
  };
  const create = (who: { headers: Headers }, payload: object = {}) => t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: who.headers, payload });
  const list = async (who: { headers: Headers }) => (await t.app.inject({ method: 'GET', url: '/api/v1/conversations?limit=100', headers: who.headers })).json().conversations;
  /** The typed events of a stream, as [type, data]. */
  const typed = (frames: SseFrame[]) => frames.filter((f) => f.event !== undefined && f.event !== 'ready').map((f) => [f.event, JSON.parse(f.data!)]);

  async function openStream(headers: Headers): Promise<SseReader> {
    const base = t.app.server.listening ? `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}` : await t.app.listen({ port: 0, host: '127.0.0.1' });
    const stream = await openSse(`${base}/api/v1/events`, headers);
    streams.push(stream);
    await stream.until((f) => f.some((x) => x.event === 'ready'));
    return stream;
  }

  afterEach(async () => {
    for (const s of streams.splice(0)) s.close();
    await t.close();
  });

  describe('with the default limits', () => {
    beforeEach(async () => {
      t = await createTestApp({ dialect });
    });

    it('answers 201 with the conversation, titled by the message, whose lastMessage is that message', async () => {
      const alice = await signIn('alice');
      const res = await create(alice, { message: { text: '  Where is my invoice?\nIt was due Monday.', clientMessageId: 'first-1' } });
      expect(res.statusCode).toBe(201);
      const { conversation } = res.json();
      expect(res.json()).toEqual({
        conversation: {
          id: expect.stringMatching(/^cnv_/),
          organizationId: 'default',
          documentId: null,
          title: 'Where is my invoice?',
          createdAt: '2026-11-20T12:00:00.000Z',
          lastMessageAt: '2026-11-20T12:00:00.000Z',
          lastMessage: {
            id: expect.stringMatching(/^msg_/),
            conversationId: conversation.id,
            author: { type: 'user', id: alice.userId, name: 'alice', avatarUrl: null, agent: false },
            text: '  Where is my invoice?\nIt was due Monday.',
            clientMessageId: 'first-1',
            createdAt: '2026-11-20T12:00:00.000Z',
            internal: false,
            editedAt: null,
            deletedAt: null,
            attachments: [],
          },
          status: 'open',
          snoozedUntil: null,
          assigneeId: null,
          assistant: null,
        },
      });
      const page = await t.app.inject({ method: 'GET', url: `/api/v1/conversations/${conversation.id}/messages`, headers: alice.headers });
      expect(page.json()).toEqual({ messages: [conversation.lastMessage], hasMore: false });
      // The author has read their own message.
      expect(await list(alice)).toEqual([{ ...conversation, unreadCount: 0, lastReadMessageId: conversation.lastMessage.id }]);
    });

    it('keeps a title given with the message', async () => {
      const alice = await signIn('alice');
      const res = await create(alice, { title: '  Billing  ', message: { text: 'Where is my invoice?', clientMessageId: 'first-1' } });
      expect([res.statusCode, res.json().conversation.title]).toEqual([201, 'Billing']);
    });

    it('announces conversation.created, then message.created, in that order, once', async () => {
      const alice = await signIn('alice');
      const stream = await openStream(alice.headers);
      const { conversation } = (await create(alice, { message: { text: 'Hello', clientMessageId: 'first-1' } })).json();
      const frames = await stream.until((f) => typed(f).length === 2);
      expect(typed(frames)).toEqual([
        ['conversation.created', { conversation }],
        ['message.created', { message: conversation.lastMessage }],
      ]);
      expect(Number(frames.find((f) => f.event === 'message.created')!.id)).toBeGreaterThan(Number(frames.find((f) => f.event === 'conversation.created')!.id));
      // A retry announces nothing: the next event on the stream is the sentinel posted after it.
      expect((await create(alice, { message: { text: 'Hello', clientMessageId: 'first-1' } })).statusCode).toBe(200);
      const sentinel = (await create(alice, { title: 'sentinel' })).json().conversation;
      const after = await stream.until((f) => typed(f).length === 3);
      expect(typed(after).slice(2)).toEqual([['conversation.created', { conversation: sentinel }]]);
    });

    it('a retry with the same clientMessageId answers 200 with the same conversation and creates nothing', async () => {
      const alice = await signIn('alice');
      const body = { message: { text: 'Hello', clientMessageId: 'first-1' } };
      const first = await create(alice, body);
      expect(first.statusCode).toBe(201);
      const retry = await create(alice, body);
      expect(retry.statusCode).toBe(200);
      expect(retry.json()).toEqual(first.json());
      // Concurrent retries too: one conversation, one message.
      const again = await Promise.all(Array.from({ length: 5 }, () => create(alice, { message: { text: 'Race', clientMessageId: 'race-1' } })));
      expect(again.map((r) => r.statusCode).sort()).toEqual([200, 200, 200, 200, 201]);
      expect(new Set(again.map((r) => r.json().conversation.id)).size).toBe(1);
      const conversations = await list(alice);
      expect(conversations.map((c: { title: string }) => c.title).sort()).toEqual(['Hello', 'Race']);
      const race = conversations.find((c: { title: string }) => c.title === 'Race');
      expect((await t.app.inject({ method: 'GET', url: `/api/v1/conversations/${race.id}/messages`, headers: alice.headers })).json().messages).toHaveLength(1);
      // Another user's clientMessageId is theirs: the same id makes Bob his own conversation.
      const bob = await signIn('bob');
      const bobs = await create(bob, body);
      expect(bobs.statusCode).toBe(201);
      expect(bobs.json().conversation.id).not.toBe(first.json().conversation.id);
    });

    it('a clientMessageId already used for a later message of a conversation is 409 client_message_id_conflict, and creates nothing', async () => {
      const alice = await signIn('alice');
      const other = (await create(alice, { title: 'Other' })).json().conversation;
      for (const clientMessageId of ['first', 'used-1']) {
        await t.app.inject({ method: 'POST', url: `/api/v1/conversations/${other.id}/messages`, headers: alice.headers, payload: { text: 'posted', clientMessageId } });
      }
      const res = await create(alice, { message: { text: 'Hello', clientMessageId: 'used-1' } });
      expect(res.statusCode).toBe(409);
      expect(res.json()).toEqual({ error: { code: 'client_message_id_conflict', message: 'This clientMessageId was already used for another conversation.' } });
      expect((await list(alice)).map((c: { id: string }) => c.id)).toEqual([other.id]);
    });

    it('the message rules are those of posting: empty, too long, a bad clientMessageId; nothing is created', async () => {
      const alice = await signIn('alice');
      const empty = await create(alice, { message: { text: ' \n ', clientMessageId: 'a' } });
      expect([empty.statusCode, empty.json()]).toEqual([400, { error: { code: 'message_empty', message: 'A message needs some text.' } }]);
      const long = await create(alice, { message: { text: 'x'.repeat(10_001), clientMessageId: 'b' } });
      expect([long.statusCode, long.json()]).toEqual([400, { error: { code: 'message_too_long', message: 'A message may have at most 10,000 characters.' } }]);
      expect((await create(alice, { message: { text: '😀'.repeat(10_000), clientMessageId: 'c' } })).statusCode).toBe(201);
      for (const message of [{ text: 'x' }, { text: 'x', clientMessageId: 'bad id!' }, { text: 'x', clientMessageId: 'd', extra: 1 }]) {
        const res = await create(alice, { message });
        expect([res.statusCode, res.json().error.code]).toEqual([400, 'bad_request']);
      }
      expect(await list(alice)).toHaveLength(1);
    });
  });

  it('counts one conversation and one message; either limit refuses it whole, and a retry never counts', async () => {
    t = await createTestApp({ dialect, env: { PARLEY_CONVERSATION_RATE_LIMIT: '3/1m', PARLEY_MESSAGE_RATE_LIMIT: '4/1m' } });
    const alice = await signIn('alice');
    const stream = await openStream(alice.headers);
    for (let n = 1; n <= 2; n++) expect((await create(alice, { message: { text: `m${n}`, clientMessageId: `c${n}` } })).statusCode).toBe(201);
    // Retries count against neither limit.
    for (let n = 0; n < 5; n++) expect((await create(alice, { message: { text: 'm1', clientMessageId: 'c1' } })).statusCode).toBe(200);
    const third = (await create(alice, { message: { text: 'm3', clientMessageId: 'c3' } })).json().conversation;
    // Conversations: 3 of 3 in the window. Refused whole, with Retry-After.
    const overConversations = await create(alice, { message: { text: 'm4', clientMessageId: 'c4' } });
    expect([overConversations.statusCode, overConversations.headers['retry-after'], overConversations.json()]).toEqual([429, '60', RATE_LIMITED]);
    expect((await create(alice)).statusCode).toBe(429);

    t.clock.now += 60_000;
    // A new window: four messages posted fill the message limit, so the next creation's message is refused,
    // and the conversation it would have counted is not counted either.
    for (let n = 0; n < 4; n++) expect((await t.app.inject({ method: 'POST', url: `/api/v1/conversations/${third.id}/messages`, headers: alice.headers, payload: { text: `p${n}`, clientMessageId: `p${n}` } })).statusCode).toBe(201);
    const overMessages = await create(alice, { message: { text: 'm5', clientMessageId: 'c5' } });
    expect([overMessages.statusCode, overMessages.headers['retry-after'], overMessages.json()]).toEqual([429, '60', RATE_LIMITED]);
    // The refused creation took no conversation: three empty ones still fit in this window.
    for (let n = 0; n < 3; n++) expect((await create(alice, { title: `empty ${n}` })).statusCode).toBe(201);
    expect((await create(alice, { title: 'one too many' })).statusCode).toBe(429);

    // Nothing refused was stored or announced: the sentinel (in the next window) comes right after what passed.
    t.clock.now += 60_000;
    const sentinel = (await t.app.inject({ method: 'POST', url: `/api/v1/conversations/${third.id}/messages`, headers: alice.headers, payload: { text: 'sentinel', clientMessageId: 's' } })).json().message;
    const frames = await stream.until((f) => f.some((x) => x.event === 'message.created' && JSON.parse(x.data!).message.id === sentinel.id));
    expect(typed(frames).map(([type, data]) => (type === 'message.created' ? data.message.text : data.conversation.title))).toEqual([
      'm1', 'm1', 'm2', 'm2', 'm3', 'm3', 'p0', 'p1', 'p2', 'p3', 'empty 0', 'empty 1', 'empty 2', 'sentinel',
    ]);
    expect((await list(alice)).map((c: { title: string }) => c.title).sort()).toEqual(['empty 0', 'empty 1', 'empty 2', 'm1', 'm2', 'm3']);
  });
});
