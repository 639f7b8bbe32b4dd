// @vitest-environment happy-dom
/**
 * What the conversation list and the thread say about each conversation (widget/src/chat/
 * conversation-list.tsx, use-chat.ts): its title, its last message (who, what, when), its unread count kept
 * live and marked read while it is open and shown, "Seen" under my last message, renames, and text that
 * takes its own direction.
 */
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EVENT } from '#shared/constants.js';
import { pickLocale } from '../../widget/src/i18n/locales.js';
import { addContainer, click, removeContainer } from '../helpers/dom.js';
import { conversation, fakeApi, fakeLive, ME, message, mine, mountChat } from './chat-fakes.js';

let container: HTMLElement;
beforeEach(() => {
  container = addContainer();
});
afterEach(() => {
  removeContainer(container);
  vi.useRealTimers();
});

const q = <E extends Element = HTMLElement>(selector: string) => container.querySelector<E & Element>(selector);
const row = (id: string) => q<HTMLButtonElement>(`ul.conversations button[data-conversation-id="${id}"]`)!;
const unread = (id: string) => row(id).querySelector('.dot')?.textContent ?? null;
const texts = () => [...container.querySelectorAll('ol.messages li.msg')].map((li) => li.querySelector('.md')?.textContent);

/** "Now" for the list's times: the 10th of March 2026, 15:00 local time (only Date is faked). */
function at(now: string) {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date(now));
}

