// @vitest-environment happy-dom
/**
 * The user's side of the support inbox in the chat view (widget/src/chat/ChatView.tsx, use-chat.ts, home.tsx):
 * agents by their name and avatar, the team's typing shown for as long as its event says (or until its
 * message arrives) and the user's own typing sent throttled, the user's own messages edited and deleted
 * within MESSAGE_EDIT_WINDOW_MS, edited and deleted messages as they show in the thread and the list, and
 * whether the team is online, asked while the view is shown.
 */
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Message, TypingEvent } from '#shared/api.js';
import { EVENT, MESSAGE_EDIT_WINDOW_MS, TYPING_SEND_INTERVAL_MS, TYPING_TTL_MS } from '#shared/constants.js';
import { ApiError, type ApiClient } from '../../widget/src/api/client.js';
import type { ChatViewProps } from '../../widget/src/chat/ChatView.js';
import { PRESENCE_POLL_MS } from '../../widget/src/chat/use-presence.js';
import { pickLocale } from '../../widget/src/i18n/locales.js';
import { addContainer, click, removeContainer, settle } from '../helpers/dom.js';
import { conversation, fakeApi, fakeLive, ME, message, mine, mountChat, type FakeApi } from './chat-fakes.js';

let container: HTMLElement;
beforeEach(() => {
  container = addContainer();
});
afterEach(() => {
  removeContainer(container);
  vi.useRealTimers();
});

const NOW = Date.parse('2026-05-01T12:00:00.000Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();
const ANA = { id: 'usr_ana', name: 'Ana', agent: true, avatarUrl: 'https://cdn.example/ana.png' };

type SupportApi = FakeApi & {
  typing: ReturnType<typeof vi.fn<NonNullable<ApiClient['typing']>>>;
  editMessage: ReturnType<typeof vi.fn<NonNullable<ApiClient['editMessage']>>>;
  deleteMessage: ReturnType<typeof vi.fn<NonNullable<ApiClient['deleteMessage']>>>;
  presence: ReturnType<typeof vi.fn<NonNullable<ApiClient['presence']>>>;
};

/** A fake API with the support routes; `messages` are cnv_1's, its last message the last of them. */
function supportApi(messages: Message[], online: boolean | null = null): SupportApi {
  const api = fakeApi([conversation('cnv_1', 'Billing', ago(3_600_000), messages.at(-1) ?? null)], { cnv_1: messages }) as SupportApi;
  api.typing = vi.fn(async () => undefined);
  api.editMessage = vi.fn(async (_id: string, messageId: string, text: string) => ({ ...messages.find((m) => m.id === messageId)!, text, editedAt: new Date().toISOString() }));
  api.deleteMessage = vi.fn(async () => undefined);
  api.presence = vi.fn(async () => {
    if (online === null) throw new ApiError(404, 'not_found', 'no presence');
    return { online };
  });
  return api;
}

const q = <E extends Element = HTMLElement>(selector: string) => container.querySelector<E & Element>(selector);
const all = (selector: string) => [...container.querySelectorAll<HTMLElement>(selector)];
const item = (id: string) => q(`li.msg[data-message-id="${id}"]`)!;
const buttonIn = (root: ParentNode, name: string) => [...root.querySelectorAll<HTMLButtonElement>('button')].find((b) => b.textContent?.trim() === name) ?? null;
const composer = () => q<HTMLTextAreaElement>('.composer textarea')!;

async function input(field: HTMLTextAreaElement, text: string) {
  await act(() => {
    field.value = text;
    field.dispatchEvent(new Event('input', { bubbles: true }));
  });
}
async function press(field: HTMLElement, key: string) {
  const event = new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true });
  await act(() => {
    field.dispatchEvent(event);
  });
  return event;
}

/** The chat with cnv_1 open (compact unless told). */
async function openThread(api: ApiClient, props: Partial<ChatViewProps> = {}) {
  await mountChat(container, { api, compact: true, ...props });
  await click(all('ul.conversations button')[0]!, 2);
}

