// @vitest-environment happy-dom
/**
 * The inbox as a support team runs it (widget/src/admin/Inbox.tsx and its parts) against a fake server: the
 * views with their counts, search, paging, live refresh; status, snooze and assignee; the thread's notes,
 * edits, deletions, typing and Seen; the composer's Note mode and canned replies; the customer panel.
 */
import { act } from 'preact/test-utils';
import { describe, expect, it, vi } from 'vitest';
import type { Customer } from '../../widget/src/admin/api.js';
import { EVENT } from '#shared/constants.js';
import { render } from 'preact';
import { useTyping, TypingIndicator } from '../../widget/src/admin/Messages.js';
import { click as clickOnce } from '../helpers/dom.js';
import {
  ADMIN, COUNTS, T0, callsTo, choose, conversation, dom, withAdminPage, input, message, ok, press, routes, serve, stream, until, type Call,
} from './admin-fake.js';

let container: HTMLElement;
let d: ReturnType<typeof dom>;
withAdminPage((page) => ({ container, d } = page));
const click = (el: HTMLElement) => clickOnce(el, 2);

const fromAlice = message('msg_1', 'cnv_a', 'Where is my refund?', '2026-03-01T10:05:00.000Z');
const fromBob = message('msg_2', 'cnv_b', 'Login broken', '2026-03-01T09:00:00.000Z', { type: 'user', id: 'usr_bob', name: 'Bob' });
const cnvA = conversation('cnv_a', fromAlice, { unanswered: true });
const cnvB = conversation('cnv_b', fromBob, { participants: [{ id: 'usr_bob', name: 'Bob' }], assigneeId: ADMIN.id });
const BEA = { id: 'usr_bea', externalId: null, email: 'bea@example.com', name: 'Bea Agent', avatarUrl: null, role: 'admin', organizationId: 'default', createdAt: T0, active: true, createdVia: 'admin', lastSeenAt: null };
const MEMBER = { ...BEA, id: 'usr_mem', name: 'Mo Member', role: 'member' };

/** The list's query as sent, without the paging. */
const listQueries = () => callsTo('GET', '/api/v1/admin/conversations').map((c) => c.query.toString());
const listed = () => d.all('ul.conversations a').map((a) => a.getAttribute('data-conversation-id'));

function inbox(extra: Record<string, (call: Call) => ReturnType<typeof ok>> = {}) {
  serve({
    'GET /api/v1/admin/conversations': (call) => {
      const assignee = call.query.get('assignee');
      const list = call.query.get('q') ? [cnvB, cnvA] : assignee === 'me' ? [cnvB] : [cnvA, cnvB];
      return ok({ conversations: list, nextCursor: null, counts: COUNTS });
    },
    'GET /api/v1/admin/users': () => ok({ users: [{ ...ADMIN, active: true, createdVia: 'owner_link', lastSeenAt: null }, BEA, MEMBER], nextCursor: null, total: 3 }),
    'GET /api/v1/admin/conversations/cnv_a/messages': () => ok({ messages: [fromAlice], hasMore: false }),
    'POST /api/v1/admin/conversations/cnv_a/messages': (call) => {
      const body = call.body as { text: string; clientMessageId: string; internal?: boolean };
      const author = { type: 'user' as const, id: ADMIN.id, name: ADMIN.name, agent: true };
      return { status: 201, body: { message: { ...message('msg_r', 'cnv_a', body.text, new Date().toISOString(), author), internal: body.internal ?? false, clientMessageId: body.clientMessageId } } };
    },
    'PATCH /api/v1/admin/conversations/cnv_a': (call) => {
      const patch = call.body as Record<string, unknown>;
      return ok({ conversation: { ...cnvA, ...patch, ...(patch.status && patch.status !== 'snoozed' ? { snoozedUntil: null } : {}) } });
    },
    ...extra,
  });
}

