/**
 * parley/react in a real browser: a React app, bundled here by esbuild from `parley/react` (the package's
 * own export, so dist/react/index.js as an app's bundler finds it) with React and react-dom, is served by a
 * host page on another origin under a strict Content-Security-Policy, against a real Parley server. The app
 * signs in with `client.identify(user, {authToken})` in an effect and shows `useParleyEvent('error')`.
 * Needs the build (`node scripts/build.mjs`, which `npm test` runs first).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signExternalToken } from '../../server/src/auth/sign-external-token.js';
import { canRunChromium, closeAll, launchChromium, newBoundedContext, newBoundedPage, PageProblems, ROOT } from '../helpers/browser.js';
import { startLiveParley, type LiveParley } from '../helpers/live-server.js';
import { widgetParts } from '../helpers/widget-host.js';

const HAS_CHROMIUM = canRunChromium('React binding browser tests');

const SECRET = 'e2e-react-secret-that-is-certainly-longer-than-32-bytes';
const OTHER_SECRET = 'a-secret-parley-does-not-know-at-all-not-even-slightly';

/** The integrator's app: the README's React example, with the token and widget URL from the page. */
const APP = `
import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { ParleyProvider, useParley, useParleyEvent } from 'parley/react';

const user = { userId: 'ada', name: 'Ada' };

function SignIn({ authToken }) {
  const client = useParley();
  const [ready, setReady] = useState(false);
  useEffect(() => client.on('ready', () => setReady(true)), [client]);
  useEffect(() => {
    client.identify(user, { authToken });
  }, [client, authToken]);
  const errorEvent = useParleyEvent('error');
  return (
    <>
      <p id="ready">{ready ? 'ready' : 'loading'}</p>
      <p id="error">{errorEvent ? errorEvent.code : 'no error'}</p>
    </>
  );
}

const root = document.getElementById('app');
createRoot(root).render(
  <StrictMode>
    <ParleyProvider src={root.dataset.src} position="left" locale="en">
      <SignIn authToken={root.dataset.token} />
    </ParleyProvider>
  </StrictMode>,
);
`;

/** README.md's host-page policy: scripts, styles and connections from the page's origin and Parley's only. */
const csp = (parley: string) =>
  `default-src 'none'; script-src 'self' ${parley}; style-src 'self' ${parley}; connect-src 'self' ${parley}; img-src ${parley} data:`;

interface AppHost {
  origin: string;
  /** A page of the app signing in with `token`; answers its URL. */
  page(token: string): string;
  close(): Promise<void>;
}