describe('the conversation list', () => {
  it('shows each title (or a placeholder), the last message on one line, its author and its time, and an unread dot', async () => {
    at('2026-03-10T15:00:00');
    const today = new Date('2026-03-10T09:05:00').toISOString();
    const api = fakeApi([
      conversation('cnv_today', 'Order #42', '2026-01-01T00:00:00.000Z', message('m1', 'cnv_today', 'Shipped\n  tomorrow', today), 3),
      conversation('cnv_mine', 'Refund', '2026-01-01T00:00:00.000Z', mine('m2', 'cnv_mine', 'Thanks!', new Date('2026-02-01T10:00:00').toISOString())),
      conversation('cnv_old', 'Last year', '2025-01-01T00:00:00.000Z', message('m3', 'cnv_old', 'bye', new Date('2025-12-24T10:00:00').toISOString(), { type: 'assistant', id: null, name: null }), 1),
      conversation('cnv_empty', null, '2024-01-01T00:00:00.000Z'),
    ]);
    await mountChat(container, { api, lang: 'en' });

    const todayRow = row('cnv_today');
    expect(todayRow.querySelector('.title')?.textContent).toBe('Order #42');
    expect(todayRow.querySelector('.last')?.textContent).toBe('Bob: Shipped tomorrow');
    expect(todayRow.querySelector('.by')?.textContent).toBe('Bob:');
    expect(todayRow.querySelector('time')?.textContent).toBe(new Date(today).toLocaleTimeString('en', { hour: '2-digit', minute: '2-digit' }));
    expect(todayRow.querySelector('time')?.getAttribute('datetime')).toBe(today);
    expect(unread('cnv_today')).toBe('3 unread messages');
    expect(todayRow.querySelector('.dot .sr-only')).not.toBeNull();
    expect(todayRow.dataset['unread']).toBe('3');

    expect(row('cnv_mine').querySelector('.last')?.textContent).toBe('You: Thanks!');
    expect(row('cnv_mine').querySelector('time')?.textContent).toBe('Feb 1');
    expect(unread('cnv_mine')).toBeNull();
    expect(row('cnv_mine').hasAttribute('data-unread')).toBe(false);

    expect(row('cnv_old').querySelector('.last')?.textContent).toBe('Assistant: bye');
    expect(row('cnv_old').querySelector('time')?.textContent).toBe('Dec 24, 2025');
    expect(unread('cnv_old')).toBe('1 unread message');

    expect(row('cnv_empty').querySelector('.title')?.textContent).toBe('New conversation');
    expect(row('cnv_empty').querySelector('.last, time')).toBeNull();
    // Titles and previews take the direction of their own text; nothing interactive inside a row.
    for (const el of container.querySelectorAll('ul.conversations .title, ul.conversations .preview')) expect(el.getAttribute('dir')).toBe('auto');
    expect(container.querySelectorAll('ul.conversations button :is(button, a, input, textarea, [tabindex])')).toHaveLength(0);
  });

  it('speaks the view’s language: placeholder, author, date and unread label', async () => {
    at('2026-03-10T15:00:00');
    const fr = pickLocale('fr', []).strings;
    const api = fakeApi([conversation('cnv_a', null, '2026-01-01T00:00:00.000Z', mine('m1', 'cnv_a', 'Merci', new Date('2026-02-01T10:00:00').toISOString()), 2)]);
    await mountChat(container, { api, t: fr, lang: 'fr' });
    expect(row('cnv_a').querySelector('.title')?.textContent).toBe('Nouvelle conversation');
    expect(row('cnv_a').querySelector('.last')?.textContent).toBe('Vous: Merci');
    expect(row('cnv_a').querySelector('time')?.textContent).toBe('1 févr.');
    expect(unread('cnv_a')).toBe('2 messages non lus');
  });

  it('counts what others write in a conversation that is not open, once per message, and marks it read when opened', async () => {
    const last = message('m1', 'cnv_a', 'first', '2026-01-01T01:00:00.000Z');
    const api = fakeApi([conversation('cnv_a', 'Alpha', '2026-01-01T00:00:00.000Z', last, 1), conversation('cnv_b', 'Beta', '2026-01-01T00:00:00.000Z')], { cnv_a: [last] });
    const live = fakeLive();
    await mountChat(container, { api, live: live.live });
    // Already in the list: a replayed event counts nothing more.
    await live.push(EVENT.messageCreated, { message: last });
    expect(unread('cnv_a')).toBe('1 unread message');

    const second = message('m2', 'cnv_a', 'second', '2026-01-01T02:00:00.000Z');
    await live.push(EVENT.messageCreated, { message: second });
    await live.push(EVENT.messageCreated, { message: structuredClone(second) });
    await live.push(EVENT.messageCreated, { message: mine('m3', 'cnv_b', 'mine elsewhere', '2026-01-01T03:00:00.000Z') });
    expect(unread('cnv_a')).toBe('2 unread messages');
    expect(unread('cnv_b')).toBeNull();
    expect(api.markRead).not.toHaveBeenCalled();

    await click(row('cnv_a'));
    expect(api.markRead.mock.calls).toEqual([['cnv_a', 'm2']]);
    expect(unread('cnv_a')).toBeNull();

    // While it is open and shown, what arrives is read at once.
    await live.push(EVENT.messageCreated, { message: message('m4', 'cnv_a', 'third', '2026-01-01T04:00:00.000Z') });
    expect(api.markRead.mock.calls).toEqual([['cnv_a', 'm2'], ['cnv_a', 'm4']]);
    expect(unread('cnv_a')).toBeNull();
    // Opening a conversation with nothing unread asks for nothing.
    await click(row('cnv_b'));
    expect(api.markRead).toHaveBeenCalledTimes(2);
  });

  it('does not mark read while the view is hidden, and does once it is shown again', async () => {
    const api = fakeApi([conversation('cnv_a', 'Alpha', '2026-01-01T00:00:00.000Z')]);
    const live = fakeLive();
    await mountChat(container, { api, live: live.live, visible: true });
    await click(row('cnv_a'));
    await mountChat(container, { api, live: live.live, visible: false });
    await live.push(EVENT.messageCreated, { message: message('m1', 'cnv_a', 'while away', '2026-01-01T01:00:00.000Z') });
    await live.push(EVENT.messageCreated, { message: message('m2', 'cnv_a', 'still away', '2026-01-01T02:00:00.000Z') });
    expect(api.markRead).not.toHaveBeenCalled();
    expect(unread('cnv_a')).toBe('2 unread messages');

    await mountChat(container, { api, live: live.live, visible: true });
    expect(api.markRead.mock.calls).toEqual([['cnv_a', 'm2']]);
    expect(unread('cnv_a')).toBeNull();
  });

  it('does not mark read while the browser hides the page (a background tab), and does once it shows it again', async () => {
    const api = fakeApi([conversation('cnv_a', 'Alpha', '2026-01-01T00:00:00.000Z')]);
    const live = fakeLive();
    let state: DocumentVisibilityState = 'visible';
    const spy = vi.spyOn(document, 'visibilityState', 'get').mockImplementation(() => state);
    try {
      await mountChat(container, { api, live: live.live });
      await click(row('cnv_a'));
      state = 'hidden';
      await act(() => void document.dispatchEvent(new Event('visibilitychange')));
      await live.push(EVENT.messageCreated, { message: message('m1', 'cnv_a', 'while in another tab', '2026-01-01T01:00:00.000Z') });
      expect(api.markRead).not.toHaveBeenCalled();
      state = 'visible';
      await act(() => void document.dispatchEvent(new Event('visibilitychange')));
      expect(api.markRead.mock.calls).toEqual([['cnv_a', 'm1']]);
    } finally {
      spy.mockRestore();
    }
  });

  it('a read in another tab of mine clears the count; a failed markRead changes nothing shown', async () => {
    const last = message('m1', 'cnv_a', 'hello', '2026-01-01T01:00:00.000Z');
    const api = fakeApi([conversation('cnv_a', 'Alpha', '2026-01-01T00:00:00.000Z', last, 1), conversation('cnv_b', 'Beta', '2026-01-01T00:00:00.000Z', message('m2', 'cnv_b', 'yo', '2026-01-01T00:30:00.000Z'), 1)]);
    api.markRead.mockRejectedValue(new Error('offline'));
    const live = fakeLive();
    await mountChat(container, { api, live: live.live });
    await live.push(EVENT.conversationRead, { conversationId: 'cnv_a', userId: ME.id, messageId: 'm1' });
    expect(unread('cnv_a')).toBeNull();
    // Another participant's marker is not my count.
    await live.push(EVENT.conversationRead, { conversationId: 'cnv_b', userId: 'usr_bob', messageId: 'm2' });
    expect(unread('cnv_b')).toBe('1 unread message');
    await click(row('cnv_b'));
    expect(api.markRead).toHaveBeenCalledTimes(1);
    expect(unread('cnv_b')).toBeNull();
  });

  it('follows renames and titles given by a first message, without adding conversations it does not list', async () => {
    const api = fakeApi([conversation('cnv_a', null, '2026-01-01T00:00:00.000Z', null, 2)]);
    const live = fakeLive();
    await mountChat(container, { api, live: live.live });
    await click(row('cnv_a'));
    expect(q('section.thread h2')?.textContent).toBe('New conversation');
    await live.push(EVENT.conversationUpdated, { conversation: { ...conversation('cnv_a', 'Delivery times', '2026-01-01T00:00:00.000Z'), unreadCount: undefined } });
    expect(row('cnv_a').querySelector('.title')?.textContent).toBe('Delivery times');
    expect(q('section.thread h2')?.textContent).toBe('Delivery times');
    expect(q('section.thread')?.getAttribute('aria-label')).toBe('Delivery times');
    await live.push(EVENT.conversationUpdated, { conversation: conversation('cnv_room', 'doc-1', '2026-01-01T00:00:00.000Z') });
    expect(q('[data-conversation-id="cnv_room"]')).toBeNull();
  });
});

