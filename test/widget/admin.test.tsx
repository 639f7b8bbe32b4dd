// @vitest-environment happy-dom
/**
 * The admin panel (widget/src/admin) against a stubbed `fetch` answering the shapes of docs/admin-api.md and
 * a fake EventSource: the signed-out and admins-only states, every page's data, and that each action calls
 * the documented route with the documented body and shows what the server answered.
 */
import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Message, User } from '#shared/api.js';
import { EVENT } from '#shared/constants.js';
import type { AdminApiKey, AdminUser, AuditEntry, InboxConversation, Profile, Setting, SigningKey, TokenApiCredential } from '../../widget/src/admin/api.js';
import { App } from '../../widget/src/admin/App.js';
import { addContainer, click as clickOnce, removeContainer, settle } from '../helpers/dom.js';
import { conversationFixture, messageFixture } from '../helpers/fixtures.js';

const T0 = '2026-03-01T10:00:00.000Z';

const ADMIN: User = { id: 'usr_ada', externalId: null, email: 'ada@example.com', name: 'Ada Admin', avatarUrl: null, role: 'owner', organizationId: 'default', createdAt: T0 };

function user(id: string, name: string, extra: Partial<AdminUser> = {}): AdminUser {
  return {
    id,
    externalId: name.toLowerCase(),
    email: `${name.toLowerCase()}@example.com`,
    name,
    avatarUrl: null,
    role: 'member',
    organizationId: 'default',
    createdAt: T0,
    active: true,
    createdVia: 'external_token',
    lastSeenAt: null,
    ...extra,
  };
}

/** A message by Alice, unless told. */
const message = (id: string, conversationId: string, text: string, createdAt: string, author: Parameters<typeof messageFixture>[4] = { type: 'user', id: 'usr_alice', name: 'Alice' }): Message =>
  messageFixture(id, conversationId, text, createdAt, author);

const conversation = (id: string, lastMessage: Message | null, unanswered: boolean, participants: InboxConversation['participants']): InboxConversation => ({
  ...conversationFixture(id, { title: 'Support', createdAt: T0, lastMessage }),
  unanswered,
  participants,
});

const PROFILE: Profile = { id: ADMIN.id, name: ADMIN.name, email: ADMIN.email, avatarUrl: null, role: 'owner', preferences: { sound: false, agentEmails: true } };

const SETTINGS: Setting[] = [
  { name: 'seatLimit', variable: 'PARLEY_SEAT_LIMIT', value: 5, locked: false },
  { name: 'allowedOrigins', variable: 'PARLEY_ALLOWED_ORIGINS', value: ['https://app.example.com'], locked: true },
  { name: 'tokenMaxLifetime', variable: 'PARLEY_TOKEN_MAX_LIFETIME', value: '7d', locked: false },
  { name: 'externalAuthEnabled', variable: null, value: true, locked: false },
];

const KEY: SigningKey = { kid: 'k_3f9c0a1b2c4d', alg: 'HS256', source: 'database', createdAt: T0, lastUsedAt: null, retiredAt: null };
const ENV_KEY: SigningKey = { kid: 'env', alg: 'HS256', source: 'environment', createdAt: T0, lastUsedAt: T0, retiredAt: null };

// --- a fake server ---------------------------------------------------------------------------------------

interface Call {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  credentials: RequestCredentials | undefined;
}
type Reply = { status: number; body?: unknown };
type Handler = (call: Call) => Reply | Promise<Reply>;

const ok = (body: unknown): Reply => ({ status: 200, body });
const fail = (status: number, code: string): Reply => ({ status, body: { error: { code, message: `${code} (server text)` } } });

let calls: Call[];
let routes: Map<string, Handler>;

/** Routes as `"METHOD /path"`; the defaults answer a signed-in owner and the documented example bodies. */
function serve(overrides: Record<string, Handler> = {}) {
  routes = new Map<string, Handler>(
    Object.entries({
      'GET /api/v1/me': () => ok({ user: ADMIN, session: { expiresAt: '2026-12-31T00:00:00.000Z' } }),
      'POST /api/v1/auth/logout': () => ({ status: 204 }),
      'GET /api/v1/admin/overview': () => ok({ seats: { used: 3, limit: 5 }, last24h: { accountsCreated: 2, signIns: { token_expired: 1, ok: 10 } } }),
      'GET /api/v1/admin/settings': () => ok({ settings: SETTINGS }),
      'GET /api/v1/admin/keys': () => ok({ enabled: true, keys: [ENV_KEY, KEY] }),
      'GET /api/v1/admin/users': () => ok({ users: [], nextCursor: null, total: 0 }),
      'GET /api/v1/admin/conversations': () => ok({ conversations: [], nextCursor: null }),
      'GET /api/v1/admin/profile': () => ok({ profile: PROFILE }),
      'GET /api/v1/admin/canned-replies': () => ok({ cannedReplies: [] }),
      'GET /api/v1/admin/audit': () => ok({ entries: [], nextCursor: null }),
      ...overrides,
    }),
  );
  calls = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (input: string, init: RequestInit = {}) => {
      const url = new URL(input, 'https://parley.example');
      const body = typeof init.body === 'string' ? JSON.parse(init.body) : undefined;
      const call: Call = { method: init.method ?? 'GET', path: url.pathname, query: url.searchParams, body, credentials: init.credentials };
      calls.push(call);
      const handler = routes.get(`${call.method} ${call.path}`) ?? inboxDefault(call);
      const reply = handler ? await handler(call) : fail(404, 'not_found');
      return reply.body === undefined ? new Response(null, { status: reply.status }) : new Response(JSON.stringify(reply.body), { status: reply.status, headers: { 'content-type': 'application/json' } });
    }),
  );
}

/** What any conversation's side routes answer unless a test says otherwise: no customer, reads and typing accepted. */
function inboxDefault(call: Call): Handler | undefined {
  if (call.method === 'GET' && /^\/api\/v1\/admin\/conversations\/[^/]+\/customer$/.test(call.path)) return () => ok({ customer: null });
  if (call.method === 'POST' && /^\/api\/v1\/admin\/conversations\/[^/]+\/read$/.test(call.path)) return () => ok({ unreadCount: 0 });
  if (call.method === 'POST' && /^\/api\/v1\/admin\/conversations\/[^/]+\/typing$/.test(call.path)) return () => ({ status: 204 });
  return undefined;
}

const callsTo = (method: string, path: string) => calls.filter((c) => c.method === method && c.path === path);

/** An EventSource the test pushes named events into. */
class FakeEventSource extends EventTarget {
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

// --- rendering and interaction ---------------------------------------------------------------------------

let container: HTMLElement;
beforeEach(() => {
  container = addContainer();
  FakeEventSource.instances = [];
  vi.stubGlobal('EventSource', FakeEventSource);
});
afterEach(() => {
  // Every request rides on the panel's session cookie, and on nothing else.
  expect(calls.filter((c) => c.credentials !== 'same-origin')).toEqual([]);
  removeContainer(container);
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  history.replaceState(null, '', '#');
});

async function until(check: () => void, timeout = 2000) {
  const start = Date.now();
  for (;;) {
    try {
      check();
      return;
    } catch (error) {
      if (Date.now() - start > timeout) throw error;
      await act(async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
      });
    }
  }
}

async function mount(hash: string) {
  history.replaceState(null, '', hash);
  await act(() => {
    render(<App />, container);
  });
  await settle();
  await settle();
}

async function go(hash: string) {
  await act(() => {
    location.hash = hash;
  });
  await settle();
  await settle();
}

const text = (el: Element | null | undefined) => el?.textContent?.replace(/\s+/g, ' ').trim() ?? null;
const q = <E extends Element = HTMLElement>(selector: string) => container.querySelector<E>(selector);
const all = <E extends Element = HTMLElement>(selector: string) => [...container.querySelectorAll<E>(selector)];
const alerts = () => all('[role=alert]').map(text);
const statuses = () => all('[role=status]').map(text).filter(Boolean);

function button(name: string, scope: ParentNode = container): HTMLButtonElement {
  const found = [...scope.querySelectorAll<HTMLButtonElement>('button')].find((b) => (b.getAttribute('aria-label') ?? text(b)) === name);
  if (!found) throw new Error(`no button "${name}"; have ${[...scope.querySelectorAll('button')].map((b) => b.getAttribute('aria-label') ?? text(b)).join(' | ')}`);
  return found;
}

