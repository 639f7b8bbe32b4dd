/**
 * The admin panel's test harness for the admin-*.test.tsx files: a stubbed `fetch` answering routes by
 * `"METHOD /path"` (every call recorded), a fake EventSource the test pushes events into, mounting the panel
 * at a hash, and finding controls by what a person reads (a button's name, a field's label).
 */
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, vi } from 'vitest';
import type { Message, User } from '#shared/api.js';
import type { InboxConversation, Profile } from '../../widget/src/admin/api.js';
import { App } from '../../widget/src/admin/App.js';
import { addContainer, removeContainer, settle } from '../helpers/dom.js';
import { conversationFixture, messageFixture } from '../helpers/fixtures.js';

export const T0 = '2026-03-01T10:00:00.000Z';
export const ADMIN: User = { id: 'usr_ada', externalId: null, email: 'ada@example.com', name: 'Ada Admin', avatarUrl: null, role: 'owner', organizationId: 'default', createdAt: T0 };
export const PROFILE: Profile = { id: ADMIN.id, name: ADMIN.name, email: ADMIN.email, avatarUrl: null, role: 'owner', preferences: { sound: false, agentEmails: true } };
export const COUNTS = { unassigned: 2, mine: 1, open: 3, snoozed: 1, resolved: 4, all: 8 };

/** A message by Alice, unless told. */
export const message = (id: string, conversationId: string, text: string, createdAt: string, author: Parameters<typeof messageFixture>[4] = { type: 'user', id: 'usr_alice', name: 'Alice' }): Message =>
  messageFixture(id, conversationId, text, createdAt, author);

export const conversation = (id: string, lastMessage: Message | null, fields: Partial<InboxConversation> = {}): InboxConversation => ({
  ...conversationFixture(id, { title: 'Support', createdAt: T0, lastMessage }),
  unanswered: false,
  participants: [{ id: 'usr_alice', name: 'Alice' }],
  ...fields,
});

export interface Call {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
}
export type Reply = { status: number; body?: unknown };
export type Handler = (call: Call) => Reply | Promise<Reply>;
export const ok = (body: unknown): Reply => ({ status: 200, body });
export const fail = (status: number, code: string): Reply => ({ status, body: { error: { code, message: `${code} (server text)` } } });

export let calls: Call[] = [];
export let routes = new Map<string, Handler>();

/** Routes as `"METHOD /path"` over defaults for a signed-in owner with an empty inbox. */
export function serve(overrides: Record<string, Handler> = {}) {
  routes = new Map<string, Handler>(
    Object.entries({
      'GET /api/v1/me': () => ok({ user: ADMIN, session: { expiresAt: '2026-12-31T00:00:00.000Z' } }),
      'GET /api/v1/admin/inbox/counts': () => ok({ waiting: 0 }),
      'GET /api/v1/admin/overview': () => ok({ seats: { used: 1, limit: 5 }, last24h: { accountsCreated: 0, signIns: {} } }),
      'GET /api/v1/admin/users': () => ok({ users: [], nextCursor: null, total: 0 }),
      'GET /api/v1/admin/conversations': () => ok({ conversations: [], nextCursor: null, counts: COUNTS }),
      'GET /api/v1/admin/profile': () => ok({ profile: PROFILE }),
      'GET /api/v1/admin/canned-replies': () => ok({ cannedReplies: [] }),
      ...overrides,
    }),
  );
  calls = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: string, init: RequestInit = {}) => {
      const url = new URL(input, 'https://parley.example');
      const body = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
      const call: Call = { method: init.method ?? 'GET', path: url.pathname, query: url.searchParams, body };
      calls.push(call);
      const handler = routes.get(`${call.method} ${call.path}`) ?? sideRoute(call);
      const reply = handler ? await handler(call) : fail(404, 'not_found');
      return reply.body === undefined ? new Response(null, { status: reply.status }) : new Response(JSON.stringify(reply.body), { status: reply.status, headers: { 'content-type': 'application/json' } });
    }),
  );
}

/** Any conversation's customer (none), read marker and typing, unless a test says otherwise. */
function sideRoute(call: Call): Handler | undefined {
  const side = /^\/api\/v1\/admin\/conversations\/[^/]+\/(customer|read|typing|messages)$/.exec(call.path)?.[1];
  if (call.method === 'GET' && side === 'customer') return () => ok({ customer: null });
  if (call.method === 'GET' && side === 'messages') return () => ok({ messages: [], hasMore: false });
  if (call.method === 'POST' && side === 'read') return () => ok({ unreadCount: 0 });
  if (call.method === 'POST' && side === 'typing') return () => ({ status: 204 });
  return undefined;
}

