/**
 * `GET /api/v1/admin/conversations?q=`: full-text search of the organization's conversations over message
 * text (internal notes too), titles and participants' names and emails, every word a prefix and all of them
 * found somewhere in the conversation; best first, paged, within the view's status and assignee; the index
 * follows edits, deletions, renames and new names; nothing typed is ever query syntax.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';

type Headers = Record<string, string>;
interface Who {
  headers: Headers;
  userId: string;
}
interface Page {
  ids: string[];
  nextCursor: string | null;
  counts: Record<string, number>;
}

describe.each(DIALECTS)('the inbox search on %s', (dialect) => {
  let t: TestApp;
  let owner: Who;
  let n = 0;

  async function sessionFor(id: string, profile: { name?: string; email?: string; organizationId?: string } = {}, role: 'owner' | 'admin' | 'member' = 'member'): Promise<Who> {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id, name: id, ...profile } }) } });
    expect(res.statusCode).toBe(200);
    const { session, user } = res.json();
    if (role !== 'member') await t.app.services.users.setRole(user.id, role);
    return { headers: { authorization: `Bearer ${session.token}` }, userId: user.id };
  }
  const call = (who: Who, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) => t.app.inject({ method, url, headers: who.headers, ...(payload ? { payload } : {}) });
  /** A conversation started by `who` with these messages (its title is the first one's), a second apart. */
  async function conversation(who: Who, ...texts: string[]): Promise<string> {
    t.clock.now += 1000;
    const res = await call(who, 'POST', '/api/v1/conversations', { message: { text: texts[0], clientMessageId: `m${++n}` } });
    expect(res.statusCode).toBe(201);
    const id = res.json().conversation.id as string;
    for (const text of texts.slice(1)) await say(who, id, text);
    return id;
  }
  async function say(who: Who, id: string, text: string): Promise<string> {
    t.clock.now += 1000;
    const res = await call(who, 'POST', `/api/v1/conversations/${id}/messages`, { text, clientMessageId: `m${++n}` });
    expect(res.statusCode).toBe(201);
    return res.json().message.id as string;
  }
  async function rename(id: string, title: string): Promise<void> {
    expect((await call(owner, 'PATCH', `/api/v1/admin/conversations/${id}`, { title })).statusCode).toBe(200);
  }
  async function search(q: string, query = '', who = owner): Promise<Page> {
    const res = await call(who, 'GET', `/api/v1/admin/conversations?q=${encodeURIComponent(q)}${query}`);
    expect([res.statusCode, q]).toEqual([200, q]);
    const body = res.json();
    return { ids: body.conversations.map((c: { id: string }) => c.id), nextCursor: body.nextCursor, counts: body.counts };
  }
  const found = async (q: string, query = '') => (await search(q, query)).ids;

  beforeEach(async () => {
    t = await createTestApp({ dialect, env: { PARLEY_SEAT_LIMIT: '20' } });
    owner = await sessionFor('the-owner', { name: 'Olivia Owner', email: 'olivia@parley.test' }, 'owner');
  });
  afterEach(async () => {
    await t.close();
  });

  it('finds a word of a message, of a title, of a participant’s name or email, each as a prefix, and all the words', async () => {
    const alice = await sessionFor('alice', { name: 'Alice Martin', email: 'alice.martin@acme.test' });
    const bob = await sessionFor('bob', { name: 'Bob Stone', email: 'bob@globex.test' });
    const printer = await conversation(alice, 'The printer shows error 42');
    await rename(printer, 'Hardware trouble');
    const refund = await conversation(bob, 'Refund for the March invoice');
    expect((await call(owner, 'POST', `/api/v1/admin/conversations/${refund}/messages`, { text: 'Escalated to the vendor', clientMessageId: 'note', internal: true })).statusCode).toBe(201);

    expect(await found('error')).toEqual([printer]);
    expect(await found('42')).toEqual([printer]);
    expect(await found('hardware')).toEqual([printer]); // the title as renamed
    expect(await found('Martin')).toEqual([printer]);
    expect(await found('acme')).toEqual([printer]); // a word of alice.martin@acme.test
    expect(await found('alice.martin@acme.test')).toEqual([printer]);
    expect(await found('martin@acme')).toEqual([printer]);
    expect(await found('alice@acme.test')).toEqual([]); // an address is its words in a row
    expect(await found('globex')).toEqual([refund]);
    expect(await found('REFU')).toEqual([refund]);
    expect(await found('inv mar')).toEqual([refund]);
    expect(await found('vendor')).toEqual([refund]); // an internal note
    // Every word, found anywhere in the conversation: a name and a title, a message and an email.
    expect(await found('alice hardware')).toEqual([printer]);
    expect(await found('stone march')).toEqual([refund]);
    expect(await found('bob hardware')).toEqual([]);
    expect(await found('refunds')).toEqual([]);
    // An order number is found as typed, not by every message with its parts somewhere.
    const order = await conversation(bob, 'Order INV-48213 arrived broken, invoice 48213 attached');
    const other = await conversation(bob, 'INV-10000 and INV-20000 are fine');
    expect(await found('INV-48213')).toEqual([order]);
    expect(await found('inv-4821')).toEqual([order]);
    expect(await found('INV-1')).toEqual([other]);
    expect(await found('INV 48213')).toEqual([order]);
    expect(await found('invoice-48213')).toEqual([order]);
    expect(await found('INV-99999')).toEqual([]);
    // The owner took part by their note, and takes part by answering: their name finds both, the newer first.
    expect(await found('olivia')).toEqual([refund]);
    t.clock.now += 1000;
    expect((await call(owner, 'POST', `/api/v1/admin/conversations/${printer}/messages`, { text: 'On it', clientMessageId: 'answer' })).statusCode).toBe(201);
    expect(await found('olivia')).toEqual([printer, refund]);

    // A conversation as found is the conversation as the list shows it.
    const list = (await call(owner, 'GET', '/api/v1/admin/conversations')).json();
    const res = await call(owner, 'GET', '/api/v1/admin/conversations?q=error');
    expect([res.statusCode, res.json()]).toEqual([200, { conversations: list.conversations.filter((c: { id: string }) => c.id === printer), nextCursor: null, counts: list.counts }]);
  });

  it('ranks by where and how often the words are found, then newest activity first', async () => {
    const alice = await sessionFor('alice');
    const once = await conversation(alice, 'Hello', 'The printer jams');
    const twice = await conversation(alice, 'Hello', 'The printer jams', 'Printers everywhere jam');
    const titled = await conversation(alice, 'Hello', 'The printer jams');
    await rename(titled, 'Printer on floor 3');
    const onceNewer = await conversation(alice, 'Hello', 'My printer is out of paper');
    const noted = await conversation(alice, 'Hello', 'Paper jam', 'The printer jams again', 'And the printer jams', 'printer printer', 'printer!');
    // title 3 + message 1; four messages count as three; two messages; one message each, the newer first.
    expect(await found('printer')).toEqual([titled, noted, twice, onceNewer, once]);
    // The words' scores add up (noted 3 + 3, titled 4 + 1, twice 2 + 2, once 1 + 1); onceNewer has no 'jam'.
    expect(await found('printer jam')).toEqual([noted, titled, twice, once]);
  });

  it('pages through the ranked results with the cursor, without a duplicate or a gap', async () => {
    const alice = await sessionFor('alice');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await conversation(alice, `Ticket number ${i}`));
    const all = await search('ticket', '&limit=100');
    expect(all.ids).toEqual([...ids].reverse());
    const first = await search('ticket', '&limit=2');
    expect([first.ids, first.nextCursor]).toEqual([all.ids.slice(0, 2), 's1.2']);
    const second = await search('ticket', `&limit=2&cursor=${first.nextCursor}`);
    expect([second.ids, second.nextCursor]).toEqual([all.ids.slice(2, 4), 's1.4']);
    const third = await search('ticket', `&limit=2&cursor=${second.nextCursor}`);
    expect([third.ids, third.nextCursor]).toEqual([all.ids.slice(4), null]);

    for (const cursor of ['nope', 's1.0', 's1.x', `${t.clock.now}.${ids[0]}`]) {
      const res = await call(owner, 'GET', `/api/v1/admin/conversations?q=ticket&cursor=${encodeURIComponent(cursor)}`);
      expect([res.statusCode, res.json()]).toEqual([400, { error: { code: 'bad_request', message: 'cursor is malformed' } }]);
    }
    // A search's cursor means nothing to the list without q.
    const res = await call(owner, 'GET', '/api/v1/admin/conversations?cursor=s1.2');
    expect([res.statusCode, res.json()]).toEqual([400, { error: { code: 'bad_request', message: 'cursor is malformed' } }]);
  });

  it('searches within the view (status, assignee), keeps the view counts, and never another organization', async () => {
    const alice = await sessionFor('alice');
    const admin = await sessionFor('ada', { name: 'Ada' }, 'admin');
    const [open, resolved, mine, theirs] = [
      await conversation(alice, 'Shipping delay one'),
      await conversation(alice, 'Shipping delay two'),
      await conversation(alice, 'Shipping delay three'),
      await conversation(alice, 'Shipping delay four'),
    ];
    const other = await sessionFor('globex-user', { name: 'Shipping Person', organizationId: 'globex' });
    await conversation(other, 'Shipping delay elsewhere');
    expect((await call(owner, 'PATCH', `/api/v1/admin/conversations/${resolved}`, { status: 'resolved' })).statusCode).toBe(200);
    expect((await call(owner, 'PATCH', `/api/v1/admin/conversations/${mine}`, { assigneeId: owner.userId })).statusCode).toBe(200);
    expect((await call(owner, 'PATCH', `/api/v1/admin/conversations/${theirs}`, { assigneeId: admin.userId })).statusCode).toBe(200);
    const counts = (await call(owner, 'GET', '/api/v1/admin/conversations')).json().counts;
    expect(counts).toEqual({ unassigned: 1, mine: 1, open: 3, snoozed: 0, resolved: 1, all: 4 });

    expect(await search('shipping delay')).toEqual({ ids: [theirs, mine, resolved, open], nextCursor: null, counts });
    expect(await search('shipping', '&status=resolved')).toEqual({ ids: [resolved], nextCursor: null, counts });
    expect(await search('shipping', '&status=open')).toEqual({ ids: [theirs, mine, open], nextCursor: null, counts });
    expect(await search('shipping', '&assignee=me')).toEqual({ ids: [mine], nextCursor: null, counts });
    expect(await search('shipping', '&status=open&assignee=none')).toEqual({ ids: [open], nextCursor: null, counts });
    expect(await search('shipping', `&assignee=${admin.userId}`)).toEqual({ ids: [theirs], nextCursor: null, counts });
    expect(await search('elsewhere')).toEqual({ ids: [], nextCursor: null, counts });
    expect(await search('person')).toEqual({ ids: [], nextCursor: null, counts });
  });

  it('follows edits, deletions, renames and a participant’s new name and email', async () => {
    const alice = await sessionFor('alice', { name: 'Alice Martin', email: 'alice@acme.test' });
    const id = await conversation(alice, 'Hello', 'My zebra password leaked');
    const messageId = await say(alice, id, 'Also the giraffe one');
    expect(await found('zebra')).toEqual([id]);
    expect(await found('giraffe')).toEqual([id]);

    // As a deletion leaves a message: its text emptied, deleted_at set.
    const { db } = t.db.store;
    await db.updateTable('messages').set({ text: '', deleted_at: t.clock.now }).where('id', '=', messageId).execute();
    expect(await found('giraffe')).toEqual([]);
    // An edit: the new words are found, the old ones no more.
    await db.updateTable('messages').set({ text: 'My okapi password leaked', edited_at: t.clock.now }).where('text', '=', 'My zebra password leaked').execute();
    expect(await found('zebra')).toEqual([]);
    expect(await found('okapi')).toEqual([id]);

    expect(await found('hello')).toEqual([id]); // the title from the first message
    await rename(id, 'Leaked credentials');
    expect(await found('hello')).toEqual([id]); // still the first message's text
    expect(await found('credentials')).toEqual([id]);
    await rename(id, 'Security');
    expect(await found('credentials')).toEqual([]);

    // Signing in again with another name and email changes what finds the conversation.
    await sessionFor('alice', { name: 'Alice Durand', email: 'alice@initech.test' });
    expect(await found('martin')).toEqual([]);
    expect(await found('acme')).toEqual([]);
    expect(await found('durand initech')).toEqual([id]);
  });

  it('never reads query syntax: punctuation finds nothing, operator words are words, a long q is refused', async () => {
    const alice = await sessionFor('alice');
    const printer = await conversation(alice, 'The printer is near the window');
    const order = await conversation(alice, 'Where is my order');
    const empty = { ids: [], nextCursor: null, counts: { unassigned: 2, mine: 0, open: 2, snoozed: 0, resolved: 0, all: 2 } };
    for (const q of ['"', '*', '-', ':', '&', '!', '(', ')', '""', '"*', '-*', '(*)', ':*', '&&', '!!', '<->', '|', '^', "'", '\\', '%', '...', '—']) expect(await search(q)).toEqual(empty);
    for (const q of ['"printer', 'printer*', '-printer', '(printer', 'printer)', 'printer:*', '!printer', 'printer & window', 'printer | nothing-else', '"printer" AND "window"']) {
      expect([q, await found(q)]).toEqual([q, q.includes('nothing') || q.includes('AND') ? [] : [printer]]);
    }
    expect(await found('NEAR')).toEqual([printer]);
    expect(await found('OR')).toEqual([order]);
    expect(await found('NOT')).toEqual([]);
    expect(await found('NEAR(printer window, 2)')).toEqual([]); // '2' is a word no message has
    expect(await found('NEAR (printer window)')).toEqual([printer]);
    // Words joined by punctuation are found only in a row: 'NEAR(printer' asks for "near printer".
    expect(await found('NEAR(printer window)')).toEqual([]);
    expect(await found('near-the-win')).toEqual([printer]);
    expect(await found('near-window')).toEqual([]);

    const longest = `printer ${'x'.repeat(192)}`;
    expect(longest.length).toBe(200);
    expect(await found(longest)).toEqual([]);
    const res = await call(owner, 'GET', `/api/v1/admin/conversations?q=${'x'.repeat(201)}`);
    expect([res.statusCode, res.json()]).toEqual([400, { error: { code: 'bad_request', message: 'querystring/q must NOT have more than 200 characters' } }]);
  });
});