/** The form control a visible <label> (or aria-label) names. */
function control<E extends HTMLElement = HTMLInputElement>(name: string): E {
  const label = all('label').find((l) => text(l) === name);
  const found = label ? container.querySelector<E>(`#${label.getAttribute('for')}`) : q<E>(`[aria-label="${name}"]`);
  if (!found) throw new Error(`no control "${name}"`);
  return found;
}

/** Clicks and lets what follows settle twice. */
const click = (element: HTMLElement) => clickOnce(element, 2);

async function input(element: HTMLInputElement | HTMLTextAreaElement, value: string) {
  await act(() => {
    element.value = value;
    element.dispatchEvent(new Event('input', { bubbles: true }));
  });
}

async function choose(element: HTMLSelectElement, value: string) {
  await act(() => {
    element.value = value;
    element.dispatchEvent(new Event('change', { bubbles: true }));
  });
  await settle();
  await settle();
}

async function press(element: HTMLElement, init: KeyboardEventInit) {
  let event!: KeyboardEvent;
  await act(() => {
    event = new KeyboardEvent('keydown', { bubbles: true, cancelable: true, ...init });
    element.dispatchEvent(event);
  });
  await settle();
  await settle();
  return event;
}

const rows = (selector = 'table tbody tr') => all(selector).map((tr) => [...tr.children].map(text));

// --- the tests -------------------------------------------------------------------------------------------

describe('signing in', () => {
  it('without a session says how to sign in, and shows no panel', async () => {
    serve({ 'GET /api/v1/me': () => fail(401, 'session_missing') });
    await mount('#/overview');
    expect(text(q('main h1'))).toBe('Parley admin');
    expect(text(q('main p'))).toBe(
      'You are not signed in. Use the one-time link from the server log, or npm run parley -- admin sign-in-link --email ….',
    );
    expect(text(q('code'))).toBe('npm run parley -- admin sign-in-link --email …');
    expect(q('nav')).toBeNull();
    expect(callsTo('GET', '/api/v1/admin/overview')).toHaveLength(0);
  });

  it('a member sees "Administrators only." and no admin data is asked for', async () => {
    serve({ 'GET /api/v1/me': () => ok({ user: { ...ADMIN, role: 'member' }, session: { expiresAt: T0 } }) });
    await mount('#/users');
    expect(alerts()).toEqual(['Administrators only.']);
    expect(q('nav')).toBeNull();
    expect(calls.map((c) => c.path)).toEqual(['/api/v1/me']);
  });

  it('an admin route answering 403 admin_required switches the panel to "Administrators only."', async () => {
    serve({ 'GET /api/v1/admin/overview': () => fail(403, 'admin_required') });
    await mount('#/overview');
    expect(alerts()).toEqual(['Administrators only.']);
    expect(q('nav')).toBeNull();
  });

  it('a session that ends mid-use (401 on an admin route) shows the signed-out explanation', async () => {
    serve({ 'GET /api/v1/admin/users': () => fail(401, 'session_invalid') });
    await mount('#/users');
    expect(text(q('[role=status]'))).toBe(
      'You are not signed in. Use the one-time link from the server log, or npm run parley -- admin sign-in-link --email ….',
    );
  });

  it('an administrator deactivated mid-use (403 user_deactivated) is signed out, not told that Parley is unreachable', async () => {
    serve({ 'GET /api/v1/admin/users': () => fail(403, 'user_deactivated') });
    await mount('#/users');
    expect(text(q('[role=status]'))).toBe(
      'You are not signed in. Use the one-time link from the server log, or npm run parley -- admin sign-in-link --email ….',
    );
    expect(q('nav')).toBeNull();
  });
});

describe('navigation', () => {
  it('shows the admin’s name, real links, and aria-current on the page shown', async () => {
    serve();
    await mount('#/settings');
    expect(text(q('[data-testid=admin-name]'))).toBe('Ada Admin');
    const links = all<HTMLAnchorElement>('nav[aria-label="Admin sections"] a');
    expect(links.map((a) => [text(a), a.getAttribute('href')])).toEqual([
      ['Overview', '#/overview'],
      ['External auth', '#/external-auth'],
      ['Users', '#/users'],
      ['Settings', '#/settings'],
      ['API keys', '#/api-keys'],
      ['Token API', '#/token-api'],
      ['Webhooks', '#/webhooks'],
      ['Inbox', '#/inbox'],
      ['Canned replies', '#/canned-replies'],
      ['Assistant', '#/assistant'],
      ['Audit log', '#/audit'],
      ['Profile', '#/profile'],
    ]);
    expect(links.filter((a) => a.getAttribute('aria-current') === 'page').map(text)).toEqual(['Settings']);
    expect(text(q('h1'))).toBe('Settings');

    await click(links[10]!);
    expect(location.hash).toBe('#/audit');
    expect(text(q('h1'))).toBe('Audit log');
    expect(all('nav a[aria-current=page]').map(text)).toEqual(['Audit log']);
    expect(document.activeElement).toBe(q('h1'));
  });

  it('signing out posts the logout with the cookie and shows the signed-out state', async () => {
    serve();
    await mount('#/overview');
    await click(button('Sign out'));
    expect(callsTo('POST', '/api/v1/auth/logout')).toHaveLength(1);
    expect(text(q('[role=status]'))).toBe(
      'You have signed out. To sign in again, use the one-time link from the server log, or npm run parley -- admin sign-in-link --email ….',
    );
    expect(q('nav')).toBeNull();
  });
});

describe('overview', () => {
  it('shows seats used of the limit with a labelled meter, and the last 24 hours by outcome', async () => {
    serve();
    await mount('#/overview');
    expect(text(q('[data-testid=seats]'))).toBe('3 of 5 seats used');
    const meter = q<HTMLMeterElement>('meter')!;
    expect(meter.getAttribute('aria-label')).toBe('Seats used');
    expect([meter.getAttribute('value'), meter.getAttribute('max')]).toEqual(['3', '5']);
    expect(text(q('[data-testid=accounts-created]'))).toBe('2 accounts created');
    expect(text(q('caption'))).toBe('Sign-in attempts by outcome');
    expect(rows('table thead tr, table tbody tr, table tfoot tr')).toEqual([
      ['Outcome', 'Attempts'],
      ['ok', '10'],
      ['token_expired', '1'],
      ['Total', '11'],
    ]);
  });
});

