// @vitest-environment happy-dom
/**
 * The compact chat view's home (widget/src/chat/ChatView.tsx, home.tsx): the team, the greeting and the
 * reply time, a composer that has focus when the home appears, and the user's conversations. Only a first
 * message creates a conversation, with that message, in one request: opening the view or clicking never
 * creates an empty one.
 */
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Conversation } from '#shared/api.js';
import { EVENT } from '#shared/constants.js';
import { createApiClient } from '../../widget/src/api/client.js';
import { addContainer, click, removeContainer, settle } from '../helpers/dom.js';
import { createFakeFetch, deferred, errorResponse, jsonResponse, type RecordedRequest } from '../helpers/widget-fakes.js';
import { conversation, fakeApi, fakeLive, message, mine, mountChat } from './chat-fakes.js';

let container: HTMLElement;
beforeEach(() => {
  container = addContainer();
});
afterEach(() => removeContainer(container));

const q = <E extends Element = HTMLElement>(selector: string) => container.querySelector<E & Element>(selector);
const textarea = () => q<HTMLTextAreaElement>('.composer textarea')!;
const rows = () => [...container.querySelectorAll<HTMLButtonElement>('ul.conversations button')];
const statuses = () => [...container.querySelectorAll<HTMLElement>('ol.messages li.msg')].map((li) => li.dataset['status']);

async function write(text: string) {
  await act(() => {
    textarea().value = text;
    textarea().dispatchEvent(new Event('input', { bubbles: true }));
  });
  await act(() => {
    textarea().dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }));
  });
}

