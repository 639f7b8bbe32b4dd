/**
 * The hosted page end to end in a real browser (Debian's Chromium driven by playwright-core) against a real
 * Parley server on a random port: sign in by link, send a message, see live messages in two tabs, a phone's
 * width, the error page of an expired link, and the signed-out view once the session is revoked elsewhere. Needs the browser assets built (`node scripts/build.mjs`, which `npm test`
 * runs first).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Conversation, ExchangeResponse, Message, MessagePage } from '#shared/api.js';
import { signExternalToken } from '../../server/src/auth/sign-external-token.js';
import { canRunChromium, closeAll, launchChromium, newBoundedContext, newBoundedPage, outputPath, sideways, WAIT_MS } from '../helpers/browser.js';
import { apiClient, startLiveParley, type LiveParley } from '../helpers/live-server.js';

const HAS_CHROMIUM = canRunChromium('Hosted-page browser tests');

const SECRET = 'e2e-secret-that-is-certainly-longer-than-32-bytes';

describe.skipIf(!HAS_CHROMIUM)('hosted page in Chromium', () => {
  let server: LiveParley | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext;
  let baseUrl: string;
  const pageErrors: string[] = [];

  const sign = (payload: Record<string, unknown>, issuedAt = Math.floor(Date.now() / 1000), expiresInSeconds = 600) =>
    signExternalToken({ secret: new TextEncoder().encode(SECRET), kid: 'env', payload, issuedAt, expiresInSeconds });

  const api = apiClient(() => baseUrl);

  /** A bearer session for Alice, as the widget or an SDK gets one. */
  async function aliceSession(): Promise<ExchangeResponse> {
    const res = await api<ExchangeResponse>('POST', '/api/v1/auth/exchange', { body: { externalAuthCode: await sign({ user: { id: 'alice', name: 'Alice' } }) } });
    expect(res.status).toBe(200);
    return res.body;
  }

  async function newPage(): Promise<Page> {
    const page = await newBoundedPage(context);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    return page;
  }

  const messageItems = (page: Page, text: string) => page.locator('ol.messages li.msg', { hasText: text });
  const liveReady = (page: Page) => page.waitForSelector('body[data-live="ready"]', { state: 'attached', timeout: WAIT_MS });

  beforeAll(async () => {
    server = await startLiveParley({ PARLEY_EXTERNAL_AUTH_SECRET: SECRET, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent' }, { heartbeatMs: 1_000 });
    baseUrl = server.origin;
    browser = await launchChromium();
    context = await newBoundedContext(browser, { viewport: { width: 1000, height: 700 } });
  });

  afterAll(() => closeAll([], browser, server));

  let chat: Page;
  let conversationId: string;

  it('signs in by link, lands on / without the code, and sends a message', async () => {
    chat = await newPage();
    const code = await sign({ user: { id: 'alice', name: 'Alice' } });
    const response = await chat.goto(`${baseUrl}/?externalAuthCode=${encodeURIComponent(code)}`);
    expect(response?.status()).toBe(200);
    expect(chat.url()).toBe(`${baseUrl}/`);
    expect(chat.url()).not.toContain('externalAuthCode');
    expect(response?.request().redirectedFrom()?.url()).toContain('externalAuthCode=');

    await chat.locator('[data-testid=user-name]').waitFor();
    expect(await chat.locator('[data-testid=user-name]').textContent()).toBe('Alice');
    expect(await chat.locator('header.top .who').textContent()).toBe('Signed in as Alice');
    await chat.getByText('No conversations yet. Start one!').waitFor();

    await chat.getByRole('button', { name: 'New conversation', exact: true }).click();
    await chat.locator('section.thread h2', { hasText: 'New conversation' }).waitFor();
    const composer = chat.getByRole('textbox', { name: 'Message', exact: true });
    await composer.click();
    await composer.pressSequentially('Hello from **Chromium**', { delay: 5 });
    await composer.press('Enter');

    const sent = chat.locator('ol.messages li.msg[data-status="sent"]', { hasText: 'Hello from Chromium' });
    await sent.waitFor();
    expect(await messageItems(chat, 'Hello from Chromium').count()).toBe(1);
    expect(await sent.locator('strong').textContent()).toBe('Chromium');
    expect(await sent.locator('.author').textContent()).toBe('You');
    expect(await composer.inputValue()).toBe('');
    const shownId = await sent.getAttribute('data-message-id');
    expect(shownId).toMatch(/^(?!pending:)\S+$/);

    // The server has it, as Alice's, with the id the page shows.
    const { session, user } = await aliceSession();
    const list = await api<{ conversations: Conversation[] }>('GET', '/api/v1/conversations', { token: session.token });
    expect(list.status).toBe(200);
    expect(list.body.conversations.map((c) => c.title)).toEqual(['Hello from **Chromium**']);
    conversationId = list.body.conversations[0]!.id;
    const page = await api<MessagePage>('GET', `/api/v1/conversations/${conversationId}/messages`, { token: session.token });
    expect(page.status).toBe(200);
    expect(page.body.messages).toEqual([
      expect.objectContaining({ id: shownId, conversationId, text: 'Hello from **Chromium**', author: { type: 'user', id: user.id, name: 'Alice', avatarUrl: null, agent: false } }),
    ]);

    await chat.screenshot({ path: outputPath('hosted-page-chat.png') });
    expect(pageErrors).toEqual([]);
  });

  it('shows a message posted through the API live in two tabs, without reloading', async () => {
    expect(conversationId, 'the first test created the conversation').toBeDefined();
    const second = await newPage();
    await second.goto(`${baseUrl}/`);
    await second.locator('[data-testid=user-name]', { hasText: 'Alice' }).waitFor();
    await second.locator(`ul.conversations button[data-conversation-id="${conversationId}"]`).click();
    await messageItems(second, 'Hello from Chromium').waitFor();
    await Promise.all([liveReady(chat), liveReady(second)]);
    // A marker that a reload would wipe.
    for (const page of [chat, second]) await page.evaluate(() => ((window as unknown as { parleyMarker: string }).parleyMarker = 'no-reload'));

    const { session } = await aliceSession();
    const posted = await api<{ message: Message }>('POST', `/api/v1/conversations/${conversationId}/messages`, {
      token: session.token,
      body: { text: 'Posted over *REST*', clientMessageId: 'e2e-rest-1' },
    });
    expect(posted.status).toBe(201);

    for (const page of [chat, second]) {
      const item = page.locator(`ol.messages li.msg[data-message-id="${posted.body.message.id}"][data-status="sent"]`);
      await item.waitFor();
      expect(await item.locator('.md').textContent()).toBe('Posted over REST');
      expect(await item.locator('em').textContent()).toBe('REST');
      expect(await page.evaluate(() => (window as unknown as { parleyMarker?: string }).parleyMarker)).toBe('no-reload');
    }
    // The list previews the text as read (its Markdown marks dropped).
    await vi.waitFor(async () => expect(await chat.locator('ul.conversations .preview').textContent()).toBe('Posted over REST'), { timeout: WAIT_MS, interval: 50 });
    // Once each: a sentinel posted after it. Each tab's stream delivers in order, so once a tab shows the
    // sentinel, a duplicate of either message would have shown up before it.
    const sentinel = await api<{ message: Message }>('POST', `/api/v1/conversations/${conversationId}/messages`, {
      token: session.token,
      body: { text: 'Sentinel', clientMessageId: 'e2e-rest-sentinel' },
    });
    expect(sentinel.status).toBe(201);
    for (const page of [chat, second]) {
      await page.locator(`ol.messages li.msg[data-message-id="${sentinel.body.message.id}"][data-status="sent"]`).waitFor();
      expect(await page.locator('ol.messages li.msg').allTextContents()).toEqual([
        expect.stringContaining('Hello from Chromium'),
        expect.stringContaining('Posted over REST'),
        expect.stringContaining('Sentinel'),
      ]);
    }
    await second.close();
    expect(pageErrors).toEqual([]);
  });

  it('fits a phone: the list and a conversation with a long code line never scroll the page sideways', async () => {
    const phone = await newBoundedContext(browser!, { viewport: { width: 375, height: 667 } });
    const page = await newBoundedPage(phone);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    const code = await sign({ user: { id: 'pat', name: 'Pat' } });
    const exchange = await api<ExchangeResponse>('POST', '/api/v1/auth/exchange', { body: { externalAuthCode: code } });
    const { token } = exchange.body.session;
    const created = await api<{ conversation: Conversation }>('POST', '/api/v1/conversations', { token, body: { title: 'On a phone' } });
    const text = `Here:\n- a list\n\n\`\`\`\n${'x'.repeat(40)} at verify (server/src/auth/session-auth.ts:123:45)\n\`\`\`\n${'averyveryverylongword'.repeat(4)}`;
    expect((await api('POST', `/api/v1/conversations/${created.body.conversation.id}/messages`, { token, body: { text, clientMessageId: 'phone-1' } })).status).toBe(201);

    await page.goto(`${baseUrl}/?externalAuthCode=${encodeURIComponent(await sign({ user: { id: 'pat', name: 'Pat' } }))}`);
    await page.locator('ul.conversations button').first().click();
    await page.locator('ol.messages li.msg pre').waitFor();
    expect(await sideways(page)).toEqual([]);
    await page.screenshot({ path: outputPath('hosted-page-phone.png') });
    await phone.close();
    expect(pageErrors).toEqual([]);
  });

  it('shows the error page with status 401 for an expired link', async () => {
    const page = await newPage();
    const now = Math.floor(Date.now() / 1000);
    const expired = await sign({ user: { id: 'alice', name: 'Alice' } }, now - 2 * 3600, 3600);
    const response = await page.goto(`${baseUrl}/?externalAuthCode=${encodeURIComponent(expired)}`);
    // The failure lands on the URL without the code (303), which shows the error page with its status.
    expect(response?.status()).toBe(401);
    expect(response?.request().redirectedFrom()?.url()).toContain('externalAuthCode=');
    expect(page.url()).toBe(`${baseUrl}/`);
    expect(await page.locator('h1').textContent()).toBe('Sign-in link expired');
    expect(await page.locator('main.error').getAttribute('data-code')).toBe('token_expired');
    expect(await page.content()).not.toContain(expired);
    expect(await page.locator('[data-testid=user-name]').count()).toBe(0);
    await page.close();
  });

  it('shows the signed-out view, without a reload, once the session is revoked elsewhere', async () => {
    expect(conversationId, 'the first test signed in and opened the conversation').toBeDefined();
    await chat.locator('[data-testid=user-name]', { hasText: 'Alice' }).waitFor();
    await liveReady(chat);
    await chat.evaluate(() => ((window as unknown as { parleyMarker: string }).parleyMarker = 'no-reload'));
    const { user } = await aliceSession();

    // Every session of Alice's ends (an admin, the CLI, another instance): the server closes her stream at
    // the next heartbeat (1 s here), the EventSource's reconnect is refused with 401 and it gives up for good.
    await server!.app.services.sessions.revokeAllForUser(user.id);
    await chat.getByRole('heading', { name: 'You are not signed in' }).waitFor({ timeout: 10_000 });
    expect(await chat.locator('main.signed-out p').textContent()).toBe('Open the chat from the product you use: it signs you in automatically.');
    expect(await chat.locator('ol.messages').count()).toBe(0);
    expect(await chat.locator('[data-testid=user-name]').count()).toBe(0);
    expect(await chat.evaluate(() => (window as unknown as { parleyMarker?: string }).parleyMarker)).toBe('no-reload');
    expect(pageErrors).toEqual([]);
  });
});