describe('external auth', () => {
  const examples = { node: 'console.log("node k_new")', python: 'print("python k_new")', php: '<?php echo "php";', go: 'package main' };

  it('creating a key shows its secret once, with Copy and a warning, and forgets it when the admin leaves the page', async () => {
    const created: SigningKey = { ...KEY, kid: 'k_new000000001' };
    let keys = [ENV_KEY, KEY];
    serve({
      'GET /api/v1/admin/keys': () => ok({ enabled: true, keys }),
      'POST /api/v1/admin/keys': () => {
        keys = [...keys, created];
        return { status: 201, body: { kid: created.kid, secret: 's3cr3t-shown-once' } };
      },
      'GET /api/v1/admin/keys/k_new000000001/examples': () => ok({ examples }),
      'GET /api/v1/admin/keys/env/examples': () => ok({ examples: { ...examples, node: 'env example' } }),
    });
    const writeText = vi.spyOn(navigator.clipboard, 'writeText').mockResolvedValue(undefined);
    await mount('#/external-auth');
    expect(rows()).toEqual([
      ['env', 'HS256', 'Environment', expect.any(String), expect.any(String), 'Active', 'Examples'],
      ['k_3f9c0a1b2c4d', 'HS256', 'Database', expect.any(String), 'Never', 'Active', 'Examples Retire'],
    ]);

    await click(button('Create key'));
    expect(callsTo('POST', '/api/v1/admin/keys')).toEqual([expect.objectContaining({ body: undefined })]);
    const secret = control('Secret of key k_new000000001');
    expect(secret.value).toBe('s3cr3t-shown-once');
    expect(secret.readOnly).toBe(true);
    expect(text(q('.secret .warning'))).toBe(
      'Copy this secret now: it will not be shown again. Keep it on your server only, for example in the PARLEY_SECRET environment variable the examples below read.',
    );
    expect(statuses()).toContain('Key k_new000000001 created.');
    expect(rows().map((r) => r[0])).toEqual(['env', 'k_3f9c0a1b2c4d', 'k_new000000001']);

    await click(button('Copy the secret'));
    expect(writeText).toHaveBeenCalledWith('s3cr3t-shown-once');
    expect(statuses()).toContain('Copied.');

    // The new key's examples are shown, as text, in tabs.
    expect(text(q('#examples-heading'))).toBe('Signing examples for k_new000000001');
    expect(all('[role=tab]').map((t) => [text(t), t.getAttribute('aria-selected')])).toEqual([
      ['Node', 'true'],
      ['Python', 'false'],
      ['PHP', 'false'],
      ['Go', 'false'],
    ]);
    expect(q('[role=tabpanel] pre code')?.textContent).toBe('console.log("node k_new")');
    await click(button('PHP'));
    expect(q('[role=tabpanel] pre code')?.textContent).toBe('<?php echo "php";');
    expect(q('[role=tabpanel] pre code')?.children).toHaveLength(0);
    await press(q('[role=tab][aria-selected=true]')!, { key: 'ArrowRight' });
    expect(q('[role=tabpanel] pre code')?.textContent).toBe('package main');
    expect(document.activeElement?.textContent).toBe('Go');

    await go('#/users');
    await go('#/external-auth');
    expect(q('#new-secret')).toBeNull();
    expect(container.textContent).not.toContain('s3cr3t-shown-once');
    expect(rows().map((r) => r[0])).toEqual(['env', 'k_3f9c0a1b2c4d', 'k_new000000001']);
  });

  it('copying without clipboard access says so instead of failing silently', async () => {
    serve({ 'POST /api/v1/admin/keys': () => ({ status: 201, body: { kid: 'k_x', secret: 'abc' } }), 'GET /api/v1/admin/keys/k_x/examples': () => ok({ examples }) });
    vi.spyOn(navigator.clipboard, 'writeText').mockRejectedValue(new Error('denied'));
    await mount('#/external-auth');
    await click(button('Create key'));
    await click(button('Copy the secret'));
    expect(alerts()).toContain('Could not copy: select the text and copy it by hand.');
  });

  it('retiring asks first, then posts the retire route and shows the key retired', async () => {
    serve({
      'POST /api/v1/admin/keys/k_3f9c0a1b2c4d/retire': () => ok({ key: { ...KEY, retiredAt: T0 } }),
      'GET /api/v1/admin/keys/env/examples': () => ok({ examples }),
    });
    await mount('#/external-auth');
    await click(button('Retire k_3f9c0a1b2c4d'));
    expect(callsTo('POST', '/api/v1/admin/keys/k_3f9c0a1b2c4d/retire')).toHaveLength(0);
    expect(text(q('.confirm'))).toBe('Retire k_3f9c0a1b2c4d? Tokens signed with it stop working. Retire Cancel');
    expect(document.activeElement?.textContent).toBe('Cancel');
    await click(button('Retire', q('.confirm')!));
    expect(callsTo('POST', '/api/v1/admin/keys/k_3f9c0a1b2c4d/retire')).toHaveLength(1);
    expect(rows()[1]).toEqual(['k_3f9c0a1b2c4d', 'HS256', 'Database', expect.any(String), 'Never', 'Retired', '']);
    expect(statuses()).toContain('Key k_3f9c0a1b2c4d retired.');
  });

  it('the switch patches externalAuthEnabled, and is disabled with its reason when locked', async () => {
    serve({
      'PATCH /api/v1/admin/settings': (call) => ok({ settings: SETTINGS.map((s) => (s.name === 'externalAuthEnabled' ? { ...s, value: (call.body as { externalAuthEnabled: boolean }).externalAuthEnabled } : s)) }),
      'GET /api/v1/admin/keys/env/examples': () => ok({ examples }),
    });
    await mount('#/external-auth');
    const toggle = control('External auth enabled');
    expect(toggle.checked).toBe(true);
    await click(toggle);
    expect(callsTo('PATCH', '/api/v1/admin/settings').map((c) => c.body)).toEqual([{ externalAuthEnabled: false }]);
    expect(control('External auth enabled').checked).toBe(false);
    expect(statuses()).toContain('External auth is off.');

    render(null, container);
    serve({
      'GET /api/v1/admin/settings': () => ok({ settings: SETTINGS.map((s) => (s.name === 'externalAuthEnabled' ? { ...s, variable: 'PARLEY_EXTERNAL_AUTH_ENABLED', locked: true } : s)) }),
      'GET /api/v1/admin/keys/env/examples': () => ok({ examples }),
    });
    await mount('#/external-auth');
    const locked = control('External auth enabled');
    expect(locked.disabled).toBe(true);
    expect(text(container.querySelector(`#${locked.getAttribute('aria-describedby')}`))).toBe('Set by PARLEY_EXTERNAL_AUTH_ENABLED in the environment.');
  });
});

