/**
 * Known XSS payloads sent as chat messages, rendered by the widget (on a host page WITHOUT a CSP, so only the
 * renderer stands between the payload and execution) and by the hosted page, in Debian's Chromium. None may
 * run: no dialog, no call to the trap function, no script/img/svg/iframe element and no javascript: link
 * inside a message, and every payload shows as its own text.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../server/src/app.js';
import { signExternalToken } from '../../server/src/auth/sign-external-token.js';
import { canRunChromium, closeAll, launchChromium, WAIT_MS } from '../helpers/browser.js';
import { startLiveParley, type LiveParley } from '../helpers/live-server.js';
import { startHostServer, type HostServer } from '../helpers/widget-host.js';

const HAS_CHROMIUM = canRunChromium('XSS browser tests');
const SECRET = 'xss-secret-that-is-certainly-longer-than-32-bytes';

export const XSS_PAYLOADS = [
  `<script>window.__xss('script')</script>`,
  `<img src=x onerror="window.__xss('img')">`,
  `<svg onload="window.__xss('svg')"></svg>`,
  `<svg><script>window.__xss('svg-script')</script></svg>`,
  `<iframe src="javascript:window.__xss('iframe')"></iframe>`,
  `<a href="javascript:window.__xss('a')">click</a>`,
  `[click me](javascript:window.__xss('md-link'))`,
  `[click me](JaVaScRiPt:window.__xss('md-link-case'))`,
  `[data](data:text/html,<script>window.__xss('data')</script>)`,
  `[attr](https://example.com" onmouseover="window.__xss('attr'))`,
  `&lt;img src=x onerror=window.__xss('entity')&gt;`,
  `&#60;script&#62;window.__xss('numeric-entity')&#60;/script&#62;`,
  `**<img src=x onerror=window.__xss('bold')>**`,
  '`<script>window.__xss(\'code\')</script>`',
  '```\n<script>window.__xss(\'fence\')</script>\n```',
  `<div style="background:url(javascript:window.__xss('css'))">x</div>`,
  `<math><mtext><table><mglyph><style><img src=x onerror=window.__xss('mxss')>`,
  `- <img src=x onerror=window.__xss('list')>`,
  `javascript:window.__xss('bare')`,
  `<details open ontoggle="window.__xss('details')">`,
];

describe.skipIf(!HAS_CHROMIUM)('XSS payloads in messages, in Chromium', () => {
  let server: LiveParley | undefined;
  let app: App;
  let browser: Browser;
  let host: HostServer;
  let parley: string;
  let conversationId: string;
  let code: string;

  const sign = () => signExternalToken({ secret: new TextEncoder().encode(SECRET), kid: 'env', payload: { user: { id: 'victim', name: 'Victim' } }, issuedAt: Math.floor(Date.now() / 1000), expiresInSeconds: 600 });

  beforeAll(async () => {
    host = await startHostServer();
    server = await startLiveParley({ PARLEY_EXTERNAL_AUTH_SECRET: SECRET, PARLEY_ALLOWED_ORIGINS: host.origin, LOG_LEVEL: 'silent' });
    ({ app, origin: parley } = server);
    code = await sign();
    const session = (await app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: code } })).json().session.token as string;
    const auth = { authorization: `Bearer ${session}` };
    conversationId = (await app.inject({ method: 'POST', url: '/api/v1/conversations', headers: auth, payload: { title: 'Payloads' } })).json().conversation.id;
    for (const [i, text] of XSS_PAYLOADS.entries()) {
      const res = await app.inject({ method: 'POST', url: `/api/v1/conversations/${conversationId}/messages`, headers: auth, payload: { text, clientMessageId: `xss-${i}` } });
      expect(res.statusCode).toBe(201);
    }
    browser = await launchChromium();
  });

  afterAll(() => closeAll([], browser, server, host));

  async function trap(page: Page): Promise<string[]> {
    const fired: string[] = [];
    await page.exposeFunction('__xss', (what: string) => fired.push(String(what)));
    page.on('dialog', (dialog) => {
      fired.push(`dialog:${dialog.message()}`);
      void dialog.dismiss();
    });
    return fired;
  }

  /** Checks the rendered messages of `root` (a shadow root or the document), hovering and clicking each link. */
  async function assertInert(page: Page, scope: string, fired: string[]) {
    const messages = page.locator(`${scope} li.msg`);
    await expect.poll(() => messages.count(), { timeout: WAIT_MS }).toBe(XSS_PAYLOADS.length);
    const dangerous = await page.locator(`${scope} li.msg :is(script, img, svg, iframe, math, details, style, [style], [onerror], [onload], a[href^="javascript:" i], a[href^="data:" i])`).count();
    expect(dangerous).toBe(0);
    const links = page.locator(`${scope} li.msg a`);
    for (let i = 0; i < (await links.count()); i++) {
      const href = (await links.nth(i).getAttribute('href')) ?? '';
      expect(href).toMatch(/^(https?:|mailto:)/);
      expect(await links.nth(i).getAttribute('rel')).toBe('noopener noreferrer nofollow');
      await links.nth(i).hover();
    }
    const texts = await page.locator(`${scope} li.msg .md`).allInnerTexts();
    for (const payload of XSS_PAYLOADS) {
      const needle = payload.replace(/[`*[\]]|^- /g, '').trim().split('(')[0]!.slice(0, 12);
      expect(texts.some((t) => t.includes(needle)), needle).toBe(true);
    }
    // A sentinel through the trap itself: calls into the exposed function reach this process in the order the
    // page made them, so once the sentinel is in, every call a payload made (rendering, hovering) is in too.
    // A payload that could call it later (an image's error, a toggle) needs an element or attribute that the
    // check above already found absent.
    await page.evaluate(() => (window as unknown as { __xss(what: string): Promise<void> }).__xss('sentinel'));
    expect(fired).toEqual(['sentinel']);
  }

  it('the widget renders every payload as text on a host page without any CSP', async () => {
    const page = await browser.newPage();
    const fired = await trap(page);
    await page.goto(host.page({ parley, code, csp: false, data: { open: 'true' } }));
    await page.locator('[data-parley-widget] [data-conversation-id]').click({ timeout: WAIT_MS });
    await assertInert(page, '[data-parley-widget]', fired);
    await page.close();
  });

  it('the hosted page renders every payload as text', async () => {
    const page = await browser.newPage();
    const fired = await trap(page);
    await page.goto(`${parley}/?externalAuthCode=${code}`);
    await page.locator(`[data-conversation-id="${conversationId}"]`).click({ timeout: WAIT_MS });
    await assertInert(page, '', fired);
    await page.close();
  });
});
