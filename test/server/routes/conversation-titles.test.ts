/**
 * Titles a person recognises: a conversation created without one has `title: null` until its first message
 * gives it one (its first non-blank line, at most 80 characters), announced as `conversation.updated` after
 * the `message.created`; a given title is kept, trimmed, by the rule of shared/src/fields.ts; a document
 * room keeps its document id.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';
import { fromNow, openSse, type SseFrame, type SseReader } from '../../helpers/sse.js';

type Headers = Record<string, string>;

describe.each(DIALECTS)('conversation titles on %s', (dialect) => {
  let t: TestApp;
  let base: string;
  const streams: SseReader[] = [];

  const signIn = async (id: string, extra: Record<string, unknown> = {}): Promise<Headers> => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id, name: id, ...extra } }) } });
    return { authorization: `Bearer ${res.json().session.token}` };
  };
  const call = (headers: Headers, method: 'GET' | 'POST', url: string, payload?: object) => t.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
  const post = (headers: Headers, id: string, text: string, clientMessageId: string) => call(headers, 'POST', `/api/v1/conversations/${id}/messages`, { text, clientMessageId });
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
  });
  afterEach(async () => {
    for (const s of streams.splice(0)) s.close();
    await t.close();
  });

  it('an empty conversation without a title has title null until its first message titles it, announced after the message', async () => {
    const alice = await signIn('alice');
    const created = await call(alice, 'POST', '/api/v1/conversations', {});
    expect(created.statusCode).toBe(201);
    const conversation = created.json().conversation;
    expect(conversation.title).toBeNull();
    expect((await call(alice, 'GET', `/api/v1/conversations/${conversation.id}`)).json().conversation.title).toBeNull();
    expect((await call(alice, 'GET', '/api/v1/conversations')).json().conversations.map((c: { title: unknown }) => c.title)).toEqual([null]);

    const stream = await openStream(alice);
    t.clock.now += 1000;
    const message = (await post(alice, conversation.id, '\n   \n  Printer on floor 3 is jammed  \nsince this morning', 'm1')).json().message;
    const titled = { ...conversation, title: 'Printer on floor 3 is jammed', lastMessageAt: '2026-11-20T12:00:01.000Z', lastMessage: message };
    const frames = await stream.until((f) => typed(f).length === 2);
    expect(typed(frames)).toEqual([
      ['message.created', { message }],
      ['conversation.updated', { conversation: titled }],
    ]);
    expect((await call(alice, 'GET', `/api/v1/conversations/${conversation.id}`)).json()).toEqual({ conversation: titled });

    // The second message changes nothing: the next event is its message.created alone.
    const second = (await post(alice, conversation.id, 'Another subject', 'm2')).json().message;
    const sentinel = (await call(alice, 'POST', '/api/v1/conversations', { title: 'sentinel' })).json().conversation;
    const after = await stream.until((f) => typed(f).length === 4);
    expect(typed(after).slice(2)).toEqual([
      ['message.created', { message: second }],
      ['conversation.created', { conversation: sentinel }],
    ]);
    expect((await call(alice, 'GET', `/api/v1/conversations/${conversation.id}`)).json().conversation.title).toBe('Printer on floor 3 is jammed');
  });

  it('a long first line is cut to 79 characters and "…", an emoji counting as one', async () => {
    const alice = await signIn('alice');
    const id = (await call(alice, 'POST', '/api/v1/conversations', {})).json().conversation.id;
    await post(alice, id, `${'😀'.repeat(10)}${'x'.repeat(75)}\nsecond line`, 'm1');
    expect((await call(alice, 'GET', `/api/v1/conversations/${id}`)).json().conversation.title).toBe(`${'😀'.repeat(10)}${'x'.repeat(69)}…`);
  });

  it('a title given at creation is kept, trimmed, through the first message; a blank one is none', async () => {
    const alice = await signIn('alice');
    const titled = (await call(alice, 'POST', '/api/v1/conversations', { title: '  Billing question ' })).json().conversation;
    expect(titled.title).toBe('Billing question');
    await post(alice, titled.id, 'Something else entirely', 'm1');
    expect((await call(alice, 'GET', `/api/v1/conversations/${titled.id}`)).json().conversation.title).toBe('Billing question');
    const blank = (await call(alice, 'POST', '/api/v1/conversations', { title: '   ' })).json().conversation;
    expect(blank.title).toBeNull();
    expect((await call(alice, 'POST', '/api/v1/conversations', { title: '😀'.repeat(200) })).statusCode).toBe(201);
  });

  it('a title breaking the rule is 400 bad_request naming it, and nothing is created', async () => {
    const alice = await signIn('alice');
    const long = await call(alice, 'POST', '/api/v1/conversations', { title: 'x'.repeat(201) });
    expect([long.statusCode, long.json()]).toEqual([400, { error: { code: 'bad_request', message: 'title must be a string of 1 to 200 characters (surrounding spaces do not count)' } }]);
    const control = await call(alice, 'POST', '/api/v1/conversations', { title: 'two\nlines' });
    expect([control.statusCode, control.json()]).toEqual([400, { error: { code: 'bad_request', message: 'title must not contain control characters (U+0000 to U+001F, U+007F)' } }]);
    const withMessage = await call(alice, 'POST', '/api/v1/conversations', { title: 'x'.repeat(201), message: { text: 'hi', clientMessageId: 'c1' } });
    expect([withMessage.statusCode, withMessage.json().error.code]).toEqual([400, 'bad_request']);
    expect((await call(alice, 'GET', '/api/v1/conversations')).json().conversations).toEqual([]);
  });

  it('a document room keeps its document id as title through its first message', async () => {
    const editor = await signIn('editor', { isAdmin: true });
    const room = (await call(editor, 'POST', '/api/v1/documents/doc-42/open')).json().conversation;
    expect(room.title).toBe('doc-42');
    await post(editor, room.id, 'A first message with a title of its own', 'm1');
    expect((await call(editor, 'GET', `/api/v1/conversations/${room.id}`)).json().conversation.title).toBe('doc-42');
  });
});
