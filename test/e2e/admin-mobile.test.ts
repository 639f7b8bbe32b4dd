/**
 * The admin panel on a phone, in Debian's Chromium at 375 × 667: every page fits the width (the page never
 * scrolls sideways and no part of it does either, except a data table or a code block inside its own
 * focusable region), and the inbox is two screens: the list, then the conversation with a Back control of
 * at least 44 × 44 px and a composer that works; Back returns to the list with focus on the conversation.
 * The sections are behind a Menu button, and the conversation's Rename works by keyboard (Enter, Escape).
 * At 768 px and wider the list and the conversation show side by side. Screenshots go to test-output/.
 * Needs the browser assets built (`node scripts/build.mjs`, which `npm test` runs first).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Conversation, ExchangeResponse } from '#shared/api.js';
import { signExternalToken } from '../../server/src/auth/sign-external-token.js';
import { canRunChromium, closeAll, launchChromium, newBoundedContext, newBoundedPage, outputPath, PageProblems, sideways } from '../helpers/browser.js';
import { apiClient, startLiveParley, type LiveParley } from '../helpers/live-server.js';
import { becomeOwnerInBrowser } from '../helpers/owner-setup.js';
import { PAGES } from '../../widget/src/admin/route.js';

const HAS_CHROMIUM = canRunChromium('Admin panel phone-size browser tests');
const SECRET = 'mobile-secret-that-is-certainly-longer-than-32-bytes';
const PHONE = { width: 375, height: 667 };

/** Long words, a long link and a long code line: what pushes a narrow layout sideways. */
const MESSAGES = [
  'Hello! My account name is averyveryveryverylongaccountnamewithoutanyspacesatall@example.com and it does not work.',
  'See https://app.example.com/settings/accounts/averyveryverylongpathsegment/another-long-segment?with=query&and=more',
  '```\nError: session_invalid at verify (server/src/auth/session-auth.ts:123:45) at async handler (server/src/routes/chat/index.ts:99:12)\n```',
  'Steps:\n- open the app\n- click **Sign in**',
];