/** Serves the bundled app and its pages from a node:http server on a free port of 127.0.0.1. */
async function startAppHost(bundle: string, parley: () => string): Promise<AppHost> {
  const tokens = new Map<string, string>();
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://host').pathname;
    const token = tokens.get(path);
    if (request.method === 'GET' && path === '/app.js') {
      response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' }).end(bundle);
    } else if (request.method === 'GET' && token !== undefined) {
      const attribute = (value: string) => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': csp(parley()) });
      response.end(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>A React app</title><link rel="icon" href="data:,"></head>
<body>
<div id="app" data-src="${attribute(`${parley()}/widget.js`)}" data-token="${attribute(token)}"></div>
<script defer src="/app.js"></script>
</body>
</html>
`);
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the app host has no port');
  const origin = `http://127.0.0.1:${address.port}`;
  return {
    origin,
    page(token) {
      const path = `/page-${tokens.size + 1}`;
      tokens.set(path, token);
      return origin + path;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe.skipIf(!HAS_CHROMIUM)('parley/react in a React app in Chromium', () => {
  let server: LiveParley | undefined;
  let browser: Browser | undefined;
  let host: AppHost | undefined;
  let parley: string;
  let bundle = '';
  const contexts: BrowserContext[] = [];
  const problems = new PageProblems();

  const sign = (secret: string) =>
    signExternalToken({ secret: new TextEncoder().encode(secret), kid: 'env', payload: { user: { id: 'ada', name: 'Ada' } }, issuedAt: Math.floor(Date.now() / 1000), expiresInSeconds: 600 });

  /** Opens the app signing in with `token`, waiting for the exchange it starts; answers the page and its status. */
  async function appPage(token: string): Promise<{ page: Page; exchangeStatus: number }> {
    const context = await newBoundedContext(browser!, { reportCsp: true });
    contexts.push(context);
    const page = await newBoundedPage(context);
    problems.watch(page);
    const exchange = page.waitForResponse((r) => r.url() === `${parley}/api/v1/auth/exchange` && r.request().method() === 'POST');
    const response = await page.goto(host!.page(token));
    expect(response?.status()).toBe(200);
    return { page, exchangeStatus: (await exchange).status() };
  }

  beforeAll(async () => {
    const built = await esbuild.build({
      stdin: { contents: APP, resolveDir: ROOT, sourcefile: 'app.jsx', loader: 'jsx' },
      bundle: true,
      write: false,
      format: 'iife',
      minify: true,
      jsx: 'automatic',
      jsxImportSource: 'react',
      define: { 'process.env.NODE_ENV': '"production"' },
      logLevel: 'silent',
    });
    bundle = built.outputFiles[0]!.text;
    host = await startAppHost(bundle, () => parley);
    server = await startLiveParley({ PARLEY_EXTERNAL_AUTH_SECRET: SECRET, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent', PARLEY_ALLOWED_ORIGINS: host.origin });
    parley = server.origin;
    browser = await launchChromium();
  });

  afterEach(() => problems.check());

  afterAll(() => closeAll(contexts, browser, server, host));

  it('adds widget.js once with its attributes, replays the queued on and identify, and signs in', async () => {
    const { page, exchangeStatus } = await appPage(await sign(SECRET));
    expect(exchangeStatus).toBe(200);
    await widgetParts.launcher(page).waitFor();
    expect(await widgetParts.launcher(page).isVisible()).toBe(true);
    // The 'ready' subscription was made before widget.js had loaded: the widget replayed it.
    await page.locator('#ready', { hasText: 'ready' }).waitFor();
    expect(await page.locator('#error').textContent()).toBe('no error');
    const tags = await page.evaluate(() =>
      [...document.scripts].filter((s) => s.src.endsWith('/widget.js')).map((s) => ({ src: s.src, position: s.dataset['position'], locale: s.dataset['locale'] })),
    );
    expect(tags).toEqual([{ src: `${parley}/widget.js`, position: 'left', locale: 'en' }]);
    // Signed in as the identified user.
    await widgetParts.launcher(page).click();
    await page.locator('[data-parley-widget] [data-testid=user-name]', { hasText: 'Ada' }).waitFor();
  });

  it("surfaces a bad token's refusal through useParleyEvent('error')", async () => {
    const { page, exchangeStatus } = await appPage(await sign(OTHER_SECRET));
    expect(exchangeStatus).toBe(401);
    await widgetParts.launcher(page).waitFor();
    await page.locator('#error', { hasText: 'token_invalid' }).waitFor();
    // Chrome logs the refused request itself; that is the point of this test, not a problem of the page.
    problems.allow(/^console error: Failed to load resource: the server responded with a status of 401/);
  });

  it('keeps React out of what Parley serves: nothing of it in widget.js or the files it loads', () => {
    const publicDir = join(ROOT, 'dist/public');
    const scripts = [join(publicDir, 'widget.js'), ...readdirSync(join(publicDir, 'assets')).filter((f) => f.endsWith('.js')).map((f) => join(publicDir, 'assets', f))];
    // Markers of React 19's builds, never in Preact's; the app's bundle, which has React, shows they work.
    const react = /react\.transitional\.element|__CLIENT_INTERNALS_DO_NOT_USE_OR_WARN_USERS_THEY_CANNOT_UPGRADE/;
    expect(bundle).toMatch(react);
    expect(scripts.filter((file) => react.test(readFileSync(file, 'utf8')))).toEqual([]);
  });
});