describe('agents by name', () => {
  it('an agent is their display name and avatar; without a name, the team’s name (its initial), else "Support"', async () => {
    const messages = [
      message('msg_1', 'cnv_1', 'Hello, Ana here', ago(60_000), ANA),
      message('msg_2', 'cnv_1', 'And someone of the team', ago(50_000), { id: 'usr_x', name: null, agent: true }),
      message('msg_3', 'cnv_1', 'Bob, a user', ago(40_000)),
    ];
    await openThread(supportApi(messages), { home: { teamName: 'Acme', avatarUrl: null, greeting: '', replyTime: null } });
    expect(all('li.msg .author').map((a) => a.textContent)).toEqual(['Ana', 'Acme', 'Bob']);
    expect(item('msg_1').querySelector('img.face')?.getAttribute('src')).toBe('https://cdn.example/ana.png');
    expect(item('msg_1').querySelector('img.face')?.getAttribute('alt')).toBe('');
    expect(item('msg_2').querySelector('span.face')?.textContent).toBe('A');
    expect(item('msg_3').querySelector('.face')).toBeNull();

    // The list says who wrote last the same way.
    await click(q('.back')!);
    expect(q('ul.conversations .by')?.textContent).toBe('Bob:');

    removeContainer(container);
    container = addContainer();
    await openThread(supportApi(messages.slice(0, 2)));
    expect(all('li.msg .author').map((a) => a.textContent)).toEqual(['Ana', 'Support']);
    expect(item('msg_2').querySelector('span.face')?.textContent).toBe('S');
    await click(q('.back')!);
    expect(q('ul.conversations .by')?.textContent).toBe('Support:');
  });
});

describe('typing', () => {
  const typing = (fields: Partial<TypingEvent> = {}): TypingEvent => ({ conversationId: 'cnv_1', userId: 'usr_ana', name: 'Ana', agent: true, ttlMs: TYPING_TTL_MS, ...fields });
  const indicator = () => q('.thread .typer')?.textContent ?? null;

  it('shows "<name> is typing…" above the composer for the time the event gives, longer when renewed', async () => {
    const live = fakeLive();
    await openThread(supportApi([message('msg_1', 'cnv_1', 'Hi', ago(60_000), ANA)]), { live: live.live });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    await live.push(EVENT.typing, typing());
    expect(indicator()).toBe('Ana is typing…');
    expect(q('.thread .typer')?.nextElementSibling?.classList.contains('composer')).toBe(true);
    await act(() => {
      vi.advanceTimersByTime(TYPING_TTL_MS - 1000);
    });
    await live.push(EVENT.typing, typing()); // renewed
    await act(() => {
      vi.advanceTimersByTime(TYPING_TTL_MS - 1);
    });
    expect(indicator()).toBe('Ana is typing…');
    await act(() => {
      vi.advanceTimersByTime(1);
    });
    expect(indicator()).toBeNull();
  });

  it('goes when their message arrives; my own typing, and typing elsewhere, show nothing; no name is the team’s', async () => {
    const live = fakeLive();
    await openThread(supportApi([message('msg_1', 'cnv_1', 'Hi', ago(60_000), ANA)]), { live: live.live });
    await live.push(EVENT.typing, typing());
    await live.push(EVENT.messageCreated, { message: message('msg_2', 'cnv_1', 'Here is the answer', new Date().toISOString(), ANA) });
    expect(indicator()).toBeNull();
    await live.push(EVENT.typing, typing({ userId: ME.id, name: ME.name, agent: false }));
    await live.push(EVENT.typing, typing({ conversationId: 'cnv_2' }));
    expect(indicator()).toBeNull();
    await live.push(EVENT.typing, typing({ name: null }));
    expect(indicator()).toBe('Support is typing…');
  });

  it('in the reader’s language', async () => {
    const live = fakeLive();
    await openThread(supportApi([message('msg_1', 'cnv_1', 'Hi', ago(60_000), ANA)]), { live: live.live, t: pickLocale('fr', []).strings });
    await live.push(EVENT.typing, typing());
    expect(indicator()).toBe('Ana est en train d’écrire…');
  });

  it('sends typing while the user types, at most every TYPING_SEND_INTERVAL_MS, never for a draft, and a refusal changes nothing', async () => {
    const api = supportApi([message('msg_1', 'cnv_1', 'Hi', ago(60_000), ANA)]);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
    await mountChat(container, { api, compact: true });
    // The home's composer writes a conversation that does not exist yet.
    await input(composer(), 'A new question');
    expect(api.typing).not.toHaveBeenCalled();
    await click(all('ul.conversations button')[0]!, 2);
    api.typing.mockRejectedValueOnce(new ApiError(429, 'rate_limited', 'slow down'));
    await input(composer(), 'H');
    expect(api.typing.mock.calls).toEqual([['cnv_1']]);
    vi.setSystemTime(NOW + TYPING_SEND_INTERVAL_MS - 1);
    await input(composer(), 'He');
    await input(composer(), ''); // cleared: nothing to say
    expect(api.typing).toHaveBeenCalledTimes(1);
    vi.setSystemTime(NOW + TYPING_SEND_INTERVAL_MS);
    await input(composer(), 'Hel');
    expect(api.typing).toHaveBeenCalledTimes(2);
    await settle();
    expect(all('[role=alert]')).toEqual([]);
  });
});