export const callsTo = (method: string, path: string) => calls.filter((c) => c.method === method && c.path === path);

/** An EventSource the test pushes named events into. */
export class FakeEventSource extends EventTarget {
  static readonly CLOSED = 2;
  static instances: FakeEventSource[] = [];
  readyState = 1;
  constructor(readonly url: string) {
    super();
    FakeEventSource.instances.push(this);
  }
  close() {
    this.readyState = FakeEventSource.CLOSED;
  }
  async emit(type: string, data: unknown) {
    await act(() => {
      this.dispatchEvent(new MessageEvent(type, { data: JSON.stringify(data) }));
    });
    await settle();
  }
}
/** The one open stream. */
export const stream = () => FakeEventSource.instances.find((s) => s.readyState !== FakeEventSource.CLOSED)!;

export function dom(container: HTMLElement) {
  const text = (el: Element | null | undefined) => el?.textContent?.replace(/\s+/g, ' ').trim() ?? null;
  const q = <E extends Element = HTMLElement>(selector: string) => container.querySelector<E>(selector);
  const all = <E extends Element = HTMLElement>(selector: string) => [...container.querySelectorAll<E>(selector)];
  const name = (el: Element) => el.getAttribute('aria-label') ?? text(el);
  function button(label: string, scope: ParentNode = container): HTMLButtonElement {
    const found = [...scope.querySelectorAll<HTMLButtonElement>('button')].find((b) => name(b) === label);
    if (!found) throw new Error(`no button "${label}"; have ${[...scope.querySelectorAll('button')].map(name).join(' | ')}`);
    return found;
  }
  function control<E extends HTMLElement = HTMLInputElement>(label: string): E {
    const l = all('label').find((x) => text(x) === label);
    const found = l ? (l.getAttribute('for') ? container.querySelector<E>(`#${CSS.escape(l.getAttribute('for')!)}`) : l.querySelector<E>('input, select, textarea')) : q<E>(`[aria-label="${label}"]`);
    if (!found) throw new Error(`no control "${label}"`);
    return found;
  }
  return {
    text,
    q,
    all,
    button,
    control,
    alerts: () => all('[role=alert]').map(text),
    statuses: () => all('[role=status]').map(text).filter(Boolean),
    async mount(hash: string) {
      history.replaceState(null, '', hash);
      await act(() => {
        render(<App />, container);
      });
      await settle();
      await settle();
    },
  };
}

export async function input(element: HTMLInputElement | HTMLTextAreaElement, value: string) {
  await act(() => {
    element.value = value;
    element.dispatchEvent(new Event('input', { bubbles: true }));
  });
  await settle();
}

export async function choose(element: HTMLSelectElement, value: string) {
  await act(() => {
    element.value = value;
    element.dispatchEvent(new Event('change', { bubbles: true }));
  });
  await settle();
  await settle();
}

export async function press(element: HTMLElement, init: KeyboardEventInit) {
  let event!: KeyboardEvent;
  await act(() => {
    event = new KeyboardEvent('keydown', { bubbles: true, cancelable: true, ...init });
    element.dispatchEvent(event);
  });
  await settle();
  await settle();
  return event;
}

/** Waits until `check` passes (or throws its last failure after `timeout` ms). */
export async function until(check: () => void, timeout = 2000) {
  const start = performance.now();
  for (;;) {
    try {
      check();
      return;
    } catch (error) {
      if (performance.now() - start > timeout) throw error;
      await act(async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
      });
    }
  }
}

/**
 * A page for each test of the admin panel: a fresh container and its queries (handed to `use`), a fake
 * EventSource, and after the test everything undone (mocks, globals, the hash).
 */
export function withAdminPage(use: (page: { container: HTMLElement; d: ReturnType<typeof dom> }) => void): void {
  let container: HTMLElement;
  beforeEach(() => {
    container = addContainer();
    use({ container, d: dom(container) });
    FakeEventSource.instances = [];
    vi.stubGlobal('EventSource', FakeEventSource);
  });
  afterEach(() => {
    removeContainer(container);
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
    history.replaceState(null, '', '#');
  });
}