describe('views', () => {
  it('lists the views with their counts, opens on Open, and a view link sends its filter and stays in the URL', async () => {
    inbox();
    await d.mount('#/inbox');
    const views = d.all<HTMLAnchorElement>('nav[aria-label="Inbox views"] a');
    expect(views.map((a) => [d.text(a.querySelector('.view-name')), d.text(a.querySelector('.view-count'))])).toEqual([
      ['Unassigned', ': 2'],
      ['Mine', ': 1'],
      ['Open', ': 3'],
      ['Snoozed', ': 1'],
      ['Resolved', ': 4'],
      ['All', ': 8'],
    ]);
    expect(views.map((a) => a.getAttribute('href'))).toEqual(['#/inbox?view=unassigned', '#/inbox?view=mine', '#/inbox?view=open', '#/inbox?view=snoozed', '#/inbox?view=resolved', '#/inbox?view=all']);
    expect(d.all('nav[aria-label="Inbox views"] a[aria-current=page]').map((a) => d.text(a.querySelector('.view-name')))).toEqual(['Open']);
    expect(listQueries()).toEqual(['status=open']);
    expect(d.text(d.q('.list-heading'))).toBe('Open');

    await act(() => {
      location.hash = '#/inbox?view=mine';
    });
    await until(() => expect(listed()).toEqual(['cnv_b']));
    expect(listQueries().at(-1)).toBe('status=open&assignee=me');
    expect(d.text(d.q('nav[aria-label="Inbox views"] a[aria-current=page] .view-name'))).toBe('Mine');
    // A conversation's link keeps the view, so opening one and reloading stays in it.
    expect(d.q('ul.conversations a')?.getAttribute('href')).toBe('#/inbox/cnv_b?view=mine');
    for (const [view, query] of [['unassigned', 'status=open&assignee=none'], ['snoozed', 'status=snoozed'], ['resolved', 'status=resolved'], ['all', 'status=all']]) {
      await act(() => {
        location.hash = `#/inbox?view=${view}`;
      });
      await until(() => expect(listQueries().at(-1)).toBe(query));
    }
  });

  it('reloading keeps the view named in the URL', async () => {
    inbox();
    await d.mount('#/inbox/cnv_b?view=mine');
    expect(listQueries()).toEqual(['status=open&assignee=me']);
    expect(d.q('ul.conversations a[aria-current=page]')?.getAttribute('data-conversation-id')).toBe('cnv_b');
    expect(d.text(d.q('ul.conversations a[data-conversation-id=cnv_b] .tags'))).toBe('Assigned to you');
  });

  it('search waits for typing to pause, shows the ranked results across every view, and clearing returns to the view', async () => {
    inbox();
    await d.mount('#/inbox');
    const box = d.control('Search conversations');
    await input(box, 'ref');
    await input(box, 'refund');
    await until(() => expect(listQueries()).toEqual(['status=open', 'status=all&q=refund']));
    // Ranked: the server's order, not the newest first.
    await until(() => expect(listed()).toEqual(['cnv_b', 'cnv_a']));
    expect(d.text(d.q('.list-heading'))).toBe('Results for “refund”');
    await input(box, '');
    await until(() => expect(listed()).toEqual(['cnv_a', 'cnv_b']));
    expect(listQueries().at(-1)).toBe('status=open');
    expect(d.text(d.q('.list-heading'))).toBe('Open');

    // Choosing a view ends a search.
    await input(d.control('Search conversations'), 'login');
    await until(() => expect(d.text(d.q('.list-heading'))).toBe('Results for “login”'));
    await act(() => {
      location.hash = '#/inbox?view=all';
    });
    await until(() => expect(d.text(d.q('.list-heading'))).toBe('All'));
    expect(d.control('Search conversations').value).toBe('');
    expect(listQueries().at(-1)).toBe('status=all');
  });

  it('Load more sends the cursor and appends the next page', async () => {
    serve({
      'GET /api/v1/admin/conversations': (call) =>
        ok(call.query.get('cursor') === 'p2' ? { conversations: [cnvB], nextCursor: null, counts: COUNTS } : { conversations: [cnvA], nextCursor: 'p2', counts: COUNTS }),
    });
    await d.mount('#/inbox');
    await click(d.button('Load more'));
    expect(listQueries()).toEqual(['status=open', 'status=open&cursor=p2']);
    expect(listed()).toEqual(['cnv_a', 'cnv_b']);
    expect(d.all('button').map((b) => d.text(b))).not.toContain('Load more');
  });

  it('live changes ask for the list and its counts again once, a moment after a burst', async () => {
    let counts = COUNTS;
    serve({ 'GET /api/v1/admin/conversations': () => ok({ conversations: [cnvA], nextCursor: null, counts }) });
    await d.mount('#/inbox');
    counts = { ...COUNTS, unassigned: 3, open: 4 };
    const source = stream();
    await source.emit(EVENT.messageCreated, { message: message('msg_9', 'cnv_a', 'hello?', '2026-03-01T11:00:00.000Z') });
    await source.emit(EVENT.conversationUpdated, { conversation: { ...cnvA, title: 'Refund' } });
    await source.emit(EVENT.messageUpdated, { message: { ...fromAlice, text: 'edited', editedAt: T0 } });
    await until(() => expect(d.text(d.q('[data-testid=count-unassigned]'))).toBe(': 3'));
    expect(listQueries()).toEqual(['status=open', 'status=open']);
  });

  it('the waiting count beside Inbox is asked again when a conversation changes (resolved ones stop waiting)', async () => {
    let waiting = 1;
    inbox({ 'GET /api/v1/admin/inbox/counts': () => ok({ waiting }) });
    await d.mount('#/overview');
    expect(document.title).toBe('(1) Overview · Parley admin');
    waiting = 0;
    await stream().emit(EVENT.conversationUpdated, { conversation: { ...cnvA, status: 'resolved' } });
    await until(() => expect(document.title).toBe('Overview · Parley admin'));
  });

  it('a conversation resolved elsewhere leaves the Open view', async () => {
    inbox();
    await d.mount('#/inbox');
    await stream().emit(EVENT.conversationUpdated, { conversation: { ...cnvA, status: 'resolved' } });
    expect(listed()).toEqual(['cnv_b']);
  });
});

