/**
 * The Webhooks page in Debian's Chromium against a real Parley server (private addresses allowed, so the
 * receiver may be a local one on 127.0.0.1): the owner creates an endpoint, sees its signing secret once,
 * a user's message is delivered to the receiver, signed, and the delivery appears in the endpoint's log.
 * Needs the browser assets built (`node scripts/build.mjs`, which `npm test` runs first).
 */
import { existsSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { join } from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExchangeResponse } from '#shared/api.js';
import { signExternalToken } from '../../server/src/auth/sign-external-token.js';
import { canRunChromium, closeAll, launchChromium, newBoundedContext, newBoundedPage, PageProblems, ROOT, WAIT_MS } from '../helpers/browser.js';
import { apiClient, startLiveParley, type LiveParley } from '../helpers/live-server.js';
import { becomeOwnerInBrowser } from '../helpers/owner-setup.js';

const HAS_CHROMIUM = canRunChromium('Admin webhooks browser test');
const HAS_BUILD = existsSync(join(ROOT, 'dist/public/manifest.json'));
if (HAS_CHROMIUM && !HAS_BUILD) console.warn('Admin webhooks browser test skipped: the browser assets are not built (run `node scripts/build.mjs`; `npm test` does).');

const SECRET = 'webhooks-e2e-secret-that-is-longer-than-32-bytes';

describe.skipIf(!HAS_CHROMIUM || !HAS_BUILD)('the Webhooks page in Chromium', () => {
  let server: LiveParley | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext;
  let receiver: Server | undefined;
  let receiverUrl: string;
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  const problems = new PageProblems();
  const api = apiClient(() => server!.origin);

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver!.listen(0, '127.0.0.1', resolve));
    const address = receiver.address();
    receiverUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/parley`;
    server = await startLiveParley({ PARLEY_EXTERNAL_AUTH_SECRET: SECRET, PARLEY_WEBHOOKS_ALLOW_PRIVATE: 'true', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent' });
    browser = await launchChromium();
    context = await newBoundedContext(browser, { viewport: { width: 1280, height: 900 }, reportCsp: true });
    const page = await newBoundedPage(context);
    await becomeOwnerInBrowser(page, (await server.app.services.adminLinks.ownerSetupLinkIfNeeded(server.origin))!);
    await page.locator('[data-testid=admin-name]').waitFor();
    await page.close();
  });
  afterAll(async () => {
    await closeAll([context].filter(Boolean), browser, server);
    await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
  });

  it('creates an endpoint, shows its secret once, and logs the delivery of a message posted after', async () => {
    const page = await newBoundedPage(context);
    problems.watch(page);
    await page.goto(`${server!.origin}/admin#/overview`);
    await page.getByRole('navigation', { name: 'Admin sections' }).getByRole('link', { name: 'Webhooks' }).click();
    await page.locator('main.content > h1', { hasText: 'Webhooks' }).waitFor();

    await page.getByLabel('Endpoint URL').fill(receiverUrl);
    await page.getByLabel('message.created').first().check();
    await page.getByRole('button', { name: 'Create endpoint' }).click();
    const secretField = page.locator('.secret input');
    await secretField.waitFor();
    const secret = await secretField.inputValue();
    expect(secret).toMatch(/^whsec_/);
    expect(await page.locator('.secret .warning').textContent()).toContain('you will not see it again');
    await page.getByRole('button', { name: 'Done' }).click();
    await secretField.waitFor({ state: 'detached' });
    expect(await page.locator('body').textContent()).not.toContain(secret);
    const endpoint = page.locator('.webhook', { hasText: receiverUrl });
    await endpoint.waitFor();

    // A user writes: the endpoint takes message.created.
    const code = await signExternalToken({ secret: new TextEncoder().encode(SECRET), kid: 'env', payload: { user: { id: 'alice', name: 'Alice' } }, issuedAt: Math.floor(Date.now() / 1000), expiresInSeconds: 600 });
    const exchange = await api<ExchangeResponse>('POST', '/api/v1/auth/exchange', { body: { externalAuthCode: code } });
    expect(exchange.status).toBe(200);
    const posted = await api('POST', '/api/v1/conversations', { token: exchange.body.session.token, body: { message: { text: 'Hello webhooks', clientMessageId: 'c1' } } });
    expect(posted.status).toBe(201);

    await expect.poll(() => received.length, { timeout: WAIT_MS }).toBeGreaterThan(0);
    expect(JSON.parse(received[0]!.body)).toMatchObject({ type: 'message.created', data: { message: { text: 'Hello webhooks' } } });
    expect(received[0]!.headers['webhook-signature']).toMatch(/^v1,/);

    await endpoint.getByRole('button', { name: 'Delivery log' }).click();
    const row = endpoint.locator('[data-delivery-id]').first();
    await expect
      .poll(
        async () => {
          await endpoint.getByRole('button', { name: 'Refresh' }).click();
          return (await row.count()) > 0 ? (await row.locator('[data-testid=delivery-status]').textContent())?.trim() : null;
        },
        { timeout: WAIT_MS },
      )
      .toBe('Delivered');
    expect(await row.locator('th').textContent()).toBe('message.created');
    expect(await row.locator('.tries li').first().textContent()).toMatch(/^204 · \d+ ms · /);
    expect(await row.getAttribute('data-delivery-id')).toBe(received[0]!.headers['webhook-id']);
    problems.check();
  });
});
