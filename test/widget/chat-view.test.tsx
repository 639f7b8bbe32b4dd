// @vitest-environment happy-dom
/**
 * The chat UI (widget/src/chat/ChatView.tsx with useChat) against a fake API client and a fake live event
 * source: what the user sees for the conversation list, a thread, optimistic sending, failure and retry,
 * live events and the keyboard.
 */
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConversationList, Message, MessagePage } from '#shared/api.js';
import { EVENT } from '#shared/constants.js';
import type { ApiClient } from '../../widget/src/api/client.js';
import { ChatView } from '../../widget/src/chat/ChatView.js';
import { preloadThread } from '../../widget/src/chat/thread-loader.js';
import { en } from '../../widget/src/chat/strings.js';
import type { LiveSource } from '../../widget/src/chat/use-chat.js';
import { pickLocale } from '../../widget/src/i18n/locales.js';
import { addContainer, click, removeContainer, settle, unmount } from '../helpers/dom.js';
import { deferred } from '../helpers/widget-fakes.js';
import { conversation, fakeApi, fakeLive, ME, message } from './chat-fakes.js';

let container: HTMLElement;
beforeEach(() => {
  container = addContainer();
});
afterEach(() => removeContainer(container));

async function mount(api: ApiClient, live: LiveSource = fakeLive().live, options: { t?: typeof en; lang?: string } = {}) {
  // The open conversation's view is a module the chat loads after it: these tests see it from the start.
  await preloadThread();
  await act(() => {
    render(<ChatView api={api} me={ME} live={live} t={options.t ?? en} {...(options.lang ? { lang: options.lang } : {})} />, container);
  });
  await settle();
}

const q = <E extends Element = HTMLElement>(selector: string) => container.querySelector<E & Element>(selector);
const conversationButtons = () => [...container.querySelectorAll<HTMLButtonElement>('ul.conversations button')];
const titles = () => conversationButtons().map((b) => b.querySelector('.title')?.textContent);
const items = () => [...container.querySelectorAll<HTMLLIElement>('ol.messages li.msg')];
/** What screen readers are told: the hidden live region's lines. */
const announced = () => [...container.querySelectorAll('.announcer[aria-live=polite] p')].map((p) => p.textContent);
const itemTexts = () => items().map((li) => li.querySelector('.md')?.textContent);
const textarea = () => {
  const el = container.querySelector<HTMLTextAreaElement>('textarea[aria-label="Message"]');
  if (!el) throw new Error('no composer');
  return el;
};
const buttonNamed = (name: string) => {
  const found = [...container.querySelectorAll<HTMLButtonElement>('button')].find((b) => b.textContent?.trim() === name);
  if (!found) throw new Error(`no button "${name}"`);
  return found;
};

async function type(text: string) {
  await act(() => {
    const el = textarea();
    el.value = text;
    el.dispatchEvent(new Event('input', { bubbles: true }));
  });
}

async function key(init: KeyboardEventInit) {
  let event!: KeyboardEvent;
  await act(() => {
    event = new KeyboardEvent('keydown', { bubbles: true, cancelable: true, ...init });
    textarea().dispatchEvent(event);
  });
  return event;
}

async function openConversation(title: string) {
  const button = conversationButtons().find((b) => b.querySelector('.title')?.textContent === title);
  if (!button) throw new Error(`no conversation "${title}"`);
  await click(button);
}