describe('users', () => {
  const alice = user('usr_alice', 'Alice', { lastSeenAt: T0 });
  const bob = user('usr_bob', 'Bob', { active: false, createdVia: 'admin', role: 'admin' });

  it('lists users with how each was created, role and state, and N total', async () => {
    serve({ 'GET /api/v1/admin/users': () => ok({ users: [alice, bob], nextCursor: null, total: 2 }) });
    await mount('#/users');
    expect(rows('table thead tr')).toEqual([['Name', 'Email', 'External ID', 'Created via', 'Created', 'Last seen', 'Role', 'Status', 'Parley ID', 'Actions']]);
    const [a, b] = rows();
    expect([a![0], a![1], a![2], a![3], a![7], a![8], a![9]]).toEqual(['Alice', 'alice@example.com', 'alice', 'External token', 'Active', 'usr_alice', 'Export data Deactivate Delete']);
    expect([b![0], b![3], b![5], b![7], b![9]]).toEqual(['Bob', 'Admin panel', 'Never', 'Deactivated', 'Export data Reactivate Delete']);
    expect(control<HTMLSelectElement>('Role of Bob').value).toBe('admin');
    expect(text(q('[data-testid=user-total]'))).toBe('2 total');
  });

  it('search is debounced and sends q; the rows are the server’s answer', async () => {
    serve({
      'GET /api/v1/admin/users': (call) =>
        ok(
          call.query.get('q') === 'ali'
            ? { users: [alice], nextCursor: null, total: 1 }
            : call.query.has('q')
              ? { users: [], nextCursor: null, total: 0 }
              : { users: [alice, bob], nextCursor: null, total: 2 },
        ),
    });
    await mount('#/users');
    expect(callsTo('GET', '/api/v1/admin/users').map((c) => c.query.toString())).toEqual(['']);
    const search = control('Search');
    await input(search, 'a');
    await input(search, 'al');
    await input(search, 'ali');
    expect(callsTo('GET', '/api/v1/admin/users')).toHaveLength(1);
    await until(() => expect(rows().map((r) => r[0])).toEqual(['Alice']));
    expect(callsTo('GET', '/api/v1/admin/users').map((c) => c.query.toString())).toEqual(['', 'q=ali']);
    expect(text(q('[data-testid=user-total]'))).toBe('1 total');

    await input(search, 'zed');
    await until(() => expect(text(q('p.empty'))).toBe('No users match “zed”.'));
    expect(q('table')).toBeNull();
    expect(text(q('[data-testid=user-total]'))).toBe('0 total');
  });

  it('"Load more" asks for the next cursor and appends', async () => {
    serve({
      'GET /api/v1/admin/users': (call) =>
        ok(call.query.get('cursor') === 'c2' ? { users: [bob], nextCursor: null, total: 2 } : { users: [alice], nextCursor: 'c2', total: 2 }),
    });
    await mount('#/users');
    expect(rows().map((r) => r[0])).toEqual(['Alice']);
    await click(button('Load more'));
    expect(callsTo('GET', '/api/v1/admin/users').at(-1)!.query.get('cursor')).toBe('c2');
    expect(rows().map((r) => r[0])).toEqual(['Alice', 'Bob']);
    expect(all('button').map(text)).not.toContain('Load more');
  });

  it('deactivate posts the deactivate route and the row shows the account the server returned', async () => {
    serve({
      'GET /api/v1/admin/users': () => ok({ users: [alice, bob], nextCursor: null, total: 2 }),
      'POST /api/v1/admin/users/usr_alice/deactivate': () => ok({ user: { ...alice, active: false } }),
    });
    await mount('#/users');
    await click(button('Deactivate Alice'));
    expect(callsTo('POST', '/api/v1/admin/users/usr_alice/deactivate')).toEqual([expect.objectContaining({ body: undefined })]);
    expect(rows()[0]!.slice(7)).toEqual(['Deactivated', 'usr_alice', 'Export data Reactivate Delete']);
    expect(statuses()).toContain('Alice is deactivated: the seat is free and every session of the account has ended.');
  });

  it('reactivate without a free seat shows seat_limit_reached as a sentence and leaves the row as it was', async () => {
    serve({
      'GET /api/v1/admin/users': () => ok({ users: [alice, bob], nextCursor: null, total: 2 }),
      'POST /api/v1/admin/users/usr_bob/reactivate': () => fail(403, 'seat_limit_reached'),
    });
    await mount('#/users');
    await click(button('Reactivate Bob'));
    expect(callsTo('POST', '/api/v1/admin/users/usr_bob/reactivate')).toHaveLength(1);
    expect(alerts()).toEqual(['Every seat is taken: deactivate someone or raise the seat limit in Settings.']);
    expect(rows()[1]!.slice(7)).toEqual(['Deactivated', 'usr_bob', 'Export data Reactivate Delete']);
    // A 403 that is not admin_required keeps the panel.
    expect(q('nav')).not.toBeNull();
  });

  it('changing a role patches it; last_owner is explained and the select goes back', async () => {
    const owner = user('usr_olga', 'Olga', { role: 'owner' });
    serve({
      'GET /api/v1/admin/users': () => ok({ users: [alice, owner], nextCursor: null, total: 2 }),
      'PATCH /api/v1/admin/users/usr_alice': (call) => ok({ user: { ...alice, ...(call.body as object) } }),
      'PATCH /api/v1/admin/users/usr_olga': () => fail(409, 'last_owner'),
    });
    await mount('#/users');
    await choose(control<HTMLSelectElement>('Role of Alice'), 'admin');
    expect(callsTo('PATCH', '/api/v1/admin/users/usr_alice').map((c) => c.body)).toEqual([{ role: 'admin' }]);
    expect(statuses()).toContain('Alice is now an admin.');
    await choose(control<HTMLSelectElement>('Role of Olga'), 'member');
    expect(alerts()).toEqual(['This is the last owner: make someone else an owner first.']);
    expect(control<HTMLSelectElement>('Role of Olga').value).toBe('owner');
  });

  it('delete asks first, explaining that messages are kept anonymised, then sends DELETE', async () => {
    serve({
      'GET /api/v1/admin/users': () => ok({ users: [alice, bob], nextCursor: null, total: 2 }),
      'DELETE /api/v1/admin/users/usr_alice': () => ({ status: 204 }),
    });
    await mount('#/users');
    await click(button('Delete Alice'));
    expect(text(q('.confirm span'))).toBe('Delete Alice? The account is removed; its messages are kept, anonymised.');
    expect(callsTo('DELETE', '/api/v1/admin/users/usr_alice')).toHaveLength(0);
    await click(button('Delete', q('.confirm')!));
    expect(callsTo('DELETE', '/api/v1/admin/users/usr_alice')).toHaveLength(1);
    expect(rows().map((r) => r[0])).toEqual(['Bob']);
    expect(text(q('[data-testid=user-total]'))).toBe('1 total');
  });

  it('the admin’s own row offers no deactivate or delete, only the export of their data', async () => {
    serve({ 'GET /api/v1/admin/users': () => ok({ users: [user(ADMIN.id, 'Ada', { role: 'owner' })], nextCursor: null, total: 1 }) });
    await mount('#/users');
    expect(rows()[0]![0]).toBe('Ada (you)');
    expect(rows()[0]![9]).toBe('Export data');
    expect(control<HTMLSelectElement>('Role of Ada').disabled).toBe(true);
  });

  it('"Create user" posts only the filled fields, adds the row, and explains a conflict', async () => {
    let n = 0;
    serve({
      'GET /api/v1/admin/users': () => ok({ users: [alice], nextCursor: null, total: 1 }),
      'POST /api/v1/admin/users': (call) => (n++ === 0 ? { status: 201, body: { user: user('usr_carol', 'Carol', { createdVia: 'admin', ...(call.body as object) }) } } : fail(409, 'email_conflict')),
    });
    await mount('#/users');
    await input(control('Name'), 'Carol');
    await input(control('External ID'), ' carol-1 ');
    await choose(control<HTMLSelectElement>('Role'), 'admin');
    await click(button('Create user'));
    expect(callsTo('POST', '/api/v1/admin/users').map((c) => c.body)).toEqual([{ name: 'Carol', externalId: 'carol-1', role: 'admin' }]);
    expect(rows().map((r) => r[0])).toEqual(['Carol', 'Alice']);
    expect(statuses()).toContain('Created Carol.');
    expect(text(q('[data-testid=user-total]'))).toBe('2 total');
    expect(control('Name').value).toBe('');

    await input(control('Email'), 'alice@example.com');
    await click(button('Create user'));
    expect(alerts()).toEqual(['Another account already has this email address.']);
  });
});

describe('settings', () => {
  it('a locked setting is read-only with its variable; an unlocked one saves on its own', async () => {
    serve({
      'PATCH /api/v1/admin/settings': (call) => ok({ settings: SETTINGS.map((s) => (s.name === 'seatLimit' ? { ...s, value: (call.body as { seatLimit: number }).seatLimit } : s)) }),
    });
    await mount('#/settings');
    const origins = control<HTMLTextAreaElement>('Allowed origins');
    expect(origins.readOnly).toBe(true);
    expect(origins.value).toBe('https://app.example.com');
    expect(text(container.querySelector(`#${origins.getAttribute('aria-describedby')}`))).toBe('Set by PARLEY_ALLOWED_ORIGINS in the environment.');
    expect(q('[data-setting=allowedOrigins] button')).toBeNull();

    expect(control('Token maximum lifetime').value).toBe('7d');
    const seats = control('Seat limit');
    expect(seats.value).toBe('5');
    expect(seats.readOnly).toBe(false);
    await input(seats, '10');
    await click(button('Save seat limit'));
    expect(callsTo('PATCH', '/api/v1/admin/settings').map((c) => c.body)).toEqual([{ seatLimit: 10 }]);
    expect(text(q('[data-setting=seatLimit] [role=status]'))).toBe('Saved.');
    expect(control('Seat limit').value).toBe('10');
  });

  it('allowed origins are sent one per line, empty as null; a server refusal is shown by code', async () => {
    const unlocked = SETTINGS.map((s) => ({ ...s, locked: false }));
    serve({
      'GET /api/v1/admin/settings': () => ok({ settings: unlocked }),
      'PATCH /api/v1/admin/settings': (call) => {
        if ('tokenMaxLifetime' in (call.body as object)) return fail(409, 'setting_locked');
        const { allowedOrigins } = call.body as { allowedOrigins: string[] | null };
        return ok({ settings: unlocked.map((s) => (s.name === 'allowedOrigins' ? { ...s, value: allowedOrigins } : s)) });
      },
    });
    await mount('#/settings');
    await input(control<HTMLTextAreaElement>('Allowed origins'), 'https://a.example\n\n  https://b.example  \n');
    await click(button('Save allowed origins'));
    expect(control<HTMLTextAreaElement>('Allowed origins').value).toBe('https://a.example\nhttps://b.example');
    await input(control<HTMLTextAreaElement>('Allowed origins'), '  ');
    await click(button('Save allowed origins'));
    expect(callsTo('PATCH', '/api/v1/admin/settings').map((c) => c.body)).toEqual([{ allowedOrigins: ['https://a.example', 'https://b.example'] }, { allowedOrigins: null }]);

    await input(control('Token maximum lifetime'), '12h');
    await click(button('Save token maximum lifetime'));
    expect(text(q('[data-setting=tokenMaxLifetime] [role=alert]'))).toBe('This setting is fixed by the environment and cannot be changed here.');
  });
});