describe('the compact home', () => {
  it('shows the team, the greeting and the reply time, with defaults for what is not set', async () => {
    await mountChat(container, { api: fakeApi(), compact: true });
    expect(q('.hero h3')?.textContent).toBe('Our team');
    expect(q('.hero .avatar')?.textContent).toBe('O');
    expect(q('.hero .avatar')?.getAttribute('aria-hidden')).toBe('true');
    expect(q('.hero .greeting')).toBeNull();
    expect(q('.hero .reply')?.textContent).toBe('We reply as soon as we can.');

    await mountChat(container, {
      api: fakeApi(),
      compact: true,
      home: { teamName: 'Acme Support', avatarUrl: 'https://cdn.example/acme.png', greeting: 'Hi Ada 👋 — ask us anything', replyTime: 'We reply in a few minutes' },
    });
    expect(q('.hero h3')?.textContent).toBe('Acme Support');
    expect(q<HTMLImageElement>('.hero img.avatar')?.getAttribute('src')).toBe('https://cdn.example/acme.png');
    expect(q('.hero img.avatar')?.getAttribute('alt')).toBe('');
    expect(q('.hero .greeting')?.textContent).toBe('Hi Ada 👋 — ask us anything');
    expect(q('.hero .reply')?.textContent).toBe('We reply in a few minutes');
    for (const el of container.querySelectorAll('.hero h3, .hero p')) expect(el.getAttribute('dir')).toBe('auto');
  });

  it('lists the conversations below the composer, with no button that creates an empty one', async () => {
    await mountChat(container, { api: fakeApi([conversation('cnv_a', 'Alpha', '2026-01-01T00:00:00.000Z')]), compact: true });
    const home = q('.home')!;
    expect([...home.children].map((el) => el.className)).toEqual(['hero', 'composer', 'conversations']);
    expect(q('ul.conversations')?.getAttribute('aria-label')).toBe('Conversations');
    expect(rows().map((b) => b.querySelector('.title')?.textContent)).toEqual(['Alpha']);
    expect(q('button.new')).toBeNull();
    expect(q('section.thread')).toBeNull();
  });

  it('takes focus that waits on what holds it, and leaves the host page its focus', async () => {
    const panel = document.createElement('div');
    panel.tabIndex = -1;
    container.append(panel);
    panel.focus();
    await mountChat(panel, { api: fakeApi(), compact: true });
    expect(document.activeElement).toBe(textarea());

    const hostField = document.createElement('input');
    container.append(hostField);
    hostField.focus();
    const other = document.createElement('div');
    container.append(other);
    await mountChat(other, { api: fakeApi(), compact: true });
    expect(document.activeElement).toBe(hostField);
  });

  it('puts focus in the composer of where the user goes: the thread, and the home on the way back', async () => {
    const api = fakeApi([conversation('cnv_a', 'Alpha', '2026-01-01T00:00:00.000Z')], { cnv_a: [message('m1', 'cnv_a', 'hi', '2026-01-01T01:00:00.000Z')] });
    await mountChat(container, { api, compact: true });
    await click(rows()[0]!);
    expect(q('.home')).toBeNull();
    expect(q('.thread .head h3')?.textContent).toBe('Alpha');
    expect(document.activeElement).toBe(textarea());
    const back = q<HTMLButtonElement>('.thread .head button.back')!;
    expect(back.getAttribute('aria-label')).toBe('Back to conversations');
    // The back button sits beside the heading, not in it.
    expect(back.closest('h3')).toBeNull();

    await click(back);
    expect(q('.home')).not.toBeNull();
    expect(document.activeElement).toBe(textarea());
    expect(api.createConversation).not.toHaveBeenCalled();
  });

  it('creates nothing when opened, clicked around or left: only the first message creates the conversation, in one request with it', async () => {
    const fake = createFakeFetch({
      'GET /api/v1/conversations': () => jsonResponse(200, { conversations: [conversation('cnv_a', 'Alpha', '2026-01-01T00:00:00.000Z')], nextCursor: null }),
      'GET /api/v1/conversations/cnv_a/messages': () => jsonResponse(200, { messages: [], hasMore: false }),
    });
    const created = deferred<Response>();
    fake.on('POST /api/v1/conversations', () => created.promise);
    const api = createApiClient('https://parley.test', () => ({ kind: 'bearer', token: 't' }), fake.fetch);
    await mountChat(container, { api, compact: true });
    await click(q('.hero')!);
    await click(rows()[0]!);
    await click(q('button.back')!);
    await click(textarea());
    expect(fake.requests.filter((r) => r.method !== 'GET')).toEqual([]);

    await write('Where is my order?\nIt was due Monday');
    const posts = fake.to('POST /api/v1/conversations');
    expect(posts).toHaveLength(1);
    const body = posts[0]!.body as { message: { text: string; clientMessageId: string } };
    expect(body).toEqual({ message: { text: 'Where is my order?\nIt was due Monday', clientMessageId: expect.stringMatching(/^c_[0-9a-f]{32}$/) } });
    // The thread opens at once, the message pending in it, titled by its first line.
    expect(q('.home')).toBeNull();
    expect(q('.thread .head h3')?.textContent).toBe('Where is my order?');
    expect(statuses()).toEqual(['pending']);
    expect(document.activeElement).toBe(textarea());

    const first = mine('msg_1', 'cnv_new', body.message.text, '2026-05-01T00:00:00.000Z', body.message.clientMessageId);
    created.resolve(jsonResponse(201, { conversation: conversation('cnv_new', 'Where is my order?', '2026-05-01T00:00:00.000Z', first) }));
    await settle();
    expect(statuses()).toEqual(['sent']);
    expect(q('li.msg')?.dataset['messageId']).toBe('msg_1');
    expect(fake.requests.filter((r: RecordedRequest) => r.method !== 'GET')).toHaveLength(1);

    await click(q('button.back')!);
    expect(rows().map((b) => b.dataset['conversationId'])).toEqual(['cnv_new', 'cnv_a']);
  });

  it('a first message that failed is retried with the same clientMessageId, and creates the conversation once', async () => {
    const fake = createFakeFetch({ 'GET /api/v1/conversations': () => jsonResponse(200, { conversations: [], nextCursor: null }) });
    fake.on('POST /api/v1/conversations', () => errorResponse(503, 'database_unavailable'));
    const api = createApiClient('https://parley.test', () => ({ kind: 'bearer', token: 't' }), fake.fetch);
    await mountChat(container, { api, compact: true });
    await write('Hello?');
    await settle();
    expect(statuses()).toEqual(['failed']);

    fake.on('POST /api/v1/conversations', (r) => {
      const { message: m } = r.body as { message: { text: string; clientMessageId: string } };
      return jsonResponse(200, { conversation: conversation('cnv_new', 'Hello?', '2026-05-01T00:00:00.000Z', mine('msg_1', 'cnv_new', m.text, '2026-05-01T00:00:00.000Z', m.clientMessageId)) });
    });
    await click(q('button.retry')!);
    const posts = fake.to('POST /api/v1/conversations');
    expect(posts).toHaveLength(2);
    expect(posts[1]!.body).toEqual(posts[0]!.body);
    expect(statuses()).toEqual(['sent']);
    expect(fake.to('POST /api/v1/conversations/cnv_new/messages')).toHaveLength(0);
  });

  it('the conversation announced live before the request answers is the one being created, not another', async () => {
    const api = fakeApi([conversation('cnv_a', 'Alpha', '2026-01-01T00:00:00.000Z')]);
    const answer = deferred<Conversation>();
    api.createConversation.mockReturnValueOnce(answer.promise);
    const live = fakeLive();
    await mountChat(container, { api, live: live.live, compact: true });
    await write('Quick question');
    const clientMessageId = api.createConversation.mock.calls[0]![0]!.message!.clientMessageId;
    const first = mine('msg_1', 'cnv_new', 'Quick question', '2026-05-01T00:00:00.000Z', clientMessageId);
    const created = conversation('cnv_new', 'Quick question', '2026-05-01T00:00:00.000Z', first);
    await live.push(EVENT.conversationCreated, { conversation: created });
    await live.push(EVENT.messageCreated, { message: first });
    expect(statuses()).toEqual(['sent']);
    await act(async () => answer.resolve(created));
    await settle();
    expect(statuses()).toEqual(['sent']);

    await click(q('button.back')!);
    expect(rows().map((b) => b.dataset['conversationId'])).toEqual(['cnv_new', 'cnv_a']);
    expect(rows()[0]!.hasAttribute('data-unread')).toBe(false);
  });
});
