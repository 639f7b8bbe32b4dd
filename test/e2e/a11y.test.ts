/**
 * Accessibility of every page Parley serves itself, by axe-core in Debian's Chromium at a desktop size
 * (1280 × 800) and a phone size (375 × 667), and in the dark colour scheme: the hosted chat page (the list,
 * a conversation open, signed out), every admin panel page (the inbox with a conversation open, and its
 * rename form showing an error), the panel's menu open on a phone, the panel signed out, and the static
 * pages (an error page, a used one-time link, the account-switch question). Every rule axe runs by default
 * plus those tagged wcag22aa and best-practice (test/helpers/axe.ts); a single violation of any impact
 * fails, and the test prints each one (rule, impact, element).
 * Needs the browser assets built (`node scripts/build.mjs`, which `npm test` runs first).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Conversation, ExchangeResponse } from '#shared/api.js';
import { signExternalToken } from '../../server/src/auth/sign-external-token.js';
import { axeViolations, formatViolations } from '../helpers/axe.js';
import { becomeOwnerInBrowser } from '../helpers/owner-setup.js';
import { canRunChromium, closeAll, launchChromium, newBoundedPage, WAIT_MS } from '../helpers/browser.js';
import { apiClient, startLiveParley, type LiveParley } from '../helpers/live-server.js';

const HAS_CHROMIUM = canRunChromium('Accessibility browser tests');
const SECRET = 'a11y-secret-that-is-certainly-longer-than-32-bytes';

/** Both sizes in the light scheme, and the desktop in the dark one (the pages follow the system's). */
const VIEWPORTS = [
  { width: 1280, height: 800, colorScheme: 'light' },
  { width: 375, height: 667, colorScheme: 'light' },
  { width: 1280, height: 800, colorScheme: 'dark' },
] as const;
type Viewport = (typeof VIEWPORTS)[number];

/** Messages that use what the Markdown renderer makes: lists, code, links, emphasis. */
const MESSAGES = [
  'Hello! I cannot sign in since this morning.',
  'Here is what I tried:\n- clearing the cache\n- another **browser**\n\n1. opened `https://app.example.com`\n2. got an error',
  'The docs are at [the help centre](https://example.com/help).',
  '```\nError: session_invalid\n```',
];

