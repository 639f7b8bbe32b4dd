/**
 * The widget as people see it, in Debian's Chromium on a third-party host page under a strict CSP: on a
 * phone (375 × 667) the panel is the screen, the page holds still behind it, inputs do not zoom, the close
 * control is a thumb's size and Back closes it; on a desktop it carries the administrator's brand (accent
 * with a readable text colour, position, icon, title, greeting, team) overridden by the tag; axe-core finds
 * nothing of any impact in the open widget (home, thread; English and Arabic); messages in a right-to-left
 * panel read in their own direction. Screenshots of each go to test-output/.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ExchangeResponse, Message } from '#shared/api.js';
import { signExternalToken } from '../../server/src/auth/sign-external-token.js';
import { cliContext } from '../../server/src/use-cases/actor.js';
import type { SettingsPatch } from '../../server/src/admin/settings.js';
import { pickLocale } from '../../widget/src/i18n/locales.js';
import { axeViolations, formatViolations } from '../helpers/axe.js';
import { canRunChromium, closeAll, launchChromium, newBoundedContext, newBoundedPage, outputPath, PageProblems } from '../helpers/browser.js';
import { apiClient, startLiveParley, type LiveParley } from '../helpers/live-server.js';
import { startHostServer, widgetParts, type HostPageOptions, type HostServer } from '../helpers/widget-host.js';

const HAS_CHROMIUM = canRunChromium('Widget look browser tests');
const SECRET = 'e2e-widget-look-secret-certainly-longer-than-32-bytes';
const en = pickLocale('en', []).strings;
const ar = pickLocale('ar', []).strings;
const PHONE = { width: 375, height: 667 };

describe.skipIf(!HAS_CHROMIUM)('the widget as people see it, in Chromium', () => {
  let server: LiveParley | undefined;
  let browser: Browser | undefined;
  let host: HostServer | undefined;
  let parley: string;
  const contexts: BrowserContext[] = [];
  const problems = new PageProblems();
  const api = apiClient(() => parley);
  const { launcher, panel, items, composer } = widgetParts;
  const inWidget = (page: Page, selector: string) => page.locator(`[data-parley-widget] ${selector}`);

  const sign = (payload: Record<string, unknown>) =>
    signExternalToken({ secret: new TextEncoder().encode(SECRET), kid: 'env', payload, issuedAt: Math.floor(Date.now() / 1000), expiresInSeconds: 600 });

  async function open(options: Omit<HostPageOptions, 'parley'>, viewport?: { width: number; height: number }): Promise<Page> {
    const context = await newBoundedContext(browser!, { reportCsp: true, ...(viewport ? { viewport } : {}) });
    contexts.push(context);
    const page = await newBoundedPage(context);
    problems.watch(page);
    expect((await page.goto(host!.page({ parley, ...options })))?.status()).toBe(200);
    await launcher(page).waitFor();
    return page;
  }

  const changeSettings = (patch: SettingsPatch) => server!.app.services.useCases.settings.changeSettings(cliContext(), patch);

  beforeAll(async () => {
    host = await startHostServer();
    server = await startLiveParley({ PARLEY_EXTERNAL_AUTH_SECRET: SECRET, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent', PARLEY_ALLOWED_ORIGINS: host.origin, PARLEY_SEAT_LIMIT: '100', PARLEY_MESSAGE_RATE_LIMIT: '0' });
    parley = server.origin;
    browser = await launchChromium();
  });
  beforeEach(async () => {
    await changeSettings({
      widgetTeamName: null,
      widgetAvatarUrl: null,
      widgetTitle: null,
      widgetAccentColor: null,
      widgetLauncherIconUrl: null,
      widgetPosition: 'right',
      widgetGreeting: {},
      widgetReplyTime: {},
      widgetAwayText: {},
    });
  });
  afterEach(() => problems.check());
  afterAll(() => closeAll(contexts, browser, server, host));

  describe('on a phone (375 × 667)', () => {
    it('the open panel is the whole screen, the page holds still behind it, inputs do not zoom, the close control is 44 px, and Back closes it', async () => {
      const page = await open({ code: await sign({ user: { id: 'pia', name: 'Pia Phone' } }) }, PHONE);
      // A host page taller than the screen, scrolled a little, with its own overflow style.
      await page.evaluate(() => {
        document.body.style.height = '3000px';
        document.documentElement.style.overflow = 'auto';
        window.scrollTo(0, 40);
      });
      const historyBefore = await page.evaluate(() => history.length);
      await launcher(page).click();
      await composer(page).waitFor();
      expect(await panel(page).boundingBox()).toEqual({ x: 0, y: 0, width: 375, height: 667 });
      // The launcher gives way to the panel's own close control.
      expect(await launcher(page).isVisible()).toBe(false);
      const close = inWidget(page, '.panel button.close');
      const closeBox = (await close.boundingBox())!;
      expect(closeBox.width).toBeGreaterThanOrEqual(44);
      expect(closeBox.height).toBeGreaterThanOrEqual(44);
      expect(await composer(page).evaluate((el) => parseFloat(getComputedStyle(el).fontSize))).toBeGreaterThanOrEqual(16);
      expect(await page.evaluate(() => document.documentElement.style.overflow)).toBe('hidden');
      // Scrolling over the panel does not move the page behind it.
      await page.mouse.move(187, 300);
      await page.mouse.wheel(0, 600);
      await expect.poll(() => page.evaluate(() => window.scrollY)).toBe(40);
      expect(await page.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(375);
      await page.screenshot({ path: outputPath('widget-phone-home.png') });

      // Back closes the panel, and the page is as it was: its overflow, its scroll, its history.
      await page.goBack();
      await panel(page).waitFor({ state: 'hidden' });
      expect(await launcher(page).isVisible()).toBe(true);
      expect(await page.evaluate(() => [document.documentElement.style.overflow, window.scrollY, history.length])).toEqual(['auto', 40, historyBefore + 1]);
      expect(new URL(page.url()).pathname).toMatch(/^\/page-\d+$/);

      // Closed with its own control, the entry it added is gone again: Back leaves the page as it would have.
      await launcher(page).click();
      await composer(page).waitFor();
      await close.click();
      await panel(page).waitFor({ state: 'hidden' });
      // (Back keeps the forward entry in history.length; the next entry replaced it.)
      await expect.poll(() => page.evaluate(() => history.length)).toBe(historyBefore + 1);
      expect(await page.evaluate(() => document.documentElement.style.overflow)).toBe('auto');
    });

    it('a thread fills the phone too, and writing in it keeps the composer on screen', async () => {
      const page = await open({ code: await sign({ user: { id: 'pia2', name: 'Pia' } }) }, PHONE);
      await launcher(page).click();
      await composer(page).fill('Hello from a phone');
      await composer(page).press('Enter');
      await items(page).and(page.locator('[data-status="sent"]')).first().waitFor();
      const box = (await composer(page).boundingBox())!;
      expect(box.y + box.height).toBeLessThanOrEqual(667);
      expect(box.x).toBeGreaterThanOrEqual(0);
      const back = inWidget(page, '.thread button.back');
      expect((await back.boundingBox())!.width).toBeGreaterThanOrEqual(44);
      expect(await page.evaluate(() => document.scrollingElement!.scrollWidth)).toBeLessThanOrEqual(375);
      await page.screenshot({ path: outputPath('widget-phone-thread.png') });
    });
  });

  describe('the host brand', () => {
    it("draws the administrator's accent (with text that reads on it), position, title, team, greeting and away text", async () => {
      await changeSettings({
        widgetAccentColor: '#ffd400',
        widgetPosition: 'left',
        widgetTitle: 'Acme help',
        widgetTeamName: 'Acme support',
        widgetGreeting: { en: 'Hello {name}, how can we help?' },
        widgetReplyTime: { en: 'We usually answer within an hour' },
        widgetAwayText: { en: 'Back within a few hours' },
      });
      const page = await open({ code: await sign({ user: { id: 'ada', name: 'Ada Lovelace' } }) });
      const colours = await launcher(page).evaluate((el) => [getComputedStyle(el).backgroundColor, getComputedStyle(el).color]);
      expect(colours).toEqual(['rgb(255, 212, 0)', 'rgb(0, 0, 0)']);
      expect((await launcher(page).boundingBox())!.x).toBeLessThan(100);
      await launcher(page).click();
      await composer(page).waitFor();
      expect(await inWidget(page, '.panel .bar h2').textContent()).toBe('Acme help');
      expect(await panel(page).getAttribute('aria-label')).toBe('Acme help');
      expect(await inWidget(page, '.panel .bar').evaluate((el) => [getComputedStyle(el).backgroundColor, getComputedStyle(el).color])).toEqual(['rgb(255, 212, 0)', 'rgb(0, 0, 0)']);
      expect(await inWidget(page, '.hero h3').textContent()).toBe('Acme support');
      expect(await inWidget(page, '.hero .greeting').textContent()).toBe('Hello Ada, how can we help?');
      // Nobody of the team has the admin panel open: the away text says when to expect an answer, in place of
      // the reply time.
      expect(await inWidget(page, '.hero .presence').textContent()).toBe('Back within a few hours');
      expect(await inWidget(page, '.hero .presence.on').count()).toBe(0);
      expect(await inWidget(page, '.hero .reply').count()).toBe(0);
      await page.screenshot({ path: outputPath('widget-brand-home.png') });
    });

    it("the tag's data-accent-color, data-position and data-title win for that page; the text on a dark accent is white", async () => {
      await changeSettings({ widgetAccentColor: '#ffd400', widgetPosition: 'left', widgetTitle: 'Acme help' });
      const page = await open({ code: await sign({ user: { id: 'ada2', name: 'Ada' } }), data: { accentColor: '#1a1a2e', position: 'right', title: 'Billing' } });
      expect(await launcher(page).evaluate((el) => [getComputedStyle(el).backgroundColor, getComputedStyle(el).color])).toEqual(['rgb(26, 26, 46)', 'rgb(255, 255, 255)']);
      expect((await launcher(page).boundingBox())!.x).toBeGreaterThan(800);
      await launcher(page).click();
      await composer(page).waitFor();
      expect(await inWidget(page, '.panel .bar h2').textContent()).toBe('Billing');
    });

    it('a launcher icon that fails to load gives way to the chat icon', async () => {
      const icon = `${parley}/assets/error.css`; // not an image: the browser fails to decode it
      const page = await open({ code: await sign({ user: { id: 'ic', name: 'Icon' } }), data: { launcherIcon: icon } });
      await launcher(page).locator('svg').waitFor();
      expect(await launcher(page).locator('img').count()).toBe(0);
    });

    it("a host's --parley-* custom properties reach into the shadow root and win over the brand", async () => {
      await changeSettings({ widgetAccentColor: '#ffd400' });
      const page = await open({ code: await sign({ user: { id: 'css', name: 'Css' } }), csp: false });
      await page.addStyleTag({ content: '[data-parley-widget] { --parley-accent: #0f766e; --parley-on-accent: #ffffff; --parley-offset-y: 60px; }' });
      expect(await launcher(page).evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(15, 118, 110)');
      const box = (await launcher(page).boundingBox())!;
      expect(Math.round(page.viewportSize()!.height - (box.y + box.height))).toBe(60);
    });
  });

  describe('a thread keeps its place', () => {
    it('a new message while scrolled up shows "New messages ↓" and leaves the view; closing and reopening returns to the same place', async () => {
      const code = await sign({ user: { id: 'scroller', name: 'Sam' } });
      const sam = await api<ExchangeResponse>('POST', '/api/v1/auth/exchange', { body: { externalAuthCode: code } });
      const token = sam.body.session.token;
      const created = await api<{ conversation: { id: string } }>('POST', '/api/v1/conversations', { token, body: { message: { text: 'Message 0', clientMessageId: 'scroll-0' } } });
      const id = created.body.conversation.id;
      for (let i = 1; i < 40; i++) expect((await api('POST', `/api/v1/conversations/${id}/messages`, { token, body: { text: `Message ${i}`, clientMessageId: `scroll-${i}` } })).status).toBe(201);

      const page = await open({ code });
      await launcher(page).click();
      await inWidget(page, `[data-conversation-id="${id}"]`).click();
      await items(page).filter({ hasText: 'Message 39' }).waitFor();
      const list = inWidget(page, 'ol.messages');
      const atBottom = () => list.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight < 2);
      await expect.poll(atBottom).toBe(true);
      // Up a little, to read an older message.
      await list.evaluate((el) => el.scrollTo({ top: 200 }));
      await expect.poll(() => list.evaluate((el) => Math.round(el.scrollTop))).toBe(200);
      expect((await api('POST', `/api/v1/conversations/${id}/messages`, { token, body: { text: 'Message 40, from elsewhere', clientMessageId: 'scroll-40' } })).status).toBe(201);
      const jump = inWidget(page, 'button.jump');
      await jump.waitFor();
      expect(await jump.textContent()).toBe(en.newMessages);
      expect(await list.evaluate((el) => Math.round(el.scrollTop))).toBe(200);

      // Closed and opened again: the same thread, at the same place.
      await inWidget(page, '.panel button.close').click();
      await panel(page).waitFor({ state: 'hidden' });
      await launcher(page).click();
      await panel(page).waitFor();
      await expect.poll(() => list.evaluate((el) => Math.round(el.scrollTop))).toBe(200);

      await jump.click();
      await expect.poll(atBottom).toBe(true);
      await jump.waitFor({ state: 'detached' });
    });

    it('the French placeholder fits its composer', async () => {
      const fr = pickLocale('fr', []).strings;
      const page = await open({ code: await sign({ user: { id: 'fr', name: 'Zoé' } }), data: { locale: 'fr' } });
      await launcher(page).click();
      const textarea = page.getByRole('textbox', { name: fr.composerLabel, exact: true });
      await textarea.waitFor();
      const fit = await textarea.evaluate((el: HTMLTextAreaElement) => {
        const style = getComputedStyle(el);
        const context = document.createElement('canvas').getContext('2d')!;
        context.font = `${style.fontSize} ${style.fontFamily}`;
        const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
        return { text: context.measureText(el.placeholder).width, room, placeholder: el.placeholder };
      });
      expect(fit.placeholder).toBe(fr.composerPlaceholder);
      expect(fit.text).toBeLessThan(fit.room);
    });
  });

  describe('accessible in every state and language', () => {
    async function expectNoViolations(page: Page, where: string) {
      const violations = await axeViolations(page);
      expect(formatViolations(violations), where).toEqual([]);
    }

    it('axe-core finds nothing of any impact in the open widget: the home view, a thread with messages of both sides, in English and in Arabic', async () => {
      const alice = await api<ExchangeResponse>('POST', '/api/v1/auth/exchange', { body: { externalAuthCode: await sign({ user: { id: 'axe-a', name: 'Alice' } }) } });
      const created = await api<{ conversation: { id: string } }>('POST', '/api/v1/conversations', {
        token: alice.body.session.token,
        body: { message: { text: 'Where is my invoice?', clientMessageId: 'axe-first' } },
      });
      expect(created.status).toBe(201);
      // An administrator answers from the inbox: the thread then has both sides.
      const owner = await server!.app.services.useCases.users.createUser(cliContext(), { externalId: 'axe-owner', name: 'Olga', email: 'olga@example.com', role: 'admin' });
      const ownerSession = await server!.app.services.sessions.create(owner, Date.now(), 3_600_000);
      const answer = await api<{ message: Message }>('POST', `/api/v1/conversations/${created.body.conversation.id}/messages`, {
        token: ownerSession.token,
        body: { text: 'Here it is: **INV-42**.\n- paid\n- sent', clientMessageId: 'axe-answer' },
      });
      expect(answer.status).toBe(201);

      for (const [locale, strings] of [['en', en], ['ar', ar]] as const) {
        // axe adds a <style> of its own, which a strict CSP refuses: this page has none.
        const page = await open({ code: await sign({ user: { id: 'axe-a', name: 'Alice' } }), csp: false, data: { locale } });
        await launcher(page).click();
        await inWidget(page, 'ul.conversations button').first().waitFor();
        await expectNoViolations(page, `home (${locale})`);
        await page.screenshot({ path: outputPath(`widget-${locale}-home.png`) });
        await inWidget(page, 'ul.conversations button').first().click();
        await items(page).filter({ hasText: 'INV-42' }).waitFor();
        await expectNoViolations(page, `thread (${locale})`);
        await page.screenshot({ path: outputPath(`widget-${locale}-thread.png`) });
        expect(await panel(page).getAttribute('dir')).toBe(strings === ar ? 'rtl' : 'ltr');
      }
    });

    it('in the Arabic panel an English message keeps its own direction (its punctuation on its right side)', async () => {
      const page = await open({ code: await sign({ user: { id: 'dir', name: 'Dir' } }), data: { locale: 'ar' } });
      await launcher(page).click();
      const arabicComposer = page.getByRole('textbox', { name: ar.composerLabel, exact: true });
      await arabicComposer.fill('Hello, world!');
      await arabicComposer.press('Enter');
      const text = items(page).first().locator('[dir="auto"]').first();
      await text.waitFor();
      expect(await text.evaluate((el) => getComputedStyle(el).direction)).toBe('ltr');
      expect(await panel(page).evaluate((el) => getComputedStyle(el).direction)).toBe('rtl');
      await page.screenshot({ path: outputPath('widget-ar-english-message.png') });
    });
  });
});