describe('API keys', () => {
  const deployBot: AdminApiKey = { id: 'ak_0a1b2c3d4e5f', name: 'deploy bot', createdAt: T0, lastUsedAt: '2026-03-02T09:30:00.000Z', revokedAt: null, createdBy: { id: ADMIN.id, label: 'ada@example.com' } };
  const oldKey: AdminApiKey = { id: 'ak_ffffffffffff', name: 'old import', createdAt: T0, lastUsedAt: null, revokedAt: '2026-03-01T12:00:00.000Z', createdBy: { id: 'usr_gone', label: null } };
  const byOlga: AdminApiKey = { id: 'ak_123456789abc', name: 'reports', createdAt: T0, lastUsedAt: null, revokedAt: null, createdBy: { id: 'usr_olga', label: 'olga@example.com' } };

  it('lists the keys with name, created, created by, last used and status; only active ones can be revoked', async () => {
    serve({ 'GET /api/v1/admin/api-keys': () => ok({ apiKeys: [deployBot, byOlga, oldKey] }) });
    await mount('#/api-keys');
    expect(text(q('h1'))).toBe('API keys');
    expect(document.title).toBe('API keys · Parley admin');
    expect(all('nav a[aria-current=page]').map(text)).toEqual(['API keys']);
    expect(rows('table thead tr')).toEqual([['Name', 'Created', 'Created by', 'Last used', 'Status', 'Actions']]);
    expect(rows()).toEqual([
      ['deploy bot', expect.any(String), 'ada@example.com (you)', expect.any(String), 'Active', 'Revoke'],
      ['reports', expect.any(String), 'olga@example.com', 'Never', 'Active', 'Revoke'],
      ['old import', expect.any(String), 'Deleted account', 'Never', 'Revoked', ''],
    ]);
    expect(q('tr[data-api-key-id=ak_0a1b2c3d4e5f] td:nth-child(4) time')?.getAttribute('dateTime')).toBe('2026-03-02T09:30:00.000Z');
    expect(q('tr[data-api-key-id=ak_ffffffffffff]')?.className).toBe('inactive');
    expect(text(q('section p'))).toContain('X-API-KEY');
    expect(q<HTMLAnchorElement>('section a[href="/docs"]')).not.toBeNull();
  });

  it('with no keys says so, and a failed load is an alert', async () => {
    serve({ 'GET /api/v1/admin/api-keys': () => ok({ apiKeys: [] }) });
    await mount('#/api-keys');
    expect(text(q('p.empty'))).toBe('No API keys yet.');
    render(null, container);
    serve({ 'GET /api/v1/admin/api-keys': () => fail(503, 'service_unavailable') });
    await mount('#/api-keys');
    expect(alerts()).toEqual(['Something went wrong (service_unavailable). Try again.']);
  });

  it('creating one with a name shows the key once, read-only with Copy and a warning, and forgets it when the admin leaves', async () => {
    let keys = [byOlga];
    const created: AdminApiKey = { ...deployBot, id: 'ak_new000000001', lastUsedAt: null };
    serve({
      'GET /api/v1/admin/api-keys': () => ok({ apiKeys: keys }),
      'POST /api/v1/admin/api-keys': (call) => {
        keys = [{ ...created, name: (call.body as { name: string }).name }, ...keys];
        return { status: 201, body: { apiKey: keys[0], key: 'pak_shown-once-0123456789' } };
      },
    });
    const writeText = vi.spyOn(navigator.clipboard, 'writeText').mockResolvedValue(undefined);
    await mount('#/api-keys');

    // A name is required; nothing is sent without one.
    await input(control('Name'), '   ');
    await click(button('Create API key'));
    expect(alerts()).toEqual(['Name the key first, for example after the script or service that will use it.']);
    expect(callsTo('POST', '/api/v1/admin/api-keys')).toHaveLength(0);
    expect(control('Name').maxLength).toBe(100);

    await input(control('Name'), '  deploy bot ');
    await click(button('Create API key'));
    expect(callsTo('POST', '/api/v1/admin/api-keys').map((c) => c.body)).toEqual([{ name: 'deploy bot' }]);
    const key = control('API key “deploy bot”');
    expect(key.value).toBe('pak_shown-once-0123456789');
    expect(key.readOnly).toBe(true);
    expect(text(q('.secret .warning'))).toBe(
      'Copy this key now: it will not be shown again. Whoever has it can act as you in the admin API, so keep it in your script’s secret store, never in code or chat.',
    );
    expect(statuses()).toContain('API key “deploy bot” created.');
    expect(alerts()).toEqual([]);
    expect(control('Name').value).toBe('');
    expect(rows().map((r) => [r[0], r[4]])).toEqual([
      ['deploy bot', 'Active'],
      ['reports', 'Active'],
    ]);

    await click(button('Copy the API key'));
    expect(writeText).toHaveBeenCalledWith('pak_shown-once-0123456789');
    expect(statuses()).toContain('Copied.');

    // "Done" hides it; so does leaving the page, after which it is nowhere in the panel.
    await click(button('Done'));
    expect(q('#new-api-key')).toBeNull();
    await input(control('Name'), 'second');
    await click(button('Create API key'));
    expect(control('API key “second”').value).toBe('pak_shown-once-0123456789');
    await go('#/users');
    await go('#/api-keys');
    expect(q('#new-api-key')).toBeNull();
    expect(container.textContent).not.toContain('pak_shown-once');
    expect(rows().map((r) => r[0])).toEqual(['second', 'deploy bot', 'reports']);
  });

  it('revoking asks first, then posts the revoke route and shows the key revoked', async () => {
    serve({
      'GET /api/v1/admin/api-keys': () => ok({ apiKeys: [deployBot, byOlga] }),
      'POST /api/v1/admin/api-keys/ak_0a1b2c3d4e5f/revoke': () => ok({ apiKey: { ...deployBot, revokedAt: '2026-03-03T00:00:00.000Z' } }),
    });
    await mount('#/api-keys');
    await click(button('Revoke deploy bot'));
    expect(callsTo('POST', '/api/v1/admin/api-keys/ak_0a1b2c3d4e5f/revoke')).toHaveLength(0);
    expect(text(q('.confirm'))).toBe('Revoke “deploy bot”? Scripts using it are refused at once. Revoke Cancel');
    expect(document.activeElement?.textContent).toBe('Cancel');
    await click(button('Cancel'));
    expect(q('.confirm')).toBeNull();
    expect(callsTo('POST', '/api/v1/admin/api-keys/ak_0a1b2c3d4e5f/revoke')).toHaveLength(0);

    await click(button('Revoke deploy bot'));
    await click(button('Revoke', q('.confirm')!));
    expect(callsTo('POST', '/api/v1/admin/api-keys/ak_0a1b2c3d4e5f/revoke')).toEqual([expect.objectContaining({ body: undefined })]);
    expect(rows()).toEqual([
      ['deploy bot', expect.any(String), 'ada@example.com (you)', expect.any(String), 'Revoked', ''],
      ['reports', expect.any(String), 'olga@example.com', 'Never', 'Active', 'Revoke'],
    ]);
    expect(statuses()).toContain('API key “deploy bot” revoked: requests with it are refused from now on.');
  });

  it('revoking a key that is gone shows api_key_not_found as a sentence and reloads the list', async () => {
    let revokedElsewhere = false;
    serve({
      'GET /api/v1/admin/api-keys': () => ok({ apiKeys: [revokedElsewhere ? { ...byOlga, revokedAt: T0 } : byOlga] }),
      'POST /api/v1/admin/api-keys/ak_123456789abc/revoke': () => {
        revokedElsewhere = true;
        return fail(404, 'api_key_not_found');
      },
    });
    await mount('#/api-keys');
    await click(button('Revoke reports'));
    await click(button('Revoke', q('.confirm')!));
    expect(alerts()).toEqual(['This API key no longer exists or is already revoked.']);
    expect(callsTo('GET', '/api/v1/admin/api-keys')).toHaveLength(2);
    expect(rows()[0]![4]).toBe('Revoked');
    // A 404 is no reason to leave the panel.
    expect(q('nav')).not.toBeNull();
  });
});