describe.skipIf(!HAS_CHROMIUM)('accessibility of every page, by axe-core in Chromium', () => {
  let server: LiveParley | undefined;
  let browser: Browser | undefined;
  let baseUrl: string;
  /** Alice on the hosted page, the owner in the panel, and a visitor with no session. */
  let userContext: BrowserContext;
  let adminContext: BrowserContext;
  let anonymousContext: BrowserContext;
  let conversationId: string;
  let setupLink: string;

  const sign = (payload: Record<string, unknown>, issuedAt = Math.floor(Date.now() / 1000), expiresInSeconds = 600) =>
    signExternalToken({ secret: new TextEncoder().encode(SECRET), kid: 'env', payload, issuedAt, expiresInSeconds });
  const api = apiClient(() => baseUrl);

  /** A context that lets axe's inline script run under the pages' CSP. */
  async function axeContext(): Promise<BrowserContext> {
    const context = await browser!.newContext({ bypassCSP: true, viewport: VIEWPORTS[0] });
    context.setDefaultTimeout(WAIT_MS);
    return context;
  }

  beforeAll(async () => {
    server = await startLiveParley({ PARLEY_EXTERNAL_AUTH_SECRET: SECRET, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent', PARLEY_SIGNIN_RATE_LIMIT: '0' });
    baseUrl = server.origin;
    browser = await launchChromium();
    [userContext, adminContext, anonymousContext] = [await axeContext(), await axeContext(), await axeContext()];

    // Alice has two conversations, one of them with messages.
    const exchange = await api<ExchangeResponse>('POST', '/api/v1/auth/exchange', { body: { externalAuthCode: await sign({ user: { id: 'alice', name: 'Alice', email: 'alice@example.com' } }) } });
    expect(exchange.status).toBe(200);
    const token = exchange.body.session.token;
    await api('POST', '/api/v1/conversations', { token, body: { title: 'Billing question' } });
    const created = await api<{ conversation: Conversation }>('POST', '/api/v1/conversations', { token, body: { title: 'Cannot sign in' } });
    conversationId = created.body.conversation.id;
    for (const [i, text] of MESSAGES.entries()) {
      const posted = await api('POST', `/api/v1/conversations/${conversationId}/messages`, { token, body: { text, clientMessageId: `a11y-${i}` } });
      expect(posted.status).toBe(201);
    }
    const signIn = await newBoundedPage(userContext);
    await signIn.goto(`${baseUrl}/?externalAuthCode=${await sign({ user: { id: 'alice', name: 'Alice' } })}`);
    await signIn.locator('[data-testid=user-name]').waitFor();
    await signIn.close();

    // The owner, signed in by the instance's one-time set-up link; a token API credential to list.
    setupLink = (await server.app.services.adminLinks.ownerSetupLinkIfNeeded(baseUrl))!;
    const admin = await newBoundedPage(adminContext);
    await becomeOwnerInBrowser(admin, setupLink);
    await admin.locator('[data-testid=admin-name]').waitFor();
    const credential = await adminContext.request.post(`${baseUrl}/api/v1/admin/api-credentials`, { data: { name: 'backend' }, headers: { origin: baseUrl } });
    expect(credential.status()).toBe(201);
    await admin.close();
  });

  afterAll(() => closeAll([userContext, adminContext, anonymousContext].filter(Boolean), browser, server));

  /** Waits until nothing on the page says it is still loading or connecting. */
  const settled = (page: Page) =>
    page.waitForFunction(() => ![...document.querySelectorAll('body *')].some((e) => e.childElementCount === 0 && /^(Loading…|Connecting…)$/.test(e.textContent?.trim() ?? '')));

  /** Opens `path` in `context` at the viewport and waits for `ready`. */
  async function open(context: BrowserContext, viewport: Viewport, path: string, ready: (page: Page) => Promise<unknown>): Promise<Page> {
    const page = await newBoundedPage(context);
    await page.setViewportSize({ width: viewport.width, height: viewport.height });
    await page.emulateMedia({ colorScheme: viewport.colorScheme });
    await page.goto(baseUrl + path);
    await ready(page);
    await settled(page);
    return page;
  }

  const adminPage = (hash: string, heading: string, ready?: (page: Page) => Promise<unknown>) => (viewport: Viewport) =>
    open(adminContext, viewport, `/admin${hash}`, async (page) => {
      await page.locator('main.content > h1', { hasText: heading }).waitFor();
      await ready?.(page);
    });

  const PAGES: [name: string, load: (viewport: Viewport) => Promise<Page>][] = [
    ['hosted page, the conversation list', (v) => open(userContext, v, '/', (page) => page.locator('ul.conversations button').nth(1).waitFor())],
    [
      'hosted page, a conversation open',
      async (v) => {
        const page = await open(userContext, v, '/', (p) => p.locator('ul.conversations button').nth(1).waitFor());
        await page.locator('ul.conversations button', { hasText: 'Cannot sign in' }).click();
        await page.locator('ol.messages li.msg').nth(MESSAGES.length - 1).waitFor();
        return page;
      },
    ],
    ['hosted page, signed out', (v) => open(anonymousContext, v, '/', (page) => page.getByRole('heading', { name: 'You are not signed in' }).waitFor())],
    ['admin overview', adminPage('#/overview', 'Overview', (page) => page.locator('[data-testid=seats]').waitFor())],
    ['admin external auth', adminPage('#/external-auth', 'External auth', (page) => page.locator('tr[data-kid]').first().waitFor())],
    ['admin users', adminPage('#/users', 'Users', (page) => page.locator('table tbody tr').nth(1).waitFor())],
    ['admin settings', adminPage('#/settings', 'Settings', (page) => page.locator('form, .setting').first().waitFor())],
    ['admin API keys', adminPage('#/api-keys', 'API keys')],
    ['admin token API', adminPage('#/token-api', 'Token API', (page) => page.locator('table tbody tr').first().waitFor())],
    ['admin inbox', adminPage('#/inbox', 'Inbox', (page) => page.locator('ul.conversations a').nth(1).waitFor())],
    ['admin inbox, a conversation open', (v) => adminPage(`#/inbox/${conversationId}`, 'Inbox', (page) => page.locator('ol.messages li.msg').nth(MESSAGES.length - 1).waitFor())(v)],
    [
      'admin inbox, renaming a conversation',
      (v) =>
        adminPage(`#/inbox/${conversationId}`, 'Inbox', async (page) => {
          await page.getByRole('button', { name: 'Rename conversation', exact: true }).click();
          await page.getByRole('textbox', { name: 'Conversation title', exact: true }).fill(' ');
          await page.getByRole('button', { name: 'Save', exact: true }).click();
          await page.locator('form.rename-form [role=alert]').waitFor();
        })(v),
    ],
    ['admin audit log', adminPage('#/audit', 'Audit log', (page) => page.locator('table tbody tr').first().waitFor())],
    [
      'admin panel with its menu open (a phone) or its sections',
      adminPage('#/overview', 'Overview', async (page) => {
        const menu = page.getByRole('button', { name: 'Menu', exact: true });
        if (await menu.isVisible()) await menu.click();
        await page.getByRole('navigation', { name: 'Admin sections' }).waitFor();
      }),
    ],
    ['admin panel, signed out', (v) => open(anonymousContext, v, '/admin', (page) => page.getByText('You are not signed in.').waitFor())],
    ['a one-time link used already', (v) => open(anonymousContext, v, setupLink.slice(baseUrl.length), (page) => page.locator('main.error[data-code=link_used]').waitFor())],
    [
      'the owner set-up form',
      async (v) => {
        const link = await server!.app.services.adminLinks.createOwnerLink(baseUrl, `second-owner-${v.width}-${v.colorScheme}@example.com`);
        return open(anonymousContext, v, link.slice(baseUrl.length), (page) => page.getByLabel('Your name').waitFor());
      },
    ],
    [
      'the error page of an expired sign-in link',
      async (v) => {
        const now = Math.floor(Date.now() / 1000);
        const expired = await sign({ user: { id: 'alice' } }, now - 7200, 3600);
        return open(anonymousContext, v, `/?externalAuthCode=${expired}`, (page) => page.locator('main.error[data-code=token_expired]').waitFor());
      },
    ],
    [
      'the account-switch question',
      async (v) => open(userContext, v, `/?externalAuthCode=${await sign({ user: { id: 'bob', name: 'Bob' } })}`, (page) => page.getByRole('heading', { name: 'Switch account?' }).waitFor()),
    ],
  ];

  for (const viewport of VIEWPORTS) {
    const where = `at ${viewport.width} × ${viewport.height}, ${viewport.colorScheme}`;
    describe(where, () => {
      for (const [name, load] of PAGES) {
        it(`${name}: no violation`, async () => {
          const page = await load(viewport);
          const found = formatViolations(await axeViolations(page));
          if (found.length > 0) console.log(`axe, ${name} ${where}:\n  ${found.join('\n  ')}`);
          await page.close();
          expect(found).toEqual([]);
        });
      }
    });
  }
});
