/**
 * The embed as Chromium receives it (docs/operations.md, Compression and caching): a third-party host page
 * loads `/widget.js` brotli-compressed from a real Parley server, decodes it, and the widget works.
 * Needs the browser assets built (`node scripts/build.mjs`, which `npm test` runs first).
 */
import type { Browser, BrowserContext, Response } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signExternalToken } from '../../server/src/auth/sign-external-token.js';
import { canRunChromium, closeAll, launchChromium, newBoundedContext, newBoundedPage, PageProblems } from '../helpers/browser.js';
import { startLiveParley, type LiveParley } from '../helpers/live-server.js';
import { startHostServer, widgetParts, type HostServer } from '../helpers/widget-host.js';

const HAS_CHROMIUM = canRunChromium('Compression browser tests');
const SECRET = 'e2e-compression-secret-that-is-longer-than-32-bytes';

describe.skipIf(!HAS_CHROMIUM)('the embed, compressed, in Chromium', () => {
  let server: LiveParley | undefined;
  let browser: Browser | undefined;
  let host: HostServer | undefined;
  const contexts: BrowserContext[] = [];
  const problems = new PageProblems();

  beforeAll(async () => {
    host = await startHostServer();
    server = await startLiveParley({ PARLEY_EXTERNAL_AUTH_SECRET: SECRET, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent', PARLEY_ALLOWED_ORIGINS: host.origin });
    browser = await launchChromium();
  });
  afterEach(() => problems.check());
  afterAll(() => closeAll(contexts, browser, server, host));

  it('a host page gets /widget.js as brotli, the launcher appears, and all it loads from Parley is brotli', async () => {
    const context = await newBoundedContext(browser!, { reportCsp: true });
    contexts.push(context);
    const page = await newBoundedPage(context);
    problems.watch(page);
    const widgetUrl = `${server!.origin}/widget.js`;
    const loaded = page.waitForResponse((response: Response) => response.url() === widgetUrl);
    // Every script and stylesheet the widget fetches from Parley (its panel, from /assets/, included).
    const files: Response[] = [];
    page.on('response', (response) => {
      if (response.url().startsWith(server!.origin) && ['script', 'stylesheet'].includes(response.request().resourceType())) files.push(response);
    });
    const code = await signExternalToken({
      secret: new TextEncoder().encode(SECRET),
      kid: 'env',
      payload: { user: { id: 'alice', name: 'Alice' } },
      issuedAt: Math.floor(Date.now() / 1000),
      expiresInSeconds: 600,
    });
    expect((await page.goto(host!.page({ parley: server!.origin, code })))?.status()).toBe(200);
    const response = await loaded;
    expect(response.status()).toBe(200);
    expect(await response.headerValue('content-encoding')).toBe('br');
    expect(await response.headerValue('vary')).toMatch(/accept-encoding/i);
    expect(await response.request().headerValue('accept-encoding')).toMatch(/\bbr\b/);
    await widgetParts.launcher(page).waitFor();
    expect(await widgetParts.launcher(page).isVisible()).toBe(true);

    await widgetParts.launcher(page).click();
    await page.locator('[data-parley-widget] [data-testid=user-name]').filter({ hasText: 'Alice' }).waitFor();
    const encodings = await Promise.all(files.map(async (r) => [new URL(r.url()).pathname, r.status(), await r.headerValue('content-encoding')]));
    expect(encodings.length).toBeGreaterThanOrEqual(2);
    expect(encodings).toEqual(encodings.map(([path]) => [path, 200, 'br']));
  });
});