describe('the thread', () => {
  it('says "Seen" under my last message once another participant has read it', async () => {
    const api = fakeApi([conversation('cnv_a', 'Alpha', '2026-01-01T00:00:00.000Z')], {
      cnv_a: [message('m1', 'cnv_a', 'question', '2026-01-01T01:00:00.000Z'), mine('m2', 'cnv_a', 'answer one', '2026-01-01T02:00:00.000Z'), mine('m3', 'cnv_a', 'answer two', '2026-01-01T03:00:00.000Z')],
    });
    const live = fakeLive();
    await mountChat(container, { api, live: live.live });
    await click(row('cnv_a'));
    const seen = () => [...container.querySelectorAll('li.msg')].map((li) => li.querySelector('.seen')?.textContent ?? null);
    expect(seen()).toEqual([null, null, null]);

    // Read up to my first answer: not yet my last message.
    await live.push(EVENT.conversationRead, { conversationId: 'cnv_a', userId: 'usr_bob', messageId: 'm2' });
    expect(seen()).toEqual([null, null, null]);
    // My own read (another tab) is not "Seen".
    await live.push(EVENT.conversationRead, { conversationId: 'cnv_a', userId: ME.id, messageId: 'm3' });
    expect(seen()).toEqual([null, null, null]);
    await live.push(EVENT.conversationRead, { conversationId: 'cnv_a', userId: 'usr_bob', messageId: 'm3' });
    expect(seen()).toEqual([null, null, 'Seen']);
    // Another participant behind does not take it back.
    await live.push(EVENT.conversationRead, { conversationId: 'cnv_a', userId: 'usr_cy', messageId: 'm1' });
    expect(seen()).toEqual([null, null, 'Seen']);

    // A newer message of mine is not seen yet.
    await act(() => {
      const el = q<HTMLTextAreaElement>('.composer textarea')!;
      el.value = 'one more';
      el.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await click([...container.querySelectorAll<HTMLButtonElement>('.composer button')].at(-1)!);
    expect(texts()).toEqual(['question', 'answer one', 'answer two', 'one more']);
    expect(seen()).toEqual([null, null, null, null]);
  });

  it('says nothing under a message of mine that was deleted: "Seen" goes under my last one still shown', async () => {
    const api = fakeApi([conversation('cnv_a', 'Alpha', '2026-01-01T00:00:00.000Z')], {
      cnv_a: [mine('m1', 'cnv_a', 'answer one', '2026-01-01T01:00:00.000Z'), { ...mine('m2', 'cnv_a', '', '2026-01-01T02:00:00.000Z'), deletedAt: '2026-01-01T02:01:00.000Z' }],
    });
    const live = fakeLive();
    await mountChat(container, { api, live: live.live });
    await click(row('cnv_a'));
    const seen = () => [...container.querySelectorAll('li.msg')].map((li) => li.querySelector('.seen')?.textContent ?? null);
    await live.push(EVENT.conversationRead, { conversationId: 'cnv_a', userId: 'usr_bob', messageId: 'm2' });
    expect(seen()).toEqual(['Seen', null]);
  });

  it('gives every message text, the heading and the preview their own direction (dir="auto")', async () => {
    const ar = pickLocale('ar', []).strings;
    const api = fakeApi([conversation('cnv_a', 'Order status', '2026-01-01T00:00:00.000Z', message('m2', 'cnv_a', 'مرحبا', '2026-01-01T02:00:00.000Z'))], {
      cnv_a: [message('m1', 'cnv_a', 'Hello, **there**!', '2026-01-01T01:00:00.000Z'), message('m2', 'cnv_a', 'مرحبا', '2026-01-01T02:00:00.000Z')],
    });
    await mountChat(container, { api, t: ar, lang: 'ar', compact: true });
    await click(row('cnv_a'));
    const messages = [...container.querySelectorAll('li.msg')];
    expect(messages).toHaveLength(2);
    for (const li of messages) expect(li.querySelector('.md')?.closest('[dir]')?.getAttribute('dir')).toBe('auto');
    // The author and time line keeps the view's direction.
    expect(messages[0]!.querySelector('.meta')?.closest('[dir]')).toBeNull();
    expect(q('.thread .head h3')?.getAttribute('dir')).toBe('auto');
  });
});