describe('my own messages', () => {
  it('Edit changes one in place: Enter saves (marked edited), Escape cancels without a request and does not reach the panel', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
    const api = supportApi([message('msg_1', 'cnv_1', 'Hi', ago(120_000), ANA), mine('msg_2', 'cnv_1', 'My typo', ago(60_000))]);
    await openThread(api);
    expect(buttonIn(item('msg_1'), 'Edit')).toBeNull();
    await click(buttonIn(item('msg_2'), 'Edit')!);
    const field = q<HTMLTextAreaElement>('li.msg textarea[aria-label="Edit message"]')!;
    expect(field.value).toBe('My typo');
    expect(document.activeElement).toBe(field);
    const outside = vi.fn();
    container.addEventListener('keydown', outside);
    await press(field, 'Escape');
    expect(outside).not.toHaveBeenCalled();
    expect(q('li.msg textarea')).toBeNull();
    expect(item('msg_2').querySelector('.md')?.textContent).toBe('My typo');
    expect(document.activeElement).toBe(buttonIn(item('msg_2'), 'Edit'));

    await click(buttonIn(item('msg_2'), 'Edit')!);
    await input(q<HTMLTextAreaElement>('li.msg textarea')!, 'My text');
    await press(q('li.msg textarea')!, 'Enter');
    await settle();
    expect(api.editMessage.mock.calls).toEqual([['cnv_1', 'msg_2', 'My text']]);
    expect(item('msg_2').querySelector('.md')?.textContent).toBe('My text');
    expect(item('msg_2').querySelector('.was-edited')?.textContent).toBe(' · edited');
    expect(q('li.msg textarea')).toBeNull();
  });

  it('Delete asks first; Cancel keeps it; Delete leaves "Message deleted" in place and in the list', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
    const api = supportApi([mine('msg_2', 'cnv_1', 'Oops', ago(60_000))]);
    await openThread(api, { compact: false });
    await click(buttonIn(item('msg_2'), 'Delete')!);
    const question = item('msg_2').querySelector<HTMLElement>('.ask')!;
    expect(question.getAttribute('role')).toBe('alert');
    expect(question.textContent).toContain('Delete this message?');
    expect(document.activeElement).toBe(buttonIn(question, 'Cancel'));
    await click(buttonIn(question, 'Cancel')!);
    expect(item('msg_2').querySelector('.ask')).toBeNull();
    expect(api.deleteMessage).not.toHaveBeenCalled();

    await click(buttonIn(item('msg_2'), 'Delete')!);
    await click(buttonIn(item('msg_2').querySelector('.ask')!, 'Delete')!);
    expect(api.deleteMessage.mock.calls).toEqual([['cnv_1', 'msg_2']]);
    expect(item('msg_2').querySelector('.text em')?.textContent).toBe('Message deleted');
    expect(item('msg_2').querySelector('.md')).toBeNull();
    expect(buttonIn(item('msg_2'), 'Edit')).toBeNull();
    expect(q('ul.conversations .preview em')?.textContent).toBe('Message deleted');
  });

  it('only within MESSAGE_EDIT_WINDOW_MS of sending; a change the server refuses as message_locked says so', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
    const api = supportApi([mine('msg_old', 'cnv_1', 'Old', ago(MESSAGE_EDIT_WINDOW_MS)), mine('msg_new', 'cnv_1', 'New', ago(MESSAGE_EDIT_WINDOW_MS - 1000))]);
    await openThread(api);
    expect(buttonIn(item('msg_old'), 'Edit')).toBeNull();
    expect(buttonIn(item('msg_old'), 'Delete')).toBeNull();
    expect(buttonIn(item('msg_new'), 'Edit')).not.toBeNull();

    api.deleteMessage.mockRejectedValueOnce(new ApiError(403, 'message_locked', 'too late'));
    await click(buttonIn(item('msg_new'), 'Delete')!);
    await click(buttonIn(item('msg_new').querySelector('.ask')!, 'Delete')!);
    expect(item('msg_new').querySelector('.failed[role=alert]')?.textContent).toBe('This message can no longer be changed.');
    expect(item('msg_new').querySelector('.md')?.textContent).toBe('New');

    // The question stays until answered; an edit too long for a message keeps the field, with the reason.
    await click(buttonIn(item('msg_new').querySelector('.ask')!, 'Cancel')!);
    expect(item('msg_new').querySelector('.failed')).toBeNull();
    await click(buttonIn(item('msg_new'), 'Edit')!);
    api.editMessage.mockRejectedValueOnce(new ApiError(400, 'message_too_long', 'too long'));
    await input(q<HTMLTextAreaElement>('li.msg textarea')!, 'x'.repeat(10_001));
    await press(q('li.msg textarea')!, 'Enter');
    await settle();
    expect(item('msg_new').querySelector('.failed[role=alert]')?.textContent).toBe('A message may have at most 10,000 characters.');
    expect(q<HTMLTextAreaElement>('li.msg textarea')?.value).toBe('x'.repeat(10_001));
  });

  it('a viewer of a document room has no Edit or Delete', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
    const api = supportApi([mine('msg_1', 'cnv_doc', 'Mine', ago(1000))]);
    api.listMessages.mockResolvedValue({ messages: [mine('msg_1', 'cnv_doc', 'Mine', ago(1000))], hasMore: false });
    api.openDocument = vi.fn(async () => ({ access: 'viewer' as const, conversation: conversation('cnv_doc', 'doc-1', ago(5000)) }));
    await mountChat(container, { api, compact: true, documentId: 'doc-1' });
    await settle();
    expect(item('msg_1').querySelector('.md')?.textContent).toBe('Mine');
    expect(buttonIn(item('msg_1'), 'Edit')).toBeNull();
  });
});