describe('the conversation header', () => {
  it('Resolve, Reopen and the Snooze choices send their PATCH bodies and show the status', async () => {
    inbox();
    await d.mount('#/inbox/cnv_a?view=all');
    const patches = () => callsTo('PATCH', '/api/v1/admin/conversations/cnv_a').map((c) => c.body);
    expect(d.text(d.q('[data-testid=conversation-status]'))).toBe('Open');
    await click(d.button('Resolve'));
    expect(patches()).toEqual([{ status: 'resolved' }]);
    expect(d.text(d.q('[data-testid=conversation-status]'))).toBe('Resolved');
    // The All view keeps it, marked.
    expect(d.text(d.q('ul.conversations a[data-conversation-id=cnv_a] .tags'))).toBe('Resolved');
    expect(d.statuses()).toContain('Conversation resolved.');
    await click(d.button('Reopen'));
    expect(patches().at(-1)).toEqual({ status: 'open' });

    const snooze = d.button('Snooze');
    await click(snooze);
    expect(snooze.getAttribute('aria-expanded')).toBe('true');
    const menu = d.q('[role=group][aria-label="Snooze until"]')!;
    expect([...menu.querySelectorAll(':scope > button')].map((b) => d.text(b))).toEqual(['1 hour', 'Tomorrow at 9:00', 'Next week (Monday at 9:00)']);
    expect(document.activeElement).toBe(d.button('1 hour'));
    await press(menu, { key: 'Escape' });
    expect(d.q('[aria-label="Snooze until"]')).toBeNull();
    expect(document.activeElement).toBe(d.button('Snooze'));

    await click(d.button('Snooze'));
    await click(d.button('Tomorrow at 9:00'));
    const tomorrow = new Date();
    tomorrow.setDate(tomorrow.getDate() + 1);
    tomorrow.setHours(9, 0, 0, 0);
    expect(patches().at(-1)).toEqual({ status: 'snoozed', snoozedUntil: tomorrow.toISOString() });
    expect(d.text(d.q('[data-testid=conversation-status]'))).toMatch(/^Snoozed until /);

    await click(d.button('Snooze'));
    await input(d.control('Date and time'), '2020-01-01T10:00');
    await click(d.button('Snooze until then'));
    expect(d.alerts()).toEqual(['Choose a time in the future.']);
    const year = new Date().getFullYear() + 1;
    await input(d.control('Date and time'), `${year}-01-02T08:30`);
    await click(d.button('Snooze until then'));
    expect(patches().at(-1)).toEqual({ status: 'snoozed', snoozedUntil: new Date(year, 0, 2, 8, 30).toISOString() });
  });

  it('resolving the open conversation in the Open view takes it off the list but leaves it open, with Reopen', async () => {
    inbox();
    await d.mount('#/inbox/cnv_a');
    await click(d.button('Resolve'));
    expect(listed()).toEqual(['cnv_b']);
    expect(d.text(d.q('.thread-head h2'))).toBe('Alice');
    expect(d.text(d.q('[data-testid=conversation-status]'))).toBe('Resolved');
    expect(d.statuses()).toContain('Conversation resolved.');
    await click(d.button('Reopen'));
    expect(d.text(d.q('[data-testid=conversation-status]'))).toBe('Open');
  });

  it('a conversation of another view, opened by its link, is looked for so its header has its controls', async () => {
    const resolved = conversation('cnv_r', message('msg_r1', 'cnv_r', 'Thanks!', T0), { status: 'resolved', participants: [{ id: 'usr_alice', name: 'Alice' }] });
    serve({
      'GET /api/v1/admin/conversations': (call) => ok({ conversations: call.query.get('status') === 'all' ? [cnvA, resolved] : [cnvA], nextCursor: null, counts: COUNTS }),
      'GET /api/v1/admin/conversations/cnv_r/messages': () => ok({ messages: [], hasMore: false }),
    });
    await d.mount('#/inbox/cnv_r');
    await until(() => expect(d.text(d.q('[data-testid=conversation-status]'))).toBe('Resolved'));
    expect(listQueries()).toEqual(['status=open', 'status=all&limit=100']);
    expect(listed()).toEqual(['cnv_a']);
    expect(d.button('Reopen')).toBeTruthy();
  });

  it('the assignee picker offers Unassigned, Me and the other owners and admins by name, and sends assigneeId', async () => {
    inbox();
    // Accounts come a page at a time; admins may be on any page.
    const users = routes.get('GET /api/v1/admin/users')!;
    routes.set('GET /api/v1/admin/users', async (call) =>
      call.query.get('cursor') === 'u2' ? users(call) : ok({ users: [MEMBER], nextCursor: 'u2', total: 4 }),
    );
    await d.mount('#/inbox/cnv_a');
    const picker = d.control<HTMLSelectElement>('Assignee');
    expect([...picker.options].map((o) => [o.value, o.text])).toEqual([
      ['', 'Unassigned'],
      [ADMIN.id, 'Me'],
      ['usr_bea', 'Bea Agent'],
    ]);
    expect(picker.value).toBe('');
    await choose(picker, 'usr_bea');
    await choose(d.control<HTMLSelectElement>('Assignee'), '');
    expect(callsTo('PATCH', '/api/v1/admin/conversations/cnv_a').map((c) => c.body)).toEqual([{ assigneeId: 'usr_bea' }, { assigneeId: null }]);
    expect(d.statuses()).toContain('Conversation unassigned.');
  });
});

