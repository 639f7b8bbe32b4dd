/**
 * The embeddable widget end to end in a real browser (Debian's Chromium driven by playwright-core): a host
 * page on another origin (its own node:http server) with a strict Content-Security-Policy embeds
 * `widget.js` with one tag, against a real Parley server on a random port. Checks what happy-dom cannot:
 * Shadow DOM, focus, CSP, CORS, cookies and globals, live events over a real stream, and axe-core.
 * Needs the browser assets built (`node scripts/build.mjs`, which `npm test` runs first).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Conversation, ExchangeResponse, Message, MessagePage } from '#shared/api.js';
import { signExternalToken } from '../../server/src/auth/sign-external-token.js';
import { PUBLIC_DIR } from '../../server/src/paths.js';
import { readManifest } from '../../server/src/routes/pages/index.js';
import { pickLocale } from '../../widget/src/i18n/locales.js';
import { canRunChromium, closeAll, injectAxe, launchChromium, newBoundedContext, newBoundedPage, outputPath, PageProblems, seriousAxeViolations, WAIT_MS, type AxeResult } from '../helpers/browser.js';
import { apiClient, startLiveParley, type LiveParley } from '../helpers/live-server.js';
import { startHostServer, widgetParts, type HostPageOptions, type HostServer } from '../helpers/widget-host.js';

const HAS_CHROMIUM = canRunChromium('Widget browser tests');

const SECRET = 'e2e-widget-secret-that-is-certainly-longer-than-32-bytes';
const en = pickLocale('en', []).strings;
const ar = pickLocale('ar', []).strings;

describe.skipIf(!HAS_CHROMIUM)('the widget on a third-party page in Chromium', () => {
  let server: LiveParley | undefined;
  let browser: Browser | undefined;
  let host: HostServer | undefined;
  let stranger: HostServer | undefined;
  let parley: string;
  const contexts: BrowserContext[] = [];
  const problems = new PageProblems();

  const sign = (payload: Record<string, unknown>) =>
    signExternalToken({ secret: new TextEncoder().encode(SECRET), kid: 'env', payload, issuedAt: Math.floor(Date.now() / 1000), expiresInSeconds: 600 });
  const aliceCode = () => sign({ user: { id: 'alice', name: 'Alice' } });
  const api = apiClient(() => parley);

  /** A bearer session of its own, as an SDK or another tab of the same person gets one. */
  async function exchange(payload: Record<string, unknown>): Promise<ExchangeResponse> {
    const res = await api<ExchangeResponse>('POST', '/api/v1/auth/exchange', { body: { externalAuthCode: await sign(payload) } });
    expect(res.status).toBe(200);
    return res.body;
  }

  async function newContext(): Promise<BrowserContext> {
    const context = await newBoundedContext(browser!, { reportCsp: true });
    contexts.push(context);
    return context;
  }

  async function newPage(context?: BrowserContext): Promise<Page> {
    const page = await newBoundedPage(context ?? (await newContext()));
    problems.watch(page);
    return page;
  }

  /** Opens a host page embedding the widget for `code` and waits for the launcher. */
  async function hostPage(options: Omit<HostPageOptions, 'parley'> & { on?: HostServer }, page?: Page): Promise<Page> {
    const { on, ...rest } = options;
    const target = page ?? (await newPage());
    const response = await target.goto((on ?? host!).page({ parley, ...rest }));
    expect(response?.status()).toBe(200);
    if (rest.code) await launcher(target).waitFor();
    return target;
  }

  const { launcher, panel, items, composer } = widgetParts;
  const widget = (page: Page) => page.locator('[data-parley-widget]');
  const userName = (page: Page) => page.locator('[data-parley-widget] [data-testid=user-name]');
  const badge = (page: Page) => page.locator('[data-parley-widget] [data-testid=unread]');

  /** Where keyboard focus really is: through the open shadow root, with what a test needs to name it. */
  const focused = (page: Page) =>
    page.evaluate(() => {
      let element: Element | null = document.activeElement;
      while (element?.shadowRoot?.activeElement) element = element.shadowRoot.activeElement;
      if (!element) return null;
      return {
        tag: element.tagName.toLowerCase(),
        className: element.getAttribute('class') ?? '',
        label: element.getAttribute('aria-label') ?? element.textContent?.trim() ?? '',
        inWidget: element.getRootNode() !== document,
        inPanel: element.closest('.panel') !== null,
      };
    });

  /** Waits (bounded) until focus matches: the widget moves focus in an effect, just after it redraws. */
  const expectFocus = (page: Page, expected: Partial<NonNullable<Awaited<ReturnType<typeof focused>>>>) =>
    vi.waitFor(async () => expect(await focused(page)).toMatchObject(expected), { timeout: WAIT_MS, interval: 20 });

  /** Opens the panel with a click and waits for the signed-in user. */
  async function openPanel(page: Page, name = 'Alice') {
    await launcher(page).click();
    await userName(page).filter({ hasText: name }).waitFor();
  }

  beforeAll(async () => {
    host = await startHostServer();
    stranger = await startHostServer();
    server = await startLiveParley(
      {
        PARLEY_EXTERNAL_AUTH_SECRET: SECRET,
        HOST: '127.0.0.1',
        PORT: '0',
        LOG_LEVEL: 'silent',
        PARLEY_ALLOWED_ORIGINS: host.origin,
      },
      { heartbeatMs: 1_000 },
    );
    parley = server.origin;
    expect(new Set([parley, host.origin, stranger.origin]).size, 'three distinct origins').toBe(3);
    browser = await launchChromium();
  });

  afterEach(() => problems.check());

  afterAll(() => closeAll(contexts, browser, server, host, stranger));

  it('is a good guest: a real launcher button, only window.Parley added, no cookies, no CSP violation', async () => {
    const context = await newContext();
    // The host's own handlers, which the widget must leave in place.
    await context.addInitScript({ content: 'window.onkeydown = function hostKeydown() {}; window.onmessage = function hostMessage() {}; window.onerror = function hostError() {};' });
    // The same host page without the tag: whatever the widget page has beyond it, the widget added.
    const control = await hostPage({ code: null }, await newPage(context));
    const before = await control.evaluate(() => ({
      globals: Object.getOwnPropertyNames(window),
      bodyChildren: document.body.children.length,
    }));
    await control.close();

    const page = await hostPage({ code: await aliceCode() }, await newPage(context));
    const button = page.getByRole('button', { name: en.openChat, exact: true });
    await button.waitFor();
    expect(await button.evaluate((b) => [b.tagName, b.getAttribute('type'), b.getAttribute('aria-expanded')])).toEqual(['BUTTON', 'button', 'false']);
    expect(await launcher(page).isVisible()).toBe(true);
    // It lives in an open shadow root of the one element it adds.
    expect(await widget(page).count()).toBe(1);
    expect(await page.evaluate(() => document.querySelector('[data-parley-widget]')?.shadowRoot?.querySelector('button.launcher') != null)).toBe(true);

    await openPanel(page);
    const after = await page.evaluate(() => ({
      globals: Object.getOwnPropertyNames(window),
      bodyChildren: document.body.children.length,
      lightDomStyles: document.querySelectorAll('style, link[rel=stylesheet], [style]').length,
      scripts: [...document.scripts].map((s) => s.src),
      cookie: document.cookie,
      parley: typeof (window as unknown as { Parley?: { open?: unknown } }).Parley?.open,
      handlers: [window.onkeydown?.name, window.onmessage?.name, (window.onerror as { name?: string } | null)?.name],
    }));
    const added = after.globals.filter((name) => !before.globals.includes(name));
    expect(added).toEqual(['Parley']);
    expect(after.parley).toBe('function');
    expect(after.handlers).toEqual(['hostKeydown', 'hostMessage', 'hostError']);
    // Beyond the control page: the integrator's tag and the widget's one host element; no other script, no style.
    expect(after.bodyChildren).toBe(before.bodyChildren + 2);
    expect(after.scripts).toEqual([`${parley}/widget.js`]);
    expect(after.lightDomStyles).toBe(0);
    expect(after.cookie).toBe('');
    expect(await context.cookies([host!.origin])).toEqual([]);
    expect(await context.cookies()).toEqual([]);
  });

  it("fetches the panel with the chunk it imports, then the open conversation's view unasked, while the home view shows", async () => {
    const manifest = readManifest(PUBLIC_DIR);
    const page = await newPage();
    const assets: string[] = [];
    page.on('requestfinished', (r) => {
      const path = new URL(r.url()).pathname;
      if (path.startsWith('/assets/panel-')) assets.push(path);
    });
    const thread = page.waitForRequest((r) => new URL(r.url()).pathname === manifest['panel-thread.js'], { timeout: WAIT_MS });
    await hostPage({ code: await aliceCode() }, page);
    await openPanel(page);
    await page.locator('[data-parley-widget] .home textarea').waitFor();
    // Nobody opened a conversation: the view arrives anyway, so that opening one does not wait for it.
    await (await thread).response();
    await vi.waitFor(() => expect(assets).toContain(manifest['panel-thread.js']), { timeout: WAIT_MS });
    expect([...assets].sort()).toEqual([manifest['panel.js'], manifest['panel-shared.js'], manifest['panel.css'], manifest['panel-thread.js']].sort());
  });

  it("a conversation whose view failed to load offers Retry, which asks for it again under another URL", async () => {
    const manifest = readManifest(PUBLIC_DIR);
    const rita = await exchange({ user: { id: 'rita', name: 'Rita' } });
    expect((await api('POST', '/api/v1/conversations', { token: rita.session.token, body: { message: { text: 'Where is my order?', clientMessageId: 'rita-1' } } })).status).toBe(201);
    // Its own page, not watched for problems: the refused module is the point.
    const page = await newBoundedPage(await newContext());
    const asked: string[] = [];
    page.on('request', (r) => {
      const url = new URL(r.url());
      if (url.pathname === manifest['panel-thread.js']) asked.push(url.search);
    });
    const refuse = (route: import('playwright-core').Route) => route.fulfill({ status: 503, body: 'down' });
    const isThread = (url: URL) => url.pathname === manifest['panel-thread.js'];
    await page.route(isThread, refuse);
    await hostPage({ code: await sign({ user: { id: 'rita', name: 'Rita' } }) }, page);
    await openPanel(page, 'Rita');
    await page.locator('[data-parley-widget] ul.conversations button').filter({ hasText: 'Where is my order?' }).click();
    await page.locator('[data-parley-widget] .thread [role=alert]').filter({ hasText: en.errorGeneric }).waitFor();
    expect(await page.locator('[data-parley-widget] .thread .head button.back').count()).toBe(1);
    // Back online: Retry loads the view under a URL the browser has not seen fail.
    await page.unroute(isThread, refuse);
    await page.locator('[data-parley-widget] .thread button.retry').click();
    await items(page).filter({ hasText: 'Where is my order?' }).waitFor();
    expect(asked.length).toBeGreaterThanOrEqual(2);
    expect(asked[0]).toBe('');
    expect(asked.at(-1)).toMatch(/^\?retry=\d+$/);
  });

  let alice: Page;
  let conversationId: string;

  it('opens to the signed-in user; a message sent there reaches the server; one from another session appears live', async () => {
    alice = await hostPage({ code: await aliceCode() });
    await openPanel(alice);
    expect(await userName(alice).textContent()).toBe('Alice');
    expect(await launcher(alice).getAttribute('aria-expanded')).toBe('true');
    expect(await launcher(alice).getAttribute('aria-label')).toBe(en.closeChat);

    // The home view: the greeting with Alice's first name and a composer that has focus; writing creates the
    // conversation with its first message, and opening the panel created nothing.
    expect(await alice.locator('[data-parley-widget] .hero .greeting').textContent()).toBe('Hi Alice 👋 — ask us anything');
    await expectFocus(alice, { tag: 'textarea', inPanel: true });
    const before = await exchange({ user: { id: 'alice', name: 'Alice' } });
    expect((await api<{ conversations: Conversation[] }>('GET', '/api/v1/conversations', { token: before.session.token })).body.conversations).toEqual([]);
    await composer(alice).pressSequentially('Hello from the **widget**', { delay: 5 });
    await composer(alice).press('Enter');
    const sent = items(alice).and(alice.locator('[data-status="sent"]')).filter({ hasText: 'Hello from the widget' });
    await sent.waitFor();
    expect(await sent.locator('strong').textContent()).toBe('widget');
    expect(await sent.locator('.author').textContent()).toBe(en.you);
    expect(await composer(alice).inputValue()).toBe('');
    const shownId = await sent.getAttribute('data-message-id');
    expect(shownId).toMatch(/^(?!pending:)\S+$/);

    // The server has it, as Alice's, under the id the widget shows.
    const other = await exchange({ user: { id: 'alice', name: 'Alice' } });
    const list = await api<{ conversations: Conversation[] }>('GET', '/api/v1/conversations', { token: other.session.token });
    expect(list.status).toBe(200);
    // Its title is its first message's first line.
    expect(list.body.conversations.map((c) => c.title)).toEqual(['Hello from the **widget**']);
    conversationId = list.body.conversations[0]!.id;
    const page = await api<MessagePage>('GET', `/api/v1/conversations/${conversationId}/messages`, { token: other.session.token });
    expect(page.body.messages).toEqual([
      expect.objectContaining({ id: shownId, conversationId, text: 'Hello from the **widget**', author: { type: 'user', id: other.user.id, name: 'Alice', avatarUrl: null, agent: false } }),
    ]);

    // Posted elsewhere (another session, its own clientMessageId): shown live, without a reload.
    await alice.evaluate(() => ((document.body as HTMLElement).dataset['marker'] = 'no-reload'));
    const posted = await api<{ message: Message }>('POST', `/api/v1/conversations/${conversationId}/messages`, {
      token: other.session.token,
      body: { text: 'Posted over *REST*', clientMessageId: 'e2e-widget-rest-1' },
    });
    expect(posted.status).toBe(201);
    const live = alice.locator(`[data-parley-widget] li.msg[data-message-id="${posted.body.message.id}"][data-status="sent"]`);
    await live.waitFor();
    expect(await live.locator('em').textContent()).toBe('REST');
    expect(await alice.evaluate(() => document.body.dataset['marker'])).toBe('no-reload');
    // Once each: a sentinel posted after both. The stream delivers in order, so once the widget shows the
    // sentinel, a duplicate of either message (the echo of the widget's own one included) would have shown first.
    const sentinel = await api<{ message: Message }>('POST', `/api/v1/conversations/${conversationId}/messages`, {
      token: other.session.token,
      body: { text: 'Sentinel', clientMessageId: 'e2e-widget-rest-sentinel' },
    });
    expect(sentinel.status).toBe(201);
    await alice.locator(`[data-parley-widget] li.msg[data-message-id="${sentinel.body.message.id}"][data-status="sent"]`).waitFor();
    expect(await items(alice).allTextContents()).toEqual([
      expect.stringContaining('Hello from the widget'),
      expect.stringContaining('Posted over REST'),
      expect.stringContaining('Sentinel'),
    ]);
    expect(await items(alice).count()).toBe(3);

    await alice.screenshot({ path: outputPath('widget-open.png') });
  });

  it("counts another participant's messages on the launcher while closed, not the user's own, and clears on open", async () => {
    expect(conversationId, 'the previous test created the conversation').toBeDefined();
    // Conversations have only their creator today: Bob joins Alice's conversation in the database.
    const bob = await exchange({ user: { id: 'bob', name: 'Bob' } });
    await server!.db.store.db.insertInto('participants').values({ conversation_id: conversationId, user_id: bob.user.id, joined_at: Date.now() }).execute();
    const aliceElsewhere = await exchange({ user: { id: 'alice', name: 'Alice' } });

    await alice.locator('[data-parley-widget] .panel button.close').click();
    await panel(alice).waitFor({ state: 'hidden' });
    expect(await badge(alice).count()).toBe(0);

    const post = async (token: string, text: string, clientMessageId: string) => {
      const res = await api<{ message: Message }>('POST', `/api/v1/conversations/${conversationId}/messages`, { token, body: { text, clientMessageId } });
      expect(res.status).toBe(201);
    };
    // Alice's own message from another session reaches the widget (Parley.on('message') says so) and is not counted.
    await alice.evaluate(() => {
      const parley = (window as unknown as { Parley: { on(e: string, f: (m: { text: string }) => void): () => void } }).Parley;
      parley.on('message', (m) => (document.body.dataset['lastMessage'] = m.text));
    });
    await post(aliceElsewhere.session.token, 'Mine, from my phone', 'e2e-widget-own-1');
    await alice.locator('body[data-last-message="Mine, from my phone"]').waitFor({ state: 'attached' });
    expect(await badge(alice).count()).toBe(0);
    expect(await launcher(alice).getAttribute('aria-label')).toBe(en.openChat);

    await post(bob.session.token, 'Hi Alice, Bob here', 'e2e-widget-bob-1');
    await badge(alice).filter({ hasText: /^1$/ }).waitFor();
    expect(await launcher(alice).getAttribute('aria-label')).toBe(`${en.openChat} (${en.unread(1)})`);
    await post(bob.session.token, 'Are you there?', 'e2e-widget-bob-2');
    await badge(alice).filter({ hasText: /^2$/ }).waitFor();
    expect(await launcher(alice).getAttribute('aria-label')).toBe(`${en.openChat} (${en.unread(2)})`);
    expect(await alice.locator('[data-parley-widget] .parley > .sr-only[aria-live=polite]').textContent()).toBe(en.unread(2));

    await launcher(alice).click();
    await panel(alice).waitFor();
    await badge(alice).waitFor({ state: 'hidden' });
    expect(await launcher(alice).getAttribute('aria-label')).toBe(en.closeChat);
    // Reopened, the panel is back in the thread it was closed on.
    const bobs = items(alice).filter({ hasText: 'Are you there?' });
    await bobs.waitFor();
    expect(await bobs.locator('.author').textContent()).toBe('Bob');
    expect(await bobs.getAttribute('class')).toContain('theirs');

    // Screen readers hear what Bob writes now, and only that: not the history the conversation opened with.
    const announcer = alice.locator('[data-parley-widget] .announcer[aria-live=polite]');
    expect(await announcer.locator('p').count()).toBe(0);
    expect(await alice.locator('[data-parley-widget] [aria-live]').count()).toBe(2); // this one and the unread count
    await post(bob.session.token, 'Still there?', 'e2e-widget-bob-3');
    await announcer.locator('p', { hasText: 'Still there?' }).waitFor({ state: 'attached' });
    expect(await announcer.locator('p').allTextContents()).toEqual(['Bob: Still there?']);
    expect(await announcer.boundingBox()).toMatchObject({ width: 1, height: 1 });
  });

  it('works by keyboard alone: Tab reaches the launcher, Enter opens with focus inside, Escape closes back to the launcher', async () => {
    const page = await hostPage({ code: await sign({ user: { id: 'kim', name: 'Kim' } }), hostLink: true });
    await page.locator('body').focus();
    await page.keyboard.press('Tab');
    await expectFocus(page, { tag: 'a', label: 'A link of the host', inWidget: false });
    await page.keyboard.press('Tab');
    await expectFocus(page, { tag: 'button', className: 'launcher', label: en.openChat, inWidget: true });

    await page.keyboard.press('Enter');
    await userName(page).filter({ hasText: 'Kim' }).waitFor();
    // The home view: focus lands in its composer, ready to write the first message.
    await expectFocus(page, { tag: 'textarea', label: en.composerLabel, inPanel: true });
    expect(await launcher(page).getAttribute('aria-expanded')).toBe('true');

    await page.keyboard.press('Escape');
    await panel(page).waitFor({ state: 'hidden' });
    await expectFocus(page, { tag: 'button', className: 'launcher', label: en.openChat, inWidget: true });
    expect(await launcher(page).getAttribute('aria-expanded')).toBe('false');

    // Space toggles it too (a real <button>), and Escape from the header's close button closes it again.
    await page.keyboard.press('Space');
    await panel(page).waitFor();
    await expectFocus(page, { inPanel: true });
    await page.keyboard.press('Shift+Tab');
    await expectFocus(page, { tag: 'button', className: 'close', label: en.closeChat, inPanel: true });
    await page.keyboard.press('Escape');
    await panel(page).waitFor({ state: 'hidden' });
    await expectFocus(page, { tag: 'button', className: 'launcher', inWidget: true });
  });

  it('keyboard only, end to end: Tab, Enter, type the first message, Enter, back to the home view, Escape', async () => {
    const page = await hostPage({ code: await sign({ user: { id: 'kbd', name: 'Keyboard' } }) });
    await page.locator('body').focus();
    await page.keyboard.press('Tab');
    await expectFocus(page, { tag: 'button', className: 'launcher', inWidget: true });
    await page.keyboard.press('Enter');
    await userName(page).filter({ hasText: 'Keyboard' }).waitFor();
    await expectFocus(page, { tag: 'textarea', inPanel: true });
    await page.keyboard.type('Only keys here');
    await page.keyboard.press('Enter');
    // The conversation exists now, with this first message, and its thread took the home view's place:
    // focus follows into the thread's composer instead of being lost.
    await items(page).and(page.locator('[data-status="sent"]')).filter({ hasText: 'Only keys here' }).waitFor();
    await expectFocus(page, { tag: 'textarea', inPanel: true });
    expect(await page.locator('[data-parley-widget] .thread h3').textContent()).toContain('Only keys here');
    // My message just sent has Delete and Edit, then the messages are a tab stop of their own, so the
    // keyboard can scroll them.
    await page.keyboard.press('Shift+Tab');
    await expectFocus(page, { tag: 'button', label: en.delete, inPanel: true });
    await page.keyboard.press('Shift+Tab');
    await expectFocus(page, { tag: 'button', label: en.edit, inPanel: true });
    await page.keyboard.press('Shift+Tab');
    await expectFocus(page, { tag: 'ol', className: 'messages', inPanel: true });
    await page.keyboard.press('Shift+Tab');
    await expectFocus(page, { tag: 'button', label: en.back, inPanel: true });
    await page.keyboard.press('Enter');
    // Home again: its composer has focus, and the list shows the conversation with its last message.
    await expectFocus(page, { tag: 'textarea', inPanel: true });
    expect(await page.locator('[data-parley-widget] ul.conversations button .title').allTextContents()).toEqual(['Only keys here']);
    await page.keyboard.press('Escape');
    await panel(page).waitFor({ state: 'hidden' });
    await expectFocus(page, { tag: 'button', className: 'launcher', inWidget: true });
  });

  it('sends from the composer with Enter (Shift+Enter breaks the line), then Escape returns focus to the launcher', async () => {
    const page = await hostPage({ code: await sign({ user: { id: 'kim', name: 'Kim' } }) });
    await openPanel(page, 'Kim');
    // The home composer has focus without a pointer; from here on only keys are used.
    await expectFocus(page, { tag: 'textarea', inPanel: true });
    await page.keyboard.type('Typed without');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('a mouse');
    expect(await composer(page).inputValue()).toBe('Typed without\na mouse');
    await page.keyboard.press('Enter');
    const sent = items(page).and(page.locator('[data-status="sent"]')).filter({ hasText: 'a mouse' });
    await sent.waitFor();
    expect(await sent.locator('.md').innerText()).toBe('Typed without\na mouse');
    expect(await sent.locator('.md br').count()).toBe(1);
    expect(await composer(page).inputValue()).toBe('');
    await expectFocus(page, { tag: 'textarea', inPanel: true });

    await page.keyboard.press('Escape');
    await panel(page).waitFor({ state: 'hidden' });
    await expectFocus(page, { tag: 'button', className: 'launcher', label: en.openChat, inWidget: true });
  });

  it('shows origin_not_allowed on a host page whose origin is not in the allowlist', async () => {
    const page = await newPage();
    // The exchange starts as the page loads: listen before it does.
    const refused = page.waitForResponse((r) => r.url() === `${parley}/api/v1/auth/exchange` && r.request().method() === 'POST');
    await hostPage({ code: await aliceCode(), on: stranger }, page);
    expect((await refused).status()).toBe(403);
    await launcher(page).click();
    const error = page.locator('[data-parley-widget] .panel [data-code]');
    await error.waitFor();
    expect(await error.getAttribute('data-code')).toBe('origin_not_allowed');
    expect(await error.textContent()).toBe(en.errors['origin_not_allowed']);
    expect(await error.getAttribute('role')).toBe('alert');
    expect(await userName(page).count()).toBe(0);
    expect(await page.locator('[data-parley-widget] .chat').count()).toBe(0);
    // Chrome logs the refused request itself; that is the point of this test, not a problem of the page.
    problems.allow(/^console error: Failed to load resource: the server responded with a status of 403/);
  });

  it('has no serious or critical axe-core violation with the panel open', async () => {
    // axe injects its own <style>, which a strict CSP (rightly) refuses: this page has none.
    const page = await hostPage({ code: await aliceCode(), csp: false });
    await openPanel(page);
    await page.locator('[data-parley-widget] ul.conversations button').first().waitFor();
    await injectAxe(page);
    // axe really looked inside the shadow root: it checked the widget's buttons' names (targets are [host, inner]).
    const checked = await page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run(context: Node, options: object): Promise<{ passes: AxeResult[] }> } }).axe;
      const result = await axe.run(document, { runOnly: ['button-name'] });
      return result.passes.flatMap((p) => p.nodes.map((n) => JSON.stringify(n.target)));
    });
    expect(checked).toEqual(expect.arrayContaining(['[["div[data-parley-widget=\\"\\"]",".launcher"]]']));
    // The conversation list, then a conversation with the user's and another participant's messages.
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.locator('[data-parley-widget] ul.conversations button').first().click();
    await items(page).filter({ hasText: 'Are you there?' }).waitFor();
    expect(await page.locator('[data-parley-widget] li.msg.mine').count()).toBeGreaterThan(0);
    expect(await page.locator('[data-parley-widget] li.msg.theirs').count()).toBeGreaterThan(0);
    expect(await seriousAxeViolations(page)).toEqual([]);
  });

  it('answers Parley.on / Parley.open / Parley.close from the page; on returns an unsubscribe function', async () => {
    const page = await hostPage({ code: await aliceCode() });
    const result = await page.evaluate(
      (timeoutMs) =>
        new Promise<{ type: string; opened: boolean }>((resolve, reject) => {
          const parley = (window as unknown as { Parley: { on(e: string, f: () => void): unknown; open(): void } }).Parley;
          setTimeout(() => reject(new Error('no open event')), timeoutMs);
          const off = parley.on('open', () => resolve({ type: typeof off, opened: true }));
          parley.open();
        }),
      WAIT_MS,
    );
    expect(result).toEqual({ type: 'function', opened: true });
    await panel(page).waitFor();
    await userName(page).filter({ hasText: 'Alice' }).waitFor();

    // close, then an unsubscribed listener hears nothing while a subscribed one does.
    const calls = await page.evaluate(async () => {
      const parley = (window as unknown as { Parley: { on(e: string, f: () => void): () => void; open(): void; close(): void; toggle(): void } }).Parley;
      const heard: string[] = [];
      const offClose = parley.on('close', () => heard.push('close'));
      const offOpen = parley.on('open', () => heard.push('open'));
      parley.close();
      offOpen();
      parley.open();
      offClose();
      parley.toggle();
      return heard;
    });
    expect(calls).toEqual(['close']);
    await panel(page).waitFor({ state: 'hidden' });
    expect(await launcher(page).getAttribute('aria-expanded')).toBe('false');
  });

  it('speaks Arabic right to left with data-locale="ar" and sits on the left with data-position="left"', async () => {
    // The launcher stays where it was when the panel opens: at the right edge by default, in Arabic too.
    const { session } = await exchange({ user: { id: 'alice', name: 'Alice' } });
    expect((await api('POST', '/api/v1/conversations', { token: session.token, body: { title: 'مرحبا' } })).status).toBe(201);
    const right = await hostPage({ code: await aliceCode(), data: { locale: 'ar' } });
    const closedRight = await launcher(right).boundingBox();
    expect(closedRight!.x + closedRight!.width).toBeGreaterThan(900);
    await launcher(right).click();
    await userName(right).filter({ hasText: 'Alice' }).waitFor();
    expect(await launcher(right).boundingBox()).toEqual(closedRight);
    const rightPanel = await panel(right).boundingBox();
    expect(rightPanel!.x + rightPanel!.width).toBeCloseTo(closedRight!.x + closedRight!.width, 0);
    // The conversation list reads from the right too.
    const item = right.locator('[data-parley-widget] ul.conversations button', { hasText: 'مرحبا' }).first();
    expect(await item.evaluate((el) => getComputedStyle(el).textAlign)).toBe('start');
    const gap = await item.evaluate((el) => {
      const range = document.createRange();
      range.selectNodeContents(el.querySelector('.title')!);
      return el.getBoundingClientRect().right - range.getBoundingClientRect().right;
    });
    expect(gap).toBeLessThan(20); // the text itself, not its box, ends at the right
    await right.screenshot({ path: outputPath('widget-arabic-open.png') });

    const page = await hostPage({ code: await aliceCode(), data: { locale: 'ar', position: 'left' } });
    const button = page.getByRole('button', { name: ar.openChat, exact: true });
    await button.waitFor();
    const box = await button.boundingBox();
    expect(box).not.toBeNull();
    expect(box!.x).toBeLessThan(100); // the viewport is 1000 wide: the left corner
    await button.click();
    await userName(page).filter({ hasText: 'Alice' }).waitFor();
    expect(await launcher(page).boundingBox()).toEqual(box);
    const layout = await page.evaluate(() => {
      const root = document.querySelector('[data-parley-widget]')!.shadowRoot!;
      const panelEl = root.querySelector('.panel')!;
      return {
        dir: panelEl.closest('[dir]')?.getAttribute('dir'),
        lang: panelEl.closest('[lang]')?.getAttribute('lang'),
        direction: getComputedStyle(panelEl).direction,
        title: root.querySelector('.panel h2')?.textContent,
        dialog: panelEl.getAttribute('aria-label'),
      };
    });
    expect(layout).toEqual({ dir: 'rtl', lang: 'ar', direction: 'rtl', title: ar.chatTitle, dialog: ar.chatTitle });
    expect(await launcher(page).getAttribute('aria-label')).toBe(ar.closeChat);
    const panelBox = await panel(page).boundingBox();
    expect(panelBox!.x).toBeLessThan(100);

    // The default: English, left to right, on the right.
    const plain = await hostPage({ code: await aliceCode() });
    const plainBox = await plain.getByRole('button', { name: en.openChat, exact: true }).boundingBox();
    expect(plainBox!.x + plainBox!.width).toBeGreaterThan(900);
  });
});