describe('edited and deleted live', () => {
  it('message.updated replaces the text, marked edited; message.deleted shows "Message deleted", in the list too', async () => {
    const live = fakeLive();
    const first = message('msg_1', 'cnv_1', 'Teh answer', ago(60_000), ANA);
    await openThread(supportApi([first]), { live: live.live, compact: false });
    await live.push(EVENT.messageUpdated, { message: { ...first, text: 'The answer', editedAt: ago(1000) } });
    expect(item('msg_1').querySelector('.md')?.textContent).toBe('The answer');
    expect(item('msg_1').querySelector('.was-edited')?.textContent).toBe(' · edited');
    expect(q('ul.conversations .preview')?.textContent).toBe('The answer');
    await live.push(EVENT.messageDeleted, { message: { ...first, text: '', editedAt: ago(1000), deletedAt: ago(0) } });
    expect(item('msg_1').querySelector('.text em')?.textContent).toBe('Message deleted');
    expect(item('msg_1').querySelector('.was-edited')).toBeNull();
    expect(q('ul.conversations .preview em')?.textContent).toBe('Message deleted');
  });
});

describe('presence', () => {
  const home = { teamName: 'Acme', avatarUrl: null, greeting: '', replyTime: 'Within the hour', awayText: 'Back tomorrow' };

  it('online: the home and the thread’s head say "Online" beside the dot, and the reply time stays', async () => {
    await mountChat(container, { api: supportApi([], true), compact: true, home });
    expect(q('.hero .presence.on')?.textContent).toBe('Online');
    expect(q('.hero .reply')?.textContent).toBe('Within the hour');
    await click(all('ul.conversations button')[0]!, 2);
    expect(q('.thread .head .presence.on')?.textContent).toBe('Online');
  });

  it('away: the away text set, else the widget’s own, in the reader’s language; unknown: the reply time alone', async () => {
    await mountChat(container, { api: supportApi([], false), compact: true, home });
    expect(q('.hero .presence')?.textContent).toBe('Back tomorrow');
    expect(q('.hero .presence')?.classList.contains('on')).toBe(false);
    expect(q('.hero .reply')).toBeNull();
    await click(all('ul.conversations button')[0]!, 2);
    expect(q('.thread .head .presence')?.textContent).toBe('Back tomorrow');

    removeContainer(container);
    container = addContainer();
    await mountChat(container, { api: supportApi([], false), compact: true, t: pickLocale('ar', []).strings });
    expect(q('.hero .presence')?.textContent).toBe('نرد عادةً في غضون بضع ساعات');
    removeContainer(container);
    container = addContainer();
    await mountChat(container, { api: supportApi([], true), compact: true, t: pickLocale('fr', []).strings });
    expect(q('.hero .presence')?.textContent).toBe('En ligne');

    removeContainer(container);
    container = addContainer();
    await mountChat(container, { api: supportApi([], null), compact: true, home });
    expect(q('.presence')).toBeNull();
    expect(q('.hero .reply')?.textContent).toBe('Within the hour');
  });

  it('is asked when the view is shown and every PRESENCE_POLL_MS while it stays shown, never while hidden', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const api = supportApi([], true);
    await mountChat(container, { api, compact: true, visible: false });
    expect(api.presence).not.toHaveBeenCalled();
    await mountChat(container, { api, compact: true, visible: true });
    expect(api.presence).toHaveBeenCalledTimes(1);
    await act(() => {
      vi.advanceTimersByTime(PRESENCE_POLL_MS);
    });
    expect(api.presence).toHaveBeenCalledTimes(2);
    await mountChat(container, { api, compact: true, visible: false });
    await act(() => {
      vi.advanceTimersByTime(3 * PRESENCE_POLL_MS);
    });
    expect(api.presence).toHaveBeenCalledTimes(2);
    // Shown again: asked at once.
    await mountChat(container, { api, compact: true, visible: true });
    expect(api.presence).toHaveBeenCalledTimes(3);
  });
});