describe('the thread', () => {
  const mine = (id: string, text: string, createdAt: string) => message(id, 'cnv_a', text, createdAt, { type: 'user', id: ADMIN.id, name: ADMIN.name, agent: true });
  const thread = () => d.all('ol.messages li.msg').map((li) => `${d.text(li.querySelector('.author'))}: ${d.text(li.querySelector('.md, .deleted, form'))}`);

  it('shows the team by name and avatar, notes marked, edited and deleted messages said to be', async () => {
    const bea = message('msg_b', 'cnv_a', 'Looking', '2026-03-01T10:06:00.000Z', { type: 'user', id: 'usr_bea', name: 'Bea Agent', agent: true, avatarUrl: 'https://example.com/bea.png' });
    const noteByBea = { ...message('msg_n', 'cnv_a', 'VIP customer', '2026-03-01T10:07:00.000Z', { type: 'user', id: 'usr_bea', name: 'Bea Agent', agent: true }), internal: true };
    const edited = { ...message('msg_e', 'cnv_a', 'Order 42', '2026-03-01T10:08:00.000Z'), editedAt: '2026-03-01T10:09:00.000Z' };
    const gone = { ...message('msg_d', 'cnv_a', '', '2026-03-01T10:10:00.000Z'), deletedAt: '2026-03-01T10:11:00.000Z' };
    inbox({ 'GET /api/v1/admin/conversations/cnv_a/messages': () => ok({ messages: [fromAlice, bea, noteByBea, edited, gone], hasMore: false }) });
    await d.mount('#/inbox/cnv_a');
    expect(thread()).toEqual(['Alice: Where is my refund?', 'Bea Agent: Looking', 'Bea Agent: VIP customer', 'Alice: Order 42', 'Alice: Message deleted']);
    const item = (id: string) => d.q(`li.msg[data-message-id=${id}]`)!;
    expect(item('msg_1').getAttribute('class')).toBe('msg theirs');
    expect(item('msg_b').querySelector('img.avatar')?.getAttribute('src')).toBe('https://example.com/bea.png');
    expect(item('msg_n').classList.contains('note')).toBe(true);
    expect(d.text(item('msg_n').querySelector('.note-label'))).toBe('Internal note');
    expect(item('msg_b').querySelector('.note-label')).toBeNull();
    expect(d.text(item('msg_e').querySelector('.edited'))).toBe('(edited)');
    expect(item('msg_d').querySelector('.acts')).toBeNull();
  });

  it('Edit is offered on one’s own recent messages and sends the new text; Delete asks first, on any message', async () => {
    const recent = mine('msg_m', 'On it', new Date(Date.now() - 60_000).toISOString());
    const old = mine('msg_o', 'Earlier', new Date(Date.now() - 16 * 60_000).toISOString());
    inbox({
      'GET /api/v1/admin/conversations/cnv_a/messages': () => ok({ messages: [fromAlice, old, recent], hasMore: false }),
      'PATCH /api/v1/admin/conversations/cnv_a/messages/msg_m': (call) => ok({ message: { ...recent, text: (call.body as { text: string }).text, editedAt: new Date().toISOString() } }),
      'DELETE /api/v1/admin/conversations/cnv_a/messages/msg_1': () => ({ status: 204 }),
    });
    await d.mount('#/inbox/cnv_a');
    const item = (id: string) => d.q(`li.msg[data-message-id=${id}]`)!;
    expect(item('msg_o').querySelector('[aria-label="Edit message"]')).toBeNull();
    expect(item('msg_1').querySelector('[aria-label="Edit message"]')).toBeNull();
    await click(d.button('Edit message', item('msg_m')));
    const field = d.control<HTMLTextAreaElement>('Edit message');
    expect(document.activeElement).toBe(field);
    await input(field, 'On it, 5 minutes');
    await press(field, { key: 'Enter' });
    expect(callsTo('PATCH', '/api/v1/admin/conversations/cnv_a/messages/msg_m').map((c) => c.body)).toEqual([{ text: 'On it, 5 minutes' }]);
    expect(d.text(item('msg_m').querySelector('.md'))).toBe('On it, 5 minutes');
    expect(d.text(item('msg_m').querySelector('.edited'))).toBe('(edited)');

    await click(d.button('Delete message', item('msg_1')));
    expect(d.text(item('msg_1').querySelector('.confirm'))).toBe('Delete this message? Delete Cancel');
    expect(callsTo('DELETE', '/api/v1/admin/conversations/cnv_a/messages/msg_1')).toHaveLength(0);
    await click(d.button('Delete', item('msg_1')));
    expect(callsTo('DELETE', '/api/v1/admin/conversations/cnv_a/messages/msg_1')).toHaveLength(1);
    expect(d.text(item('msg_1').querySelector('.deleted'))).toBe('Message deleted');
    expect(document.activeElement).toBe(d.control<HTMLTextAreaElement>('Reply'));
  });

  it('edits and deletions arrive live', async () => {
    inbox();
    await d.mount('#/inbox/cnv_a');
    await stream().emit(EVENT.messageUpdated, { message: { ...fromAlice, text: 'Where is my refund for order 42?', editedAt: T0 } });
    expect(thread()).toEqual(['Alice: Where is my refund for order 42?']);
    await stream().emit(EVENT.messageDeleted, { message: { ...fromAlice, text: '', deletedAt: T0 } });
    expect(thread()).toEqual(['Alice: Message deleted']);
    expect(d.text(d.q('ul.conversations a[data-conversation-id=cnv_a] .preview'))).toBe('Message deleted');
  });

  it('resync (the events it missed have left the server) reads the open thread and the list again', async () => {
    let messages = [fromAlice];
    inbox({ 'GET /api/v1/admin/conversations/cnv_a/messages': () => ok({ messages, hasMore: false }) });
    await d.mount('#/inbox/cnv_a');
    expect(thread()).toEqual(['Alice: Where is my refund?']);
    messages = [fromAlice, message('msg_8', 'cnv_a', 'Still there?', '2026-03-01T10:30:00.000Z')];
    await stream().emit(EVENT.resync, {});
    await until(() => expect(thread()).toEqual(['Alice: Where is my refund?', 'Alice: Still there?']));
    await until(() => expect(listQueries()).toEqual(['status=open', 'status=open']));
  });

  it('says the user is typing until the ttl passes or their message comes, and never another administrator', async () => {
    inbox();
    await d.mount('#/inbox/cnv_a');
    const typing = () => d.text(d.q('[data-testid=typing]'));
    expect(d.q('[data-testid=typing]')?.getAttribute('role')).toBe('status');
    await stream().emit(EVENT.typing, { conversationId: 'cnv_a', userId: 'usr_bea', name: 'Bea Agent', agent: true, ttlMs: 5000 });
    expect(typing()).toBe('');
    await stream().emit(EVENT.typing, { conversationId: 'cnv_b', userId: 'usr_bob', name: 'Bob', agent: false, ttlMs: 5000 });
    expect(typing()).toBe('');
    // The list says so beside that conversation.
    expect(d.text(d.q('ul.conversations a[data-conversation-id=cnv_b] .list-typing'))).toBe('typing…');
    await stream().emit(EVENT.typing, { conversationId: 'cnv_a', userId: 'usr_alice', name: 'Alice', agent: false, ttlMs: 5000 });
    expect(typing()).toBe('Alice is typing…');
    await stream().emit(EVENT.messageCreated, { message: message('msg_3', 'cnv_a', 'Order 42', '2026-03-01T10:09:00.000Z') });
    expect(typing()).toBe('');
    await stream().emit(EVENT.typing, { conversationId: 'cnv_a', userId: 'usr_alice', name: 'Alice', agent: false, ttlMs: 80 });
    expect(typing()).toBe('Alice is typing…');
    await until(() => expect(typing()).toBe(''));
  });

  it('a renewed typing event holds past the first ttl, then ends with the last one (injected timers)', async () => {
    let now = 0;
    const pending = new Map<number, { at: number; fn: () => void }>();
    let next = 1;
    const timers = { set: (fn: () => void, ms: number) => (pending.set(next, { at: now + ms, fn }), next++), clear: (h: unknown) => void pending.delete(h as number) };
    const advance = async (ms: number) => {
      now += ms;
      await act(() => {
        for (const [h, t] of [...pending]) if (t.at <= now) (pending.delete(h), t.fn());
      });
    };
    let start!: ReturnType<typeof useTyping>['start'];
    function Probe() {
      const typing = useTyping(timers);
      start = typing.start;
      return <TypingIndicator typing={typing.typing} conversationId="cnv_a" />;
    }
    await act(() => render(<Probe />, container));
    const event = { conversationId: 'cnv_a', userId: 'usr_alice', name: 'Alice', agent: false, ttlMs: 5000 };
    await act(() => start(event));
    expect(d.text(d.q('.typing'))).toBe('Alice is typing…');
    await advance(4000);
    await act(() => start(event));
    await advance(4000);
    expect(d.text(d.q('.typing'))).toBe('Alice is typing…');
    await advance(1000);
    expect(d.text(d.q('.typing'))).toBe('');
  });

  it('shows Seen under the team’s last answer once the user has read it, not for an administrator’s read', async () => {
    const answer = mine('msg_m', 'On it', '2026-03-01T10:06:00.000Z');
    inbox({ 'GET /api/v1/admin/conversations/cnv_a/messages': () => ok({ messages: [fromAlice, answer], hasMore: false }) });
    await d.mount('#/inbox/cnv_a');
    const seen = () => d.all('[data-testid=seen]').map((p) => p.closest('li')!.getAttribute('data-message-id'));
    await stream().emit(EVENT.conversationRead, { conversationId: 'cnv_a', userId: ADMIN.id, messageId: 'msg_m' });
    expect(seen()).toEqual([]);
    await stream().emit(EVENT.conversationRead, { conversationId: 'cnv_a', userId: 'usr_alice', messageId: 'msg_1' });
    expect(seen()).toEqual([]);
    await stream().emit(EVENT.conversationRead, { conversationId: 'cnv_a', userId: 'usr_alice', messageId: 'msg_m' });
    expect(seen()).toEqual(['msg_m']);
    expect(d.text(d.q('[data-testid=seen]'))).toBe('Seen');
    // A newer answer has not been seen yet.
    await stream().emit(EVENT.messageCreated, { message: mine('msg_m2', 'Refunded', '2026-03-01T10:07:00.000Z') });
    expect(seen()).toEqual([]);
  });

  it('shows Seen at once when the conversation opens after the user read the answer (their read marker), never for the team’s', async () => {
    const answer = mine('msg_m', 'On it', '2026-03-01T10:06:00.000Z');
    const read = (aliceRead: string | null, teamRead: string | null) =>
      conversation('cnv_a', answer, {
        participants: [
          { id: 'usr_alice', name: 'Alice', agent: false, lastReadMessageId: aliceRead },
          { id: BEA.id, name: BEA.name, agent: true, lastReadMessageId: teamRead },
        ],
      });
    let listed = read(null, 'msg_m');
    inbox({
      'GET /api/v1/admin/conversations': () => ok({ conversations: [listed], nextCursor: null, counts: COUNTS }),
      'GET /api/v1/admin/conversations/cnv_a/messages': () => ok({ messages: [fromAlice, answer], hasMore: false }),
    });
    await d.mount('#/inbox/cnv_a');
    expect(d.all('[data-testid=seen]')).toEqual([]);
    await act(() => render(null, container));
    listed = read('msg_m', null);
    await d.mount('#/inbox/cnv_a');
    expect(d.all('[data-testid=seen]').map((p) => p.closest('li')!.getAttribute('data-message-id'))).toEqual(['msg_m']);
  });

  it('viewing the conversation marks it read up to its newest message, again when one arrives', async () => {
    inbox();
    await d.mount('#/inbox/cnv_a');
    const reads = () => callsTo('POST', '/api/v1/admin/conversations/cnv_a/read').map((c) => c.body);
    expect(reads()).toEqual([{ messageId: 'msg_1' }]);
    await stream().emit(EVENT.messageCreated, { message: message('msg_3', 'cnv_a', 'Hello?', '2026-03-01T10:09:00.000Z') });
    expect(reads()).toEqual([{ messageId: 'msg_1' }, { messageId: 'msg_3' }]);
  });
});