describe.skipIf(!HAS_CHROMIUM)('the admin panel at 375 × 667 in Chromium', () => {
  let server: LiveParley | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext;
  let baseUrl: string;
  let conversationId: string;
  const problems = new PageProblems();

  const sign = (payload: Record<string, unknown>) =>
    signExternalToken({ secret: new TextEncoder().encode(SECRET), kid: 'env', payload, issuedAt: Math.floor(Date.now() / 1000), expiresInSeconds: 600 });
  const api = apiClient(() => baseUrl);

  beforeAll(async () => {
    server = await startLiveParley({ PARLEY_EXTERNAL_AUTH_SECRET: SECRET, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent' });
    baseUrl = server.origin;
    const exchange = await api<ExchangeResponse>('POST', '/api/v1/auth/exchange', { body: { externalAuthCode: await sign({ user: { id: 'alice', name: 'Alice Averylongfamilynamethatgoesonandon' } }) } });
    expect(exchange.status).toBe(200);
    const token = exchange.body.session.token;
    await api('POST', '/api/v1/conversations', { token, body: { title: 'Billing' } });
    const created = await api<{ conversation: Conversation }>('POST', '/api/v1/conversations', { token, body: { title: 'A conversation with a rather long title that needs wrapping' } });
    conversationId = created.body.conversation.id;
    for (const [i, text] of MESSAGES.entries()) await api('POST', `/api/v1/conversations/${conversationId}/messages`, { token, body: { text, clientMessageId: `m-${i}` } });

    browser = await launchChromium();
    context = await newBoundedContext(browser, { viewport: PHONE, reportCsp: true });
    const page = await newBoundedPage(context);
    await becomeOwnerInBrowser(page, (await server.app.services.adminLinks.ownerSetupLinkIfNeeded(baseUrl))!);
    await page.locator('[data-testid=admin-name]').waitFor();
    const credential = await context.request.post(`${baseUrl}/api/v1/admin/api-credentials`, { data: { name: 'a backend with a long name' }, headers: { origin: baseUrl } });
    expect(credential.status()).toBe(201);
    await page.close();
  });

  afterAll(() => closeAll([context].filter(Boolean), browser, server));

  async function newPage(): Promise<Page> {
    const page = await newBoundedPage(context);
    problems.watch(page);
    return page;
  }

  /** Opens a panel page by its hash and waits until nothing on it is loading. */
  async function openPanel(page: Page, hash: string, heading: string): Promise<void> {
    await page.goto(`${baseUrl}/admin${hash}`);
    await page.locator('main.content > h1', { hasText: heading }).waitFor();
    await page.waitForFunction(() => ![...document.querySelectorAll('body *')].some((e) => e.childElementCount === 0 && /^(Loading…|Connecting…)$/.test(e.textContent?.trim() ?? '')));
  }

  for (const [name, heading] of PAGES) {
    it(`${heading} fits the width`, async () => {
      const page = await newPage();
      await openPanel(page, `#/${name}`, heading);
      await page.screenshot({ path: outputPath(`admin-mobile-${name}.png`), fullPage: true });
      expect(await sideways(page)).toEqual([]);
      await page.close();
      problems.check();
    });
  }

  it('the inbox is two screens: the list, then the conversation with Back and a working composer', async () => {
    const page = await newPage();
    await openPanel(page, '#/inbox', 'Inbox');
    const list = page.getByRole('navigation', { name: 'Conversations' });
    const thread = page.locator('section.thread');
    expect(await list.isVisible()).toBe(true);
    expect(await thread.isVisible()).toBe(false);

    const entry = list.locator(`a[data-conversation-id="${conversationId}"]`);
    await entry.click();
    await page.waitForURL(`${baseUrl}/admin#/inbox/${conversationId}`);
    await page.locator('ol.messages li.msg').nth(MESSAGES.length - 1).waitFor();
    expect(await list.isVisible()).toBe(false);
    expect(await thread.isVisible()).toBe(true);
    // Focus went with the admin, to the conversation's heading, instead of falling to the page.
    await page.waitForFunction(() => document.activeElement?.matches('section.thread h2'));
    await page.screenshot({ path: outputPath('admin-mobile-inbox-thread.png'), fullPage: true });
    expect(await sideways(page)).toEqual([]);

    const back = page.getByRole('link', { name: 'Back to conversations', exact: true });
    const box = (await back.boundingBox())!;
    expect(box.width).toBeGreaterThanOrEqual(44);
    expect(box.height).toBeGreaterThanOrEqual(44);

    // The composer is on screen and sends.
    const reply = page.getByRole('textbox', { name: 'Reply', exact: true });
    await reply.scrollIntoViewIfNeeded();
    const replyBox = (await reply.boundingBox())!;
    expect(replyBox.x).toBeGreaterThanOrEqual(0);
    expect(replyBox.x + replyBox.width).toBeLessThanOrEqual(PHONE.width);
    const send = page.getByRole('button', { name: 'Send', exact: true });
    const sendBox = (await send.boundingBox())!;
    expect(sendBox.x + sendBox.width).toBeLessThanOrEqual(PHONE.width);
    await reply.fill('We are on it.');
    await reply.press('Enter');
    await page.locator('ol.messages li.msg.mine', { hasText: 'We are on it.' }).waitFor();

    await back.click();
    await page.waitForURL(`${baseUrl}/admin#/inbox`);
    await list.waitFor();
    await thread.waitFor({ state: 'hidden' });
    await page.waitForFunction((id) => document.activeElement?.getAttribute('data-conversation-id') === id, conversationId);
    await page.close();
    problems.check();
  });

  it('the sections are behind Menu: it opens them, a section closes them, Escape closes them and gives focus back', async () => {
    const page = await newPage();
    await openPanel(page, '#/overview', 'Overview');
    const menu = page.getByRole('button', { name: 'Menu', exact: true });
    const sections = page.getByRole('navigation', { name: 'Admin sections' });
    expect(await menu.getAttribute('aria-expanded')).toBe('false');
    expect(await sections.isVisible()).toBe(false);
    const box = (await menu.boundingBox())!;
    expect(Math.min(box.width, box.height)).toBeGreaterThanOrEqual(44);

    await menu.click();
    expect(await menu.getAttribute('aria-expanded')).toBe('true');
    await sections.waitFor();
    await page.screenshot({ path: outputPath('admin-mobile-menu.png') });
    expect(await sideways(page)).toEqual([]);
    await sections.getByRole('link', { name: 'Users', exact: true }).click();
    await page.locator('main.content > h1', { hasText: 'Users' }).waitFor();
    await sections.waitFor({ state: 'hidden' });
    expect(await menu.getAttribute('aria-expanded')).toBe('false');

    await menu.click();
    await sections.getByRole('link', { name: 'Audit log', exact: true }).focus();
    await page.keyboard.press('Escape');
    await sections.waitFor({ state: 'hidden' });
    await page.waitForFunction(() => document.activeElement?.textContent === 'Menu');
    await page.close();
    problems.check();
  });

  it('renames the open conversation: Rename, type, Enter saves; Escape leaves it as it was', async () => {
    const page = await newPage();
    await openPanel(page, `#/inbox/${conversationId}`, 'Inbox');
    const title = page.locator('[data-testid=conversation-title]');
    await title.waitFor();
    await page.getByRole('button', { name: 'Rename conversation', exact: true }).click();
    const field = page.getByRole('textbox', { name: 'Conversation title', exact: true });
    await page.waitForFunction(() => document.activeElement === document.querySelector('form.rename-form input'));
    await field.fill('Sign-in trouble');
    await field.press('Enter');
    await page.getByRole('status').filter({ hasText: 'Conversation renamed.' }).waitFor();
    expect(await title.textContent()).toBe('Sign-in trouble');
    await page.waitForFunction(() => document.activeElement?.getAttribute('aria-label') === 'Rename conversation');
    expect(await sideways(page)).toEqual([]);

    await page.getByRole('button', { name: 'Rename conversation', exact: true }).click();
    await field.fill('Not this');
    await field.press('Escape');
    await field.waitFor({ state: 'detached' });
    expect(await title.textContent()).toBe('Sign-in trouble');

    // The server has the new title, and the list shows it.
    const listed = await context.request.get(`${baseUrl}/api/v1/admin/conversations`);
    const { conversations } = (await listed.json()) as { conversations: Conversation[] };
    expect(conversations.find((c) => c.id === conversationId)?.title).toBe('Sign-in trouble');
    await page.getByRole('link', { name: 'Back to conversations', exact: true }).click();
    expect(await page.locator(`a[data-conversation-id="${conversationId}"] .subject`).textContent()).toBe('Sign-in trouble');
    await page.close();
    problems.check();
  });

  it('at 768 px the list and the conversation show side by side, without Back', async () => {
    const page = await newPage();
    await page.setViewportSize({ width: 768, height: 800 });
    await openPanel(page, `#/inbox/${conversationId}`, 'Inbox');
    await page.locator('ol.messages li.msg').first().waitFor();
    expect(await page.getByRole('navigation', { name: 'Conversations' }).isVisible()).toBe(true);
    expect(await page.locator('section.thread').isVisible()).toBe(true);
    expect(await page.locator('.thread-head .back').isVisible()).toBe(false);
    expect(await sideways(page)).toEqual([]);
    await page.close();
    problems.check();
  });
});
