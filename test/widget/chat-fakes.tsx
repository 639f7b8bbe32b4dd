/**
 * What the chat view's tests share: the signed-in user, conversations and messages as the server sends
 * them, a fake API client whose every method is a spy, a live event source the test pushes events into, and
 * a fake layout for the message list (happy-dom lays nothing out).
 */
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { vi } from 'vitest';
import type { ConversationList, ConversationSummary, Message, MessagePage, User } from '#shared/api.js';
import type { ApiClient } from '../../widget/src/api/client.js';
import { ChatView, type ChatViewProps } from '../../widget/src/chat/ChatView.js';
import { preloadThread } from '../../widget/src/chat/thread-loader.js';
import { en } from '../../widget/src/chat/strings.js';
import type { LiveSource } from '../../widget/src/chat/use-chat.js';
import { settle } from '../helpers/dom.js';
import { conversationFixture, messageFixture } from '../helpers/fixtures.js';

export const ME: User = {
  id: 'usr_me',
  externalId: 'me',
  email: null,
  name: 'Mia',
  avatarUrl: null,
  role: 'member',
  organizationId: 'default',
  createdAt: '2026-01-01T00:00:00.000Z',
};

/** A conversation in my list, read up to date unless `unreadCount` says otherwise. */
export const conversation = (id: string, title: string | null, createdAt: string, lastMessage: Message | null = null, unreadCount = 0): ConversationSummary => ({
  ...conversationFixture(id, { createdAt, lastMessage }),
  title,
  unreadCount,
  lastReadMessageId: null,
});

/** A message by Bob, unless `author` says otherwise. */
export const message = (id: string, conversationId: string, text: string, createdAt: string, author: Partial<Message['author']> = {}, clientMessageId: string | null = null): Message =>
  messageFixture(id, conversationId, text, createdAt, { type: 'user', id: 'usr_bob', name: 'Bob', ...author }, clientMessageId);

/** A message of mine. */
export const mine = (id: string, conversationId: string, text: string, createdAt: string, clientMessageId: string | null = null) =>
  message(id, conversationId, text, createdAt, { id: ME.id, name: ME.name }, clientMessageId);

export interface FakeApi extends ApiClient {
  listConversations: ReturnType<typeof vi.fn<ApiClient['listConversations']>>;
  createConversation: ReturnType<typeof vi.fn<ApiClient['createConversation']>>;
  listMessages: ReturnType<typeof vi.fn<ApiClient['listMessages']>>;
  postMessage: ReturnType<typeof vi.fn<ApiClient['postMessage']>>;
  markRead: ReturnType<typeof vi.fn<NonNullable<ApiClient['markRead']>>>;
}

/**
 * An API client answering `conversations` and each conversation's `pages` of messages; a created
 * conversation is `cnv_new`, titled by its first message, which it holds as its last message.
 */
export function fakeApi(conversations: ConversationSummary[] = [], pages: Record<string, Message[]> = {}): FakeApi {
  return {
    me: vi.fn(async () => ({ user: ME, session: { expiresAt: '2026-12-31T00:00:00.000Z' } })),
    listConversations: vi.fn(async (): Promise<ConversationList> => ({ conversations, nextCursor: null })),
    createConversation: vi.fn(async (body) => {
      const first = body?.message ? mine('msg_first', 'cnv_new', body.message.text, '2026-05-01T00:00:00.000Z', body.message.clientMessageId) : null;
      return { ...conversation('cnv_new', first ? first.text.split('\n')[0]! : null, '2026-05-01T00:00:00.000Z', first) };
    }),
    listMessages: vi.fn(async (id: string): Promise<MessagePage> => ({ messages: pages[id] ?? [], hasMore: false })),
    postMessage: vi.fn(async (conversationId: string, text: string, clientMessageId: string) => mine(`msg_${clientMessageId}`, conversationId, text, new Date().toISOString(), clientMessageId)),
    markRead: vi.fn(async () => ({ unreadCount: 0 })),
    logout: vi.fn(async () => undefined),
  };
}

/** A live source the test pushes events into; counts subscriptions so a leak would show. */
export function fakeLive() {
  const handlers = new Set<(type: string, data: unknown) => void>();
  const live: LiveSource = (onEvent) => {
    handlers.add(onEvent);
    return () => handlers.delete(onEvent);
  };
  return {
    live,
    handlers,
    async push(type: string, data: unknown) {
      await act(() => {
        for (const handler of handlers) handler(type, data);
      });
    },
  };
}

/** Renders (or re-renders with new props) a ChatView of ME in English into `container`. */
export async function mountChat(container: HTMLElement, props: Partial<ChatViewProps> & { api: ApiClient }) {
  // The open conversation's view is a module the chat loads after it: these tests see it from the start.
  await preloadThread();
  await act(() => {
    render(<ChatView me={ME} live={fakeLive().live} t={en} {...props} />, container);
  });
  await settle();
}

/**
 * A layout for the message lists (`ol.messages`): every item 100 px tall, the list 300 px high, scrollTop
 * kept within what can be scrolled. Returns the function that takes it away again.
 */
export function fakeListLayout(): () => void {
  const proto = HTMLElement.prototype;
  const saved = (['scrollHeight', 'clientHeight', 'scrollTop'] as const).map((name) => [name, Object.getOwnPropertyDescriptor(proto, name)] as const);
  const tops = new WeakMap<Element, number>();
  const isList = (el: Element) => el.classList.contains('messages');
  const height = (el: Element) => el.querySelectorAll(':scope > li').length * 100;
  Object.defineProperty(proto, 'scrollHeight', { configurable: true, get: function (this: HTMLElement) { return isList(this) ? height(this) : 0; } });
  Object.defineProperty(proto, 'clientHeight', { configurable: true, get: function (this: HTMLElement) { return isList(this) ? 300 : 0; } });
  Object.defineProperty(proto, 'scrollTop', {
    configurable: true,
    get: function (this: HTMLElement) {
      return tops.get(this) ?? 0;
    },
    set: function (this: HTMLElement, value: number) {
      tops.set(this, isList(this) ? Math.max(0, Math.min(value, height(this) - 300)) : value);
    },
  });
  return () => {
    for (const [name, descriptor] of saved) {
      if (descriptor) Object.defineProperty(proto, name, descriptor);
      else delete (proto as unknown as Record<string, unknown>)[name];
    }
  };
}