describe('the composer', () => {
  it('Note mode looks different, is named so, posts internal: true and sends no typing', async () => {
    inbox();
    await d.mount('#/inbox/cnv_a');
    const mode = d.q('[role=group][aria-label="Message type"]')!;
    expect(d.button('Reply', mode).getAttribute('aria-pressed')).toBe('true');
    await click(d.button('Note', mode));
    expect(d.button('Note', mode).getAttribute('aria-pressed')).toBe('true');
    expect(d.q('form.composer')!.classList.contains('note')).toBe(true);
    const field = d.control<HTMLTextAreaElement>('Internal note');
    await input(field, 'Customer is VIP');
    await click(d.button('Add note'));
    const posts = callsTo('POST', '/api/v1/admin/conversations/cnv_a/messages');
    expect(posts.map((c) => c.body)).toEqual([{ text: 'Customer is VIP', clientMessageId: expect.stringMatching(/^c_/), internal: true }]);
    expect(callsTo('POST', '/api/v1/admin/conversations/cnv_a/typing')).toHaveLength(0);
    expect(d.text(d.q('li.msg.note .note-label'))).toBe('Internal note');
    // The list's preview and unanswered mark ignore notes.
    expect(d.text(d.q('ul.conversations a[data-conversation-id=cnv_a] .preview'))).toBe('Where is my refund?');

    await click(d.button('Reply', mode));
    await input(d.control<HTMLTextAreaElement>('Reply'), 'Hi');
    await press(d.control<HTMLTextAreaElement>('Reply'), { key: 'Enter' });
    expect(callsTo('POST', '/api/v1/admin/conversations/cnv_a/messages').at(-1)!.body).toEqual({ text: 'Hi', clientMessageId: expect.stringMatching(/^c_/) });
  });

  it('replying signals typing at most once per interval', async () => {
    inbox();
    await d.mount('#/inbox/cnv_a');
    const field = d.control<HTMLTextAreaElement>('Reply');
    await input(field, 'H');
    await input(field, 'He');
    await input(field, 'Hel');
    expect(callsTo('POST', '/api/v1/admin/conversations/cnv_a/typing')).toHaveLength(1);
    vi.spyOn(Date, 'now').mockReturnValue(Date.now() + 3_001);
    await input(field, 'Hell');
    expect(callsTo('POST', '/api/v1/admin/conversations/cnv_a/typing')).toHaveLength(2);
  });

  it('/ opens the canned replies: typing filters, arrows choose, Enter inserts, Escape closes', async () => {
    const replies = [
      { id: 'cr_1', title: 'Refund policy', text: 'Refunds take 5 days.', createdAt: T0, updatedAt: T0 },
      { id: 'cr_2', title: 'Greeting', text: 'Hello! How can I help?', createdAt: T0, updatedAt: T0 },
      { id: 'cr_3', title: 'Refund done', text: 'Your refund is on its way.', createdAt: T0, updatedAt: T0 },
    ];
    inbox({ 'GET /api/v1/admin/canned-replies': () => ok({ cannedReplies: replies }) });
    await d.mount('#/inbox/cnv_a');
    const field = d.control<HTMLTextAreaElement>('Reply');
    expect(d.q('[role=listbox]')).toBeNull();
    await input(field, '/');
    await until(() => expect(d.q('[role=listbox]')).not.toBeNull());
    const options = () => d.all('[role=listbox][aria-label="Canned replies"] [role=option]').map((o) => d.text(o.querySelector('.canned-title')));
    expect(options()).toEqual(['Refund policy', 'Greeting', 'Refund done']);
    expect(field.getAttribute('aria-controls')).toBe(d.q('.canned')!.id);
    await input(field, '/ref');
    expect(options()).toEqual(['Refund policy', 'Refund done']);
    const selected = () => d.text(d.q('[role=option][aria-selected=true] .canned-title'));
    expect(selected()).toBe('Refund policy');
    expect(field.getAttribute('aria-activedescendant')).toBe(d.q('[role=option][aria-selected=true]')!.id);
    await press(field, { key: 'ArrowDown' });
    expect(selected()).toBe('Refund done');
    await press(field, { key: 'ArrowDown' });
    expect(selected()).toBe('Refund policy');
    await press(field, { key: 'ArrowUp' });
    expect(selected()).toBe('Refund done');
    await press(field, { key: 'Enter' });
    expect(field.value).toBe('Your refund is on its way.');
    expect(d.q('[role=listbox]')).toBeNull();
    expect(callsTo('POST', '/api/v1/admin/conversations/cnv_a/messages')).toHaveLength(0);
    expect(callsTo('GET', '/api/v1/admin/canned-replies')).toHaveLength(1);

    await input(field, '/gre');
    expect(options()).toEqual(['Greeting']);
    await press(field, { key: 'Escape' });
    expect(d.q('[role=listbox]')).toBeNull();
    expect(field.value).toBe('/gre');
    // Closed until the text no longer starts with /.
    await input(field, '/gree');
    expect(d.q('.canned')).toBeNull();
    await input(field, '');
    await input(field, '/zzz');
    expect(d.text(d.q('.canned'))).toContain('No canned reply matches “zzz”.');
  });
});