describe('token API', () => {
  const web: TokenApiCredential = { apiKey: 'pk_0a1b2c3d4e5f', name: 'web backend', createdAt: T0, lastUsedAt: '2026-03-02T09:30:00.000Z', revokedAt: null };
  const reports: TokenApiCredential = { apiKey: 'pk_123456789abc', name: 'reports', createdAt: T0, lastUsedAt: null, revokedAt: null };
  const old: TokenApiCredential = { apiKey: 'pk_ffffffffffff', name: 'old app', createdAt: T0, lastUsedAt: null, revokedAt: '2026-03-01T12:00:00.000Z' };

  it('is in the navigation after API keys and lists name, apiKey, created, last used and status', async () => {
    serve({ 'GET /api/v1/admin/api-credentials': () => ok({ credentials: [web, reports, old] }) });
    await mount('#/overview');
    const link = all<HTMLAnchorElement>('nav a').find((a) => text(a) === 'Token API')!;
    expect(link.getAttribute('href')).toBe('#/token-api');
    expect(text(link.parentElement!.previousElementSibling)).toBe('API keys');
    await click(link);
    expect(location.hash).toBe('#/token-api');
    expect(text(q('h1'))).toBe('Token API');
    expect(document.title).toBe('Token API · Parley admin');
    expect(all('nav a[aria-current=page]').map(text)).toEqual(['Token API']);
    expect(callsTo('GET', '/api/v1/admin/api-credentials')).toHaveLength(1);
    expect(rows('table thead tr')).toEqual([['Name', 'apiKey', 'Created', 'Last used', 'Status', 'Actions']]);
    expect(rows()).toEqual([
      ['web backend', 'pk_0a1b2c3d4e5f', expect.any(String), expect.any(String), 'Active', 'Revoke'],
      ['reports', 'pk_123456789abc', expect.any(String), 'Never', 'Active', 'Revoke'],
      ['old app', 'pk_ffffffffffff', expect.any(String), 'Never', 'Revoked', ''],
    ]);
    expect(q('tr[data-api-key=pk_0a1b2c3d4e5f] td:nth-child(4) time')?.getAttribute('dateTime')).toBe('2026-03-02T09:30:00.000Z');
    expect(q('tr[data-api-key=pk_ffffffffffff]')?.className).toBe('inactive');
  });

  it('shows a curl example for this instance below the list, as text, and where the token goes', async () => {
    serve({ 'GET /api/v1/admin/api-credentials': () => ok({ credentials: [] }) });
    await mount('#/token-api');
    expect(text(q('p.empty'))).toBe('No credentials yet.');
    const pre = q('pre')!;
    // Below the list.
    expect(q('p.empty')!.compareDocumentPosition(pre) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(pre.textContent).toBe(
      [
        `curl -X POST '${location.origin}/v2/auth/generate_token' \\`,
        `  -H 'content-type: application/json' \\`,
        `  -H "x-api-key: $PARLEY_API_KEY" \\`,
        `  -H "x-auth-token: $PARLEY_AUTH_TOKEN" \\`,
        `  -d '{"userId":"user-123","userProperties":{"name":"Ada","email":"ada@example.com"},"permissions":{"resources":[{"type":"document","id":"doc-1","organizationId":"acme","accessRole":"editor"}]}}'`,
      ].join('\n'),
    );
    expect(pre.querySelectorAll('*').length).toBe(1); // just the <code>: text, not markup
    expect(text(q('section.example p:last-of-type'))).toBe(
      'The answer’s result.data.token signs that user in: put it in the widget’s data-external-auth-code attribute or pass it to Parley.identify(user, { authToken }).',
    );
    const writeText = vi.spyOn(navigator.clipboard, 'writeText').mockResolvedValue(undefined);
    await click(button('Copy the example'));
    expect(writeText).toHaveBeenCalledWith(pre.textContent);
  });

  it('a failed load is an alert', async () => {
    serve({ 'GET /api/v1/admin/api-credentials': () => fail(503, 'service_unavailable') });
    await mount('#/token-api');
    expect(alerts()).toEqual(['Something went wrong (service_unavailable). Try again.']);
  });

  it('creating one shows the apiKey and the authToken once, read-only with Copy and a warning, and forgets them when the admin leaves', async () => {
    let credentials = [reports];
    let n = 0;
    serve({
      'GET /api/v1/admin/api-credentials': () => ok({ credentials }),
      'POST /api/v1/admin/api-credentials': (call) => {
        n += 1;
        const credential = { apiKey: `pk_new00000000${n}`, name: (call.body as { name: string }).name, createdAt: T0, lastUsedAt: null, revokedAt: null };
        credentials = [credential, ...credentials];
        return { status: 201, body: { credential, apiKey: credential.apiKey, authToken: `pat_shown-once-${n}` } };
      },
    });
    const writeText = vi.spyOn(navigator.clipboard, 'writeText').mockResolvedValue(undefined);
    await mount('#/token-api');

    // A name is required; nothing is sent without one.
    await input(control('Name'), '   ');
    await click(button('Create credential'));
    expect(alerts()).toEqual(['Name the credential first, for example after the backend that will use it.']);
    expect(callsTo('POST', '/api/v1/admin/api-credentials')).toHaveLength(0);
    expect(control('Name').maxLength).toBe(100);

    await input(control('Name'), '  web backend ');
    await click(button('Create credential'));
    expect(callsTo('POST', '/api/v1/admin/api-credentials').map((c) => c.body)).toEqual([{ name: 'web backend' }]);
    const apiKey = control('apiKey (x-api-key)');
    const authToken = control('authToken (x-auth-token)');
    expect([apiKey.value, apiKey.readOnly]).toEqual(['pk_new000000001', true]);
    expect([authToken.value, authToken.readOnly]).toEqual(['pat_shown-once-1', true]);
    expect(text(q('.secret'))).toContain('Credential “web backend”');
    expect(text(q('.secret .warning'))).toBe(
      'Copy the authToken now: it will not be shown again. Whoever has both values can sign in as any of your users, so keep them in your backend’s secret store, never in code or chat.',
    );
    expect(statuses()).toContain('Credential “web backend” created.');
    expect(alerts()).toEqual([]);
    expect(control('Name').value).toBe('');
    expect(rows().map((r) => [r[0], r[1], r[4]])).toEqual([
      ['web backend', 'pk_new000000001', 'Active'],
      ['reports', 'pk_123456789abc', 'Active'],
    ]);
    // The example never carries the secret.
    expect(q('pre')!.textContent).not.toContain('pat_');

    await click(button('Copy the apiKey'));
    expect(writeText).toHaveBeenLastCalledWith('pk_new000000001');
    await click(button('Copy the authToken'));
    expect(writeText).toHaveBeenLastCalledWith('pat_shown-once-1');
    expect(statuses()).toContain('Copied.');

    // "Done" hides them; so does leaving the page, after which the authToken is nowhere in the panel.
    await click(button('Done'));
    expect(q('#new-credential-auth-token')).toBeNull();
    expect(container.textContent).not.toContain('pat_shown-once');
    await input(control('Name'), 'second');
    await click(button('Create credential'));
    expect(control('authToken (x-auth-token)').value).toBe('pat_shown-once-2');
    await go('#/users');
    await go('#/token-api');
    expect(q('.secret')).toBeNull();
    expect(all('input').map((i) => (i as HTMLInputElement).value)).not.toContain('pat_shown-once-2');
    expect(container.textContent).not.toContain('pat_shown-once');
    expect(rows().map((r) => r[0])).toEqual(['second', 'web backend', 'reports']);
  });

  it('revoking asks first, then posts the revoke route and shows the credential revoked', async () => {
    serve({
      'GET /api/v1/admin/api-credentials': () => ok({ credentials: [web, reports] }),
      'POST /api/v1/admin/api-credentials/pk_0a1b2c3d4e5f/revoke': () => ok({ credential: { ...web, revokedAt: '2026-03-03T00:00:00.000Z' } }),
    });
    await mount('#/token-api');
    await click(button('Revoke web backend'));
    expect(callsTo('POST', '/api/v1/admin/api-credentials/pk_0a1b2c3d4e5f/revoke')).toHaveLength(0);
    expect(text(q('.confirm'))).toBe(
      'Revoke “web backend”? Token requests with it are refused at once; tokens already minted stay valid until they expire. Revoke Cancel',
    );
    expect(document.activeElement?.textContent).toBe('Cancel');
    await click(button('Cancel'));
    expect(q('.confirm')).toBeNull();
    expect(callsTo('POST', '/api/v1/admin/api-credentials/pk_0a1b2c3d4e5f/revoke')).toHaveLength(0);

    await click(button('Revoke web backend'));
    await click(button('Revoke', q('.confirm')!));
    expect(callsTo('POST', '/api/v1/admin/api-credentials/pk_0a1b2c3d4e5f/revoke')).toEqual([expect.objectContaining({ body: undefined })]);
    expect(rows()).toEqual([
      ['web backend', 'pk_0a1b2c3d4e5f', expect.any(String), expect.any(String), 'Revoked', ''],
      ['reports', 'pk_123456789abc', expect.any(String), 'Never', 'Active', 'Revoke'],
    ]);
    expect(statuses()).toContain('Credential “web backend” revoked: token requests with it are refused from now on.');
  });

  it('revoking one that is gone shows api_credential_not_found as a sentence and reloads the list', async () => {
    let revokedElsewhere = false;
    serve({
      'GET /api/v1/admin/api-credentials': () => ok({ credentials: [revokedElsewhere ? { ...reports, revokedAt: T0 } : reports] }),
      'POST /api/v1/admin/api-credentials/pk_123456789abc/revoke': () => {
        revokedElsewhere = true;
        return fail(404, 'api_credential_not_found');
      },
    });
    await mount('#/token-api');
    await click(button('Revoke reports'));
    await click(button('Revoke', q('.confirm')!));
    expect(alerts()).toEqual(['This credential no longer exists or is already revoked.']);
    expect(callsTo('GET', '/api/v1/admin/api-credentials')).toHaveLength(2);
    expect(rows()[0]![4]).toBe('Revoked');
    // A 404 is no reason to leave the panel.
    expect(q('nav')).not.toBeNull();
  });
});

describe('inbox', () => {
  const fromAlice = message('msg_1', 'cnv_a', 'Hello, **anyone**?', '2026-03-01T10:05:00.000Z');
  const fromAda = message('msg_2', 'cnv_b', 'Sorted, thanks!', '2026-03-01T09:00:00.000Z', { type: 'user', id: 'usr_olga', name: 'Olga' });
  const inbox = () =>
    serve({
      'GET /api/v1/admin/conversations': () =>
        ok({
          conversations: [
            conversation('cnv_a', fromAlice, true, [{ id: 'usr_alice', name: 'Alice' }]),
            conversation('cnv_b', fromAda, false, [{ id: 'usr_bob', name: 'Bob' }, { id: 'usr_olga', name: 'Olga' }]),
          ],
          nextCursor: null,
        }),
      'GET /api/v1/admin/conversations/cnv_a/messages': (call) =>
        ok(
          call.query.get('before') === 'msg_0'
            ? { messages: [message('msg_old', 'cnv_a', 'an older one', '2026-03-01T08:00:00.000Z')], hasMore: false }
            : { messages: [message('msg_0', 'cnv_a', 'first', '2026-03-01T10:00:00.000Z'), fromAlice], hasMore: true },
        ),
      'POST /api/v1/admin/conversations/cnv_a/messages': (call) => {
        const body = call.body as { text: string; clientMessageId: string };
        return { status: 201, body: { message: { ...message('msg_reply', 'cnv_a', body.text, '2026-03-01T10:06:00.000Z', { type: 'user', id: ADMIN.id, name: ADMIN.name }), clientMessageId: body.clientMessageId } } };
      },
    });
  const listed = () => all('ul.conversations a').map((a) => [text(a.querySelector('.title')), a.querySelector('.badge') ? 'marked' : '']);
  const thread = () => all('ol.messages li.msg').map((li) => `${text(li.querySelector('.author'))}: ${text(li.querySelector('.md'))}`);

  it('every page counts the conversations waiting for an answer, live: in the tab title and beside Inbox', async () => {
    let waiting = 2;
    inbox();
    routes.set('GET /api/v1/admin/inbox/counts', () => ok({ waiting }));
    await mount('#/overview');
    expect(document.title).toBe('(2) Overview · Parley admin');
    expect(text(q('nav.side a[href="#/inbox"] [data-testid=waiting]'))).toBe('2(2 waiting for an answer)');
    // A user writes: asked again, once.
    waiting = 3;
    const before = callsTo('GET', '/api/v1/admin/inbox/counts').length;
    await FakeEventSource.instances[0]!.emit(EVENT.messageCreated, { message: message('msg_9', 'cnv_b', 'Hello?', '2026-03-01T11:00:00.000Z', { type: 'user', id: 'usr_bob', name: 'Bob' }) });
    await vi.waitFor(() => expect(document.title).toBe('(3) Overview · Parley admin'));
    expect(callsTo('GET', '/api/v1/admin/inbox/counts')).toHaveLength(before + 1);
    // Nothing waits: no count at all.
    waiting = 0;
    await FakeEventSource.instances[0]!.emit(EVENT.conversationCreated, { conversation: { id: 'cnv_z' } });
    await vi.waitFor(() => expect(document.title).toBe('Overview · Parley admin'));
    expect(q('[data-testid=waiting]')).toBeNull();
    // The inbox shares the one stream.
    await click(q('nav.side a[href="#/inbox"]')!);
    expect(FakeEventSource.instances.filter((s) => s.readyState !== FakeEventSource.CLOSED)).toHaveLength(1);
  });

  it('lists conversations newest activity first with participants, marking the unanswered ones', async () => {
    inbox();
    await mount('#/inbox');
    expect(listed()).toEqual([
      ['Alice Unanswered', 'marked'],
      ['Bob, Olga', ''],
    ]);
    expect(text(q('ul.conversations .badge'))).toBe('Unanswered');
    expect(text(q('.thread .placeholder'))).toBe('Pick a conversation to read and answer it.');
    expect(FakeEventSource.instances.map((s) => s.url)).toEqual(['/api/v1/events']);
  });

  it('opening one shows its messages oldest first, pages older ones in, and Enter sends a reply', async () => {
    inbox();
    await mount('#/inbox/cnv_a');
    expect(q('ul.conversations a[aria-current=page]')?.getAttribute('href')).toBe('#/inbox/cnv_a');
    expect(thread()).toEqual(['Alice: first', 'Alice: Hello, anyone?']);
    expect(q('ol.messages .md strong')?.textContent).toBe('anyone');

    await click(button('Load older'));
    expect(callsTo('GET', '/api/v1/admin/conversations/cnv_a/messages').at(-1)!.query.get('before')).toBe('msg_0');
    expect(thread()).toEqual(['Alice: an older one', 'Alice: first', 'Alice: Hello, anyone?']);
    expect(all('button').map(text)).not.toContain('Load older');

    const reply = control<HTMLTextAreaElement>('Reply');
    await input(reply, 'On it.');
    const shifted = await press(reply, { key: 'Enter', shiftKey: true });
    expect(shifted.defaultPrevented).toBe(false);
    expect(callsTo('POST', '/api/v1/admin/conversations/cnv_a/messages')).toHaveLength(0);
    await press(reply, { key: 'Enter' });
    const posts = callsTo('POST', '/api/v1/admin/conversations/cnv_a/messages');
    expect(posts).toHaveLength(1);
    expect(posts[0]!.body).toEqual({ text: 'On it.', clientMessageId: expect.stringMatching(/^c_[0-9a-f]{32}$/) });
    expect(thread()).toEqual(['Alice: an older one', 'Alice: first', 'Alice: Hello, anyone?', 'You: On it.']);
    expect(control<HTMLTextAreaElement>('Reply').value).toBe('');
    expect(listed()[0]).toEqual(['Alice, Ada Admin', '']);
  });

  it('live events reorder the list, mark it unanswered and reach the open thread once', async () => {
    inbox();
    await mount('#/inbox/cnv_a');
    const source = FakeEventSource.instances[0]!;
    const fromBob = message('msg_9', 'cnv_b', 'Actually, one more thing', '2026-03-01T11:00:00.000Z', { type: 'user', id: 'usr_bob', name: 'Bob' });
    await source.emit(EVENT.messageCreated, { message: fromBob });
    expect(listed()).toEqual([
      ['Bob, Olga Unanswered', 'marked'],
      ['Alice Unanswered', 'marked'],
    ]);
    expect(thread()).toEqual(['Alice: first', 'Alice: Hello, anyone?']);

    // Olga answered cnv_b before (the server said so), so her message counts as an answer.
    await source.emit(EVENT.messageCreated, { message: message('msg_10', 'cnv_b', 'Sure', '2026-03-01T11:01:00.000Z', { type: 'user', id: 'usr_olga', name: 'Olga' }) });
    expect(listed()[0]).toEqual(['Bob, Olga', '']);

    const again = message('msg_11', 'cnv_a', 'Still there?', '2026-03-01T11:02:00.000Z');
    await source.emit(EVENT.messageCreated, { message: again });
    await source.emit(EVENT.messageCreated, { message: again });
    expect(thread()).toEqual(['Alice: first', 'Alice: Hello, anyone?', 'Alice: Still there?']);
    expect(listed()[0]).toEqual(['Alice Unanswered', 'marked']);

    await source.emit(EVENT.conversationCreated, { conversation: { id: 'cnv_new', organizationId: 'default', title: 'New chat', createdAt: '2026-03-01T12:00:00.000Z', lastMessageAt: null, lastMessage: null } });
    expect(listed()[0]).toEqual(['New chat', '']);
    await source.emit(EVENT.messageCreated, { message: message('msg_12', 'cnv_new', 'hi', '2026-03-01T12:00:01.000Z', { type: 'user', id: 'usr_dan', name: 'Dan' }) });
    expect(listed()[0]).toEqual(['Dan Unanswered', 'marked']);
  });

  it('renames the open conversation from its header: the field gets focus, submitting saves the trimmed title, the list follows', async () => {
    inbox();
    routes.set('PATCH /api/v1/admin/conversations/cnv_a', (call) =>
      ok({ conversation: { ...conversation('cnv_a', fromAlice, true, [{ id: 'usr_alice', name: 'Alice' }]), title: (call.body as { title: string }).title } }),
    );
    await mount('#/inbox/cnv_a');
    expect(text(q('.thread-head h2'))).toBe('Alice');
    expect(text(q('[data-testid=conversation-title]'))).toBe('Support');
    const rename = button('Rename conversation');
    await click(rename);
    const field = control('Conversation title');
    expect(document.activeElement).toBe(field);
    expect(field.value).toBe('Support');

    await input(field, '  Refund for order 42  ');
    // A browser submits the form on Enter (the Chromium test presses it); happy-dom does not.
    await act(() => field.form!.requestSubmit());
    await settle();
    await settle();
    expect(callsTo('PATCH', '/api/v1/admin/conversations/cnv_a').map((c) => c.body)).toEqual([{ title: 'Refund for order 42' }]);
    expect(text(q('[data-testid=conversation-title]'))).toBe('Refund for order 42');
    expect(q('ul.conversations a[data-conversation-id=cnv_a] .subject')?.textContent).toBe('Refund for order 42');
    expect(statuses()).toContain('Conversation renamed.');
    expect(document.activeElement).toBe(button('Rename conversation'));
  });

  it('Escape cancels a rename without a request; an empty title and a refusal are alerts, and the field keeps the text', async () => {
    inbox();
    routes.set('PATCH /api/v1/admin/conversations/cnv_a', () => fail(404, 'conversation_not_found'));
    await mount('#/inbox/cnv_a');
    await click(button('Rename conversation'));
    await input(control('Conversation title'), 'Something else');
    await press(control('Conversation title'), { key: 'Escape' });
    expect(q('form.rename-form')).toBeNull();
    expect(text(q('[data-testid=conversation-title]'))).toBe('Support');
    expect(document.activeElement).toBe(button('Rename conversation'));

    await click(button('Rename conversation'));
    expect(control('Conversation title').value).toBe('Support');
    await input(control('Conversation title'), '   ');
    await click(button('Save'));
    expect(alerts()).toEqual(['Give the conversation a title, or press Escape to keep this one.']);
    expect(calls.filter((c) => c.method === 'PATCH')).toEqual([]);

    await input(control('Conversation title'), 'Gone');
    await click(button('Save'));
    expect(callsTo('PATCH', '/api/v1/admin/conversations/cnv_a')).toHaveLength(1);
    expect(alerts()).toEqual(['This conversation no longer exists.']);
    const field = control('Conversation title');
    expect(field.value).toBe('Gone');
    expect(field.getAttribute('aria-invalid')).toBe('true');
    expect(text(container.querySelector(`#${field.getAttribute('aria-describedby')}`))).toBe('This conversation no longer exists.');
    await click(button('Cancel'));
    expect(text(q('[data-testid=conversation-title]'))).toBe('Support');
  });

  it('an untitled conversation says so, and takes its title live when it gets one', async () => {
    serve({
      'GET /api/v1/admin/conversations': () => ok({ conversations: [{ ...conversation('cnv_u', null, false, []), title: null }], nextCursor: null }),
      'GET /api/v1/admin/conversations/cnv_u/messages': () => ok({ messages: [], hasMore: false }),
    });
    await mount('#/inbox/cnv_u');
    expect(text(q('ul.conversations a .title'))).toBe('Untitled conversation');
    // No one has written yet: the heading is the title, and the line under it offers only Rename.
    expect(text(q('.thread-head h2'))).toBe('Untitled conversation');
    expect(q('[data-testid=conversation-title]')).toBeNull();
    expect(button('Rename conversation')).toBeTruthy();
    await FakeEventSource.instances[0]!.emit(EVENT.conversationUpdated, { conversation: { ...conversationFixture('cnv_u', { title: 'Where is my order?', createdAt: T0 }) } });
    expect(text(q('ul.conversations a .title'))).toBe('Where is my order?');
    expect(text(q('.thread-head h2'))).toBe('Where is my order?');
  });

  it('a failed reply keeps the text and says why; the retry reuses the clientMessageId', async () => {
    inbox();
    let first = true;
    const post = routes.get('POST /api/v1/admin/conversations/cnv_a/messages')!;
    routes.set('POST /api/v1/admin/conversations/cnv_a/messages', (call) => {
      if (!first) return post(call);
      first = false;
      return fail(503, 'service_unavailable');
    });
    await mount('#/inbox/cnv_a');
    await input(control<HTMLTextAreaElement>('Reply'), 'Hello');
    await click(button('Send'));
    expect(alerts()).toEqual(['Something went wrong (service_unavailable). Try again.']);
    expect(control<HTMLTextAreaElement>('Reply').value).toBe('Hello');
    await click(button('Send'));
    const ids = callsTo('POST', '/api/v1/admin/conversations/cnv_a/messages').map((c) => (c.body as { clientMessageId: string }).clientMessageId);
    expect(ids).toHaveLength(2);
    expect(ids[1]).toBe(ids[0]);
    expect(thread().at(-1)).toBe('You: Hello');
  });
});

describe('audit log', () => {
  const entry = (id: string, kind: AuditEntry['kind'], action: string, outcome: string): AuditEntry => ({
    id,
    at: T0,
    kind,
    action,
    actor: { id: null, label: kind === 'sign_in' ? 'alice' : 'Ada Admin' },
    outcome,
    origin: kind === 'sign_in' ? 'https://app.example.com' : null,
    ip: '203.0.113.7',
    target: null,
  });

  it('shows the entries; the kind filter sends kind= and "Load more" the cursor', async () => {
    serve({
      'GET /api/v1/admin/audit': (call) =>
        ok(
          call.query.get('kind') === 'sign_in'
            ? call.query.get('cursor') === 'p2'
              ? { entries: [entry('40', 'sign_in', 'sign_in.exchange', 'ok')], nextCursor: null }
              : { entries: [entry('42', 'sign_in', 'sign_in.exchange', 'token_expired')], nextCursor: 'p2' }
            : { entries: [entry('43', 'admin', 'user.deactivate', 'ok'), entry('42', 'sign_in', 'sign_in.exchange', 'token_expired')], nextCursor: null },
        ),
    });
    await mount('#/audit');
    expect(rows('table thead tr')).toEqual([['Time', 'Kind', 'Action', 'Actor', 'Outcome', 'Origin', 'IP']]);
    expect(rows().map((r) => r.slice(1))).toEqual([
      ['Administrative action', 'user.deactivate', 'Ada Admin', 'ok', '—', '203.0.113.7'],
      ['Sign-in', 'sign_in.exchange', 'alice', 'token_expired', 'https://app.example.com', '203.0.113.7'],
    ]);

    await choose(control<HTMLSelectElement>('Kind'), 'sign_in');
    expect(callsTo('GET', '/api/v1/admin/audit').map((c) => c.query.toString())).toEqual(['', 'kind=sign_in']);
    expect(rows().map((r) => r[2])).toEqual(['sign_in.exchange']);
    await click(button('Load more'));
    expect(callsTo('GET', '/api/v1/admin/audit').at(-1)!.query.toString()).toBe('kind=sign_in&cursor=p2');
    expect(rows().map((r) => [r[2], r[4]])).toEqual([
      ['sign_in.exchange', 'token_expired'],
      ['sign_in.exchange', 'ok'],
    ]);
  });
});