describe('ChatView', () => {
  it('shows the empty state once the (empty) list has loaded, and not before', async () => {
    const api = fakeApi();
    const list = deferred<ConversationList>();
    api.listConversations.mockReturnValueOnce(list.promise);
    await mount(api);
    expect(container.textContent).not.toContain('No conversations yet');
    expect(q('p.placeholder')?.textContent).toBe('Pick a conversation or start a new one.');

    await act(async () => list.resolve({ conversations: [], nextCursor: null }));
    await settle();
    expect(q('p.empty')?.textContent).toBe('No conversations yet. Start one!');
    expect(conversationButtons()).toHaveLength(0);
    expect(buttonNamed('New conversation')).toBeTruthy();
    expect(q('textarea')).toBeNull();
  });

  it('lists conversations newest activity first, with the last message as preview', async () => {
    const api = fakeApi([
      conversation('cnv_a', 'Old, quiet', '2026-01-01T00:00:00.000Z'),
      conversation('cnv_b', 'Old, recent message', '2026-01-02T00:00:00.000Z', message('m1', 'cnv_b', 'latest news', '2026-03-01T10:00:00.000Z')),
      conversation('cnv_c', 'Created mid', '2026-02-01T00:00:00.000Z'),
      conversation('cnv_d', 'Older message', '2026-01-03T00:00:00.000Z', message('m2', 'cnv_d', 'hello', '2026-01-15T00:00:00.000Z')),
    ]);
    await mount(api);
    expect(titles()).toEqual(['Old, recent message', 'Created mid', 'Older message', 'Old, quiet']);
    expect(conversationButtons()[0]!.querySelector('.preview')?.textContent).toBe('latest news');
    expect(conversationButtons()[1]!.querySelector('.preview')).toBeNull();
    expect(container.textContent).not.toContain('No conversations yet');
  });

  it('selecting a conversation marks it current and shows its messages', async () => {
    const api = fakeApi([conversation('cnv_a', 'Alpha', '2026-01-01T00:00:00.000Z'), conversation('cnv_b', 'Beta', '2026-01-02T00:00:00.000Z')], {
      cnv_a: [
        message('m1', 'cnv_a', 'first from Bob', '2026-01-01T01:00:00.000Z'),
        message('m2', 'cnv_a', 'a reply of **mine**', '2026-01-01T02:00:00.000Z', { id: ME.id, name: ME.name }),
      ],
    });
    await mount(api);
    await openConversation('Alpha');

    expect(api.listMessages).toHaveBeenCalledWith('cnv_a');
    expect(q('section.thread h2')?.textContent).toBe('Alpha');
    expect(q('button[aria-current="true"] .title')?.textContent).toBe('Alpha');
    expect(itemTexts()).toEqual(['first from Bob', 'a reply of mine']);
    expect(items().map((li) => li.dataset['status'])).toEqual(['sent', 'sent']);
    expect(items().map((li) => li.querySelector('.author')?.textContent)).toEqual(['Bob', 'You']);
    expect(items()[1]!.querySelector('strong')?.textContent).toBe('mine');
    expect(q('p.placeholder')).toBeNull();

    await openConversation('Beta');
    expect(q('section.thread h2')?.textContent).toBe('Beta');
    expect(items()).toHaveLength(0);
    expect(q('ol.messages li.empty')?.textContent).toBe('No messages yet. Say hello!');
  });

  it('shows a sent message at once as pending, then as sent', async () => {
    const api = fakeApi([conversation('cnv_a', 'Alpha', '2026-01-01T00:00:00.000Z')]);
    const answer = deferred<Message>();
    api.postMessage.mockReturnValueOnce(answer.promise);
    await mount(api);
    await openConversation('Alpha');

    await type('Hello there');
    await click(buttonNamed('Send'));
    expect(api.postMessage).toHaveBeenCalledTimes(1);
    const [conversationId, text, clientMessageId] = api.postMessage.mock.calls[0]!;
    expect(conversationId).toBe('cnv_a');
    expect(text).toBe('Hello there');
    expect(clientMessageId).toMatch(/^c_[0-9a-f]{32}$/);
    expect(textarea().value).toBe('');
    expect(items()).toHaveLength(1);
    expect(items()[0]!.dataset['status']).toBe('pending');
    expect(itemTexts()).toEqual(['Hello there']);
    expect(items()[0]!.querySelector('.state')?.textContent).toBe('Sending…');

    await act(async () => answer.resolve(message('msg_1', 'cnv_a', 'Hello there', '2026-05-01T00:00:00.000Z', { id: ME.id, name: ME.name }, clientMessageId)));
    await settle();
    expect(items()).toHaveLength(1);
    expect(items()[0]!.dataset['status']).toBe('sent');
    expect(items()[0]!.dataset['messageId']).toBe('msg_1');
    expect(items()[0]!.querySelector('.state')).toBeNull();
    expect(container.textContent).not.toContain('Sending…');
    expect(conversationButtons()[0]!.querySelector('.preview')?.textContent).toBe('Hello there');
  });

  it('marks a failed send with Retry, and retrying reuses the same clientMessageId', async () => {
    const api = fakeApi([conversation('cnv_a', 'Alpha', '2026-01-01T00:00:00.000Z')]);
    api.postMessage.mockRejectedValueOnce(new Error('offline'));
    await mount(api);
    await openConversation('Alpha');

    await type('Are you there?');
    await click(buttonNamed('Send'));
    expect(items()).toHaveLength(1);
    expect(items()[0]!.dataset['status']).toBe('failed');
    expect(items()[0]!.querySelector('[role="alert"]')?.textContent).toBe('Not sent. Retry');
    const firstId = api.postMessage.mock.calls[0]![2];

    await click(buttonNamed('Retry'));
    expect(api.postMessage).toHaveBeenCalledTimes(2);
    expect(api.postMessage.mock.calls[1]).toEqual(['cnv_a', 'Are you there?', firstId, []]);
    expect(items()).toHaveLength(1);
    expect(items()[0]!.dataset['status']).toBe('sent');
    expect(items()[0]!.dataset['messageId']).toBe(`msg_${firstId}`);
    expect(container.querySelector('button.retry')).toBeNull();
    expect(itemTexts()).toEqual(['Are you there?']);
  });

  it('shows a live message.created for the open conversation once, even when delivered twice', async () => {
    const api = fakeApi([conversation('cnv_a', 'Alpha', '2026-01-01T00:00:00.000Z'), conversation('cnv_b', 'Beta', '2026-01-02T00:00:00.000Z')], {
      cnv_a: [message('m1', 'cnv_a', 'earlier', '2026-01-01T01:00:00.000Z')],
    });
    const live = fakeLive();
    await mount(api, live.live);
    expect(live.handlers.size).toBe(1);
    await openConversation('Alpha');

    const event = { message: message('m2', 'cnv_a', 'live *news*', '2026-06-01T00:00:00.000Z') };
    await live.push(EVENT.messageCreated, event);
    expect(itemTexts()).toEqual(['earlier', 'live news']);
    expect(items()[1]!.dataset['status']).toBe('sent');
    expect(items()[1]!.querySelector('em')?.textContent).toBe('news');

    await live.push(EVENT.messageCreated, structuredClone(event));
    expect(itemTexts()).toEqual(['earlier', 'live news']);

    // A message for another conversation is not shown in this thread, but moves that conversation up.
    await live.push(EVENT.messageCreated, { message: message('m3', 'cnv_b', 'elsewhere', '2026-06-02T00:00:00.000Z') });
    expect(itemTexts()).toEqual(['earlier', 'live news']);
    expect(titles()).toEqual(['Beta', 'Alpha']);
    expect(conversationButtons()[0]!.querySelector('.preview')?.textContent).toBe('elsewhere');
  });

  it('resync (the events it missed have left the server) loads the list and the open thread again', async () => {
    const list = [conversation('cnv_a', 'Alpha', '2026-01-01T00:00:00.000Z')];
    const pages = { cnv_a: [message('m1', 'cnv_a', 'earlier', '2026-01-01T01:00:00.000Z')] };
    const api = fakeApi(list, pages);
    const live = fakeLive();
    await mount(api, live.live);
    await openConversation('Alpha');
    expect(itemTexts()).toEqual(['earlier']);

    // While the stream was away for longer than the server keeps events: a reply, and a new conversation.
    pages.cnv_a.push(message('m2', 'cnv_a', 'missed reply', '2026-06-01T00:00:00.000Z'));
    list.push(conversation('cnv_g', 'Gamma', '2026-06-02T00:00:00.000Z'));
    await live.push(EVENT.resync, {});
    await settle();
    expect(api.listConversations).toHaveBeenCalledTimes(2);
    expect(api.listMessages).toHaveBeenLastCalledWith('cnv_a');
    expect(titles()).toEqual(['Gamma', 'Alpha']);
    expect(itemTexts()).toEqual(['earlier', 'missed reply']);
    expect(q('section.thread h2')?.textContent).toBe('Alpha');
  });

  it('merges the live echo of my own message with its pending copy', async () => {
    const api = fakeApi([conversation('cnv_a', 'Alpha', '2026-01-01T00:00:00.000Z')]);
    const answer = deferred<Message>();
    api.postMessage.mockReturnValueOnce(answer.promise);
    const live = fakeLive();
    await mount(api, live.live);
    await openConversation('Alpha');
    await type('echo me');
    await click(buttonNamed('Send'));
    const clientMessageId = api.postMessage.mock.calls[0]![2];
    const stored = message('msg_9', 'cnv_a', 'echo me', '2026-06-01T00:00:00.000Z', { id: ME.id, name: ME.name }, clientMessageId);

    // The event stream is faster than the POST's answer.
    await live.push(EVENT.messageCreated, { message: stored });
    expect(items()).toHaveLength(1);
    expect(items()[0]!.dataset['status']).toBe('sent');
    await act(async () => answer.resolve(stored));
    await settle();
    expect(items()).toHaveLength(1);
    expect(items()[0]!.dataset['messageId']).toBe('msg_9');
    expect(items()[0]!.dataset['status']).toBe('sent');
  });

  it('a live conversation.created adds the conversation to the list', async () => {
    const api = fakeApi([conversation('cnv_a', 'Alpha', '2026-01-01T00:00:00.000Z')]);
    const live = fakeLive();
    await mount(api, live.live);
    await live.push(EVENT.conversationCreated, { conversation: conversation('cnv_z', 'Zed', '2026-07-01T00:00:00.000Z') });
    await live.push(EVENT.conversationCreated, { conversation: conversation('cnv_z', 'Zed', '2026-07-01T00:00:00.000Z') });
    expect(titles()).toEqual(['Zed', 'Alpha']);
  });

  it('New conversation shows a composer in the thread; only the first message creates the conversation, with that message', async () => {
    const api = fakeApi([conversation('cnv_a', 'Alpha', '2026-01-01T00:00:00.000Z')]);
    const answer = deferred<Awaited<ReturnType<ApiClient['createConversation']>>>();
    api.createConversation.mockReturnValueOnce(answer.promise);
    await mount(api);
    await click(buttonNamed('New conversation'));
    expect(api.createConversation).not.toHaveBeenCalled();
    expect(q('section.thread h2')?.textContent).toBe('New conversation');
    expect(document.activeElement).toBe(textarea());
    expect(titles()).toEqual(['Alpha']);
    // Clicking around creates nothing either.
    await click(buttonNamed('New conversation'));
    await click(q('section.thread')!);
    expect(api.createConversation).not.toHaveBeenCalled();

    await type('Hello team\nsecond line');
    await key({ key: 'Enter' });
    expect(api.createConversation).toHaveBeenCalledTimes(1);
    const body = api.createConversation.mock.calls[0]![0]!;
    expect(body).toEqual({ message: { text: 'Hello team\nsecond line', clientMessageId: expect.stringMatching(/^c_[0-9a-f]{32}$/) } });
    expect(api.postMessage).not.toHaveBeenCalled();
    // The thread opens at once with the message pending, titled by its first line.
    expect(q('section.thread h2')?.textContent).toBe('Hello team');
    expect(items().map((li) => li.dataset['status'])).toEqual(['pending']);
    expect(titles()).toEqual(['Hello team', 'Alpha']);
    expect(document.activeElement).toBe(textarea());

    const first = message('msg_first', 'cnv_new', 'Hello team\nsecond line', '2026-05-01T00:00:00.000Z', { id: ME.id, name: ME.name }, body.message!.clientMessageId);
    await act(async () => answer.resolve(conversation('cnv_new', 'Hello team', '2026-05-01T00:00:00.000Z', first)));
    await settle();
    expect(items().map((li) => [li.dataset['status'], li.dataset['messageId']])).toEqual([['sent', 'msg_first']]);
    expect(q('button[aria-current="true"]')?.dataset['conversationId']).toBe('cnv_new');
    expect(titles()).toEqual(['Hello team', 'Alpha']);

    // The next message goes to the conversation created.
    await type('and more');
    await key({ key: 'Enter' });
    expect(api.postMessage.mock.calls[0]!.slice(0, 2)).toEqual(['cnv_new', 'and more']);
    expect(api.createConversation).toHaveBeenCalledTimes(1);
  });

  it('Enter sends; Shift+Enter does not', async () => {
    const api = fakeApi([conversation('cnv_a', 'Alpha', '2026-01-01T00:00:00.000Z')]);
    await mount(api);
    await openConversation('Alpha');

    await type('line one');
    const shifted = await key({ key: 'Enter', shiftKey: true });
    await settle();
    expect(shifted.defaultPrevented).toBe(false);
    expect(api.postMessage).not.toHaveBeenCalled();
    expect(items()).toHaveLength(0);
    expect(textarea().value).toBe('line one');

    await type('line one\nline two');
    const plain = await key({ key: 'Enter' });
    await settle();
    expect(plain.defaultPrevented).toBe(true);
    expect(api.postMessage).toHaveBeenCalledTimes(1);
    expect(api.postMessage.mock.calls[0]!.slice(0, 2)).toEqual(['cnv_a', 'line one\nline two']);
    expect(textarea().value).toBe('');
    expect(items()).toHaveLength(1);
    expect(items()[0]!.querySelectorAll('br')).toHaveLength(1);

    // Enter on blank text sends nothing.
    await type('   ');
    await key({ key: 'Enter' });
    await settle();
    expect(api.postMessage).toHaveBeenCalledTimes(1);
  });

  it('unsubscribes from the live source when unmounted', async () => {
    const live = fakeLive();
    await mount(fakeApi(), live.live);
    expect(live.handlers.size).toBe(1);
    await unmount(container);
    expect(live.handlers.size).toBe(0);
  });

  describe('for screen readers and keyboards', () => {
    const older = (n: number) => Array.from({ length: n }, (_, i) => message(`old${i}`, 'cnv_a', `old ${i}`, `2026-01-01T00:0${i}:00.000Z`));

    it('says aloud only what others write live: not the history, not older pages, not my own sends', async () => {
      const api = fakeApi([conversation('cnv_a', 'Alpha', '2026-01-01T00:00:00.000Z'), conversation('cnv_b', 'Beta', '2026-01-02T00:00:00.000Z')]);
      api.listMessages.mockResolvedValueOnce({ messages: [message('m1', 'cnv_a', 'history', '2026-01-01T01:00:00.000Z')], hasMore: true });
      api.listMessages.mockResolvedValueOnce({ messages: older(2), hasMore: false });
      const live = fakeLive();
      await mount(api, live.live);
      await openConversation('Alpha');

      // The list itself is not a live region: opening a conversation would read the whole history.
      expect(q('ol.messages')?.hasAttribute('aria-live')).toBe(false);
      expect(container.querySelectorAll('[aria-live]')).toHaveLength(1);
      expect(announced()).toEqual([]);
      expect(itemTexts()).toEqual(['history']);

      await click(buttonNamed('Load older messages'));
      expect(itemTexts()).toEqual(['old 0', 'old 1', 'history']);
      expect(announced()).toEqual([]);

      await type('mine');
      await click(buttonNamed('Send'));
      const sent = api.postMessage.mock.results[0]!.value as Promise<Message>;
      // My own message, also as it comes back over the stream (from this tab or another one of mine).
      await live.push(EVENT.messageCreated, { message: await sent });
      await live.push(EVENT.messageCreated, { message: message('m_other_tab', 'cnv_a', 'from my phone', '2026-06-01T00:00:00.000Z', { id: ME.id, name: ME.name }) });
      expect(announced()).toEqual([]);

      await live.push(EVENT.messageCreated, { message: message('m2', 'cnv_a', 'live *news*', '2026-06-02T00:00:00.000Z') });
      await live.push(EVENT.messageCreated, { message: message('m2', 'cnv_a', 'live *news*', '2026-06-02T00:00:00.000Z') });
      await live.push(EVENT.messageCreated, { message: message('m3', 'cnv_a', 'beep', '2026-06-03T00:00:00.000Z', { type: 'assistant', id: null, name: null }) });
      // Another conversation's message is not read out in this one.
      await live.push(EVENT.messageCreated, { message: message('m4', 'cnv_b', 'elsewhere', '2026-06-04T00:00:00.000Z') });
      expect(announced()).toEqual(['Bob: live *news*', 'Assistant: beep']);
      expect(container.querySelector('.announcer')?.classList.contains('sr-only')).toBe(true);
    });

    it('a "Load older messages" button at the top of the list pages in older messages while there are any', async () => {
      const api = fakeApi([conversation('cnv_a', 'Alpha', '2026-01-01T00:00:00.000Z')]);
      api.listMessages.mockResolvedValueOnce({ messages: [message('m9', 'cnv_a', 'newest', '2026-01-02T00:00:00.000Z')], hasMore: true });
      const page = deferred<MessagePage>();
      api.listMessages.mockReturnValueOnce(page.promise);
      api.listMessages.mockResolvedValueOnce({ messages: older(1), hasMore: false });
      await mount(api);
      await openConversation('Alpha');

      const first = container.querySelector('ol.messages > li:first-child button');
      expect(first?.textContent).toBe('Load older messages');
      await click(buttonNamed('Load older messages'));
      expect(api.listMessages).toHaveBeenLastCalledWith('cnv_a', 'm9');
      expect(container.querySelector('ol.messages > li:first-child button')?.textContent).toBe('Loading older messages…');
      // Clicking again while a page is on its way asks for nothing more.
      await click(buttonNamed('Loading older messages…'));
      expect(api.listMessages).toHaveBeenCalledTimes(2);

      await act(async () => page.resolve({ messages: [message('m5', 'cnv_a', 'middle', '2026-01-01T12:00:00.000Z')], hasMore: true }));
      await settle();
      expect(itemTexts()).toEqual(['middle', 'newest']);
      const button = buttonNamed('Load older messages');
      button.focus();
      await click(button);
      expect(api.listMessages).toHaveBeenLastCalledWith('cnv_a', 'm5');
      expect(itemTexts()).toEqual(['old 0', 'middle', 'newest']);
      // No more: the button is gone, and focus stays in the list rather than falling to the page.
      expect([...container.querySelectorAll('ol.messages button')].map((b) => b.textContent)).toEqual([]);
      expect(document.activeElement).toBe(q('ol.messages'));
    });

    it('speaks the given language: button, times and unnamed authors', async () => {
      const fr = pickLocale('fr', []).strings;
      const at = '2026-01-01T14:30:00.000Z';
      const api = fakeApi([conversation('cnv_a', 'Alpha', '2026-01-01T00:00:00.000Z')]);
      api.listMessages.mockResolvedValueOnce({ messages: [message('m1', 'cnv_a', 'salut', at, { name: null }), message('m2', 'cnv_a', 'info', at, { type: 'system', id: null, name: null })], hasMore: true });
      await mount(api, fakeLive().live, { t: fr, lang: 'fr' });
      await openConversation('Alpha');
      expect(items().map((li) => li.querySelector('.author')?.textContent)).toEqual(['Utilisateur', 'Système']);
      expect(items()[0]!.querySelector('time')?.textContent).toBe(new Date(at).toLocaleTimeString('fr', { hour: '2-digit', minute: '2-digit' }));
      expect(items()[0]!.querySelector('time')?.textContent).toMatch(/^\d\d:\d\d$/);
      expect(buttonNamed('Charger les messages plus anciens')).toBeTruthy();
    });
  });
});