describe('the customer panel', () => {
  it('shows who the conversation is with, their metadata and their other conversations as links', async () => {
    const customer: Customer = {
      id: 'usr_alice',
      externalId: 'alice-1',
      email: 'alice@example.com',
      name: 'Alice',
      avatarUrl: null,
      organizationId: 'default',
      organizationName: 'Acme',
      metadata: [{ key: 'plan', value: 'pro' }, { key: 'seats', value: '12' }],
      firstSeenAt: T0,
      lastSeenAt: '2026-03-01T10:05:00.000Z',
      lastPage: 'https://app.example.com/billing',
      active: true,
      conversations: [
        { id: 'cnv_a', title: 'Support', status: 'open', lastMessageAt: T0 },
        { id: 'cnv_old', title: 'Invoice question', status: 'resolved', lastMessageAt: T0 },
      ],
    };
    inbox({ 'GET /api/v1/admin/conversations/cnv_a/customer': () => ok({ customer }) });
    await d.mount('#/inbox/cnv_a');
    const panel = d.q('details.customer')!;
    expect(d.text(panel.querySelector('summary'))).toBe('Customer');
    const facts = [...panel.querySelectorAll('dl.facts:not(.metadata) dt')].map((dt) => [d.text(dt), d.text(dt.nextElementSibling)]);
    expect(facts).toEqual([
      ['Name', 'Alice'],
      ['Email', 'alice@example.com'],
      ['External id', 'alice-1'],
      ['Parley id', 'usr_alice'],
      ['Organization', 'Acme'],
      ['First seen', expect.any(String)],
      ['Last seen', expect.any(String)],
      ['Last page', 'https://app.example.com/billing'],
    ]);
    expect([...panel.querySelectorAll('dl.metadata dt')].map((dt) => [d.text(dt), d.text(dt.nextElementSibling)])).toEqual([
      ['plan', 'pro'],
      ['seats', '12'],
    ]);
    expect([...panel.querySelectorAll('ul.others a')].map((a) => [d.text(a), a.getAttribute('href')])).toEqual([['Invoice question', '#/inbox/cnv_old']]);
  });
});
