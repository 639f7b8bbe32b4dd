/**
 * Login swap in a real browser: a page on another site (localhost, while Parley is 127.0.0.1) sends a
 * signed-in visitor to Parley with the attacker's own code. Parley asks first; "Stay" keeps the visitor's
 * account; "Continue" (a same-origin form POST Chromium sends with its own Origin and Sec-Fetch-Site)
 * switches; the same form posted from the other site is refused.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signExternalToken } from '../../server/src/auth/sign-external-token.js';
import { canRunChromium, closeAll, launchChromium, newBoundedContext, newBoundedPage, WAIT_MS } from '../helpers/browser.js';
import { startLiveParley, type LiveParley } from '../helpers/live-server.js';

const HAS_CHROMIUM = canRunChromium('Account-switch browser tests');
const SECRET = 'e2e-secret-that-is-certainly-longer-than-32-bytes';

describe.skipIf(!HAS_CHROMIUM)('switching accounts on the hosted page in Chromium', () => {
  let server: LiveParley | undefined;
  let browser: Browser | undefined;
  let attacker: Server | undefined;
  let attackerOrigin: string;
  let baseUrl: string;
  /** What the attacker's page serves next. */
  let attackerPage = '';

  // A live server runs on the real clock: the codes are signed with it.
  const sign = (payload: Record<string, unknown>) =>
    signExternalToken({ secret: new TextEncoder().encode(SECRET), kid: 'env', payload, issuedAt: Math.floor(Date.now() / 1000), expiresInSeconds: 600 });
  const signedInName = (page: Page) => page.locator('[data-testid=user-name]').first().textContent({ timeout: WAIT_MS });

  beforeAll(async () => {
    server = await startLiveParley({ PARLEY_EXTERNAL_AUTH_SECRET: SECRET, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent' });
    baseUrl = server.origin;
    attacker = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(attackerPage));
    await new Promise<void>((resolve) => attacker!.listen(0, '127.0.0.1', resolve));
    attackerOrigin = `http://localhost:${(attacker.address() as AddressInfo).port}`;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await new Promise((resolve) => attacker?.close(resolve));
    await closeAll([], browser, server);
  });

  it('asks before replacing the session; Stay keeps it, Continue switches, and nothing shows the code', async () => {
    // Each test is its own browser profile: one cookie jar, one signed-in account.
    const page = await newBoundedPage(await newBoundedContext(browser!));
    await page.goto(`${baseUrl}/?externalAuthCode=${await sign({ user: { id: 'alice', name: 'Alice' } })}`);
    expect(await signedInName(page)).toBe('Alice');

    const mallory = await sign({ user: { id: 'mallory', name: 'Mallory' } });
    attackerPage = `<!doctype html><meta http-equiv="refresh" content="0;url=${baseUrl}/?externalAuthCode=${mallory}">`;
    const asked = page.waitForResponse((r) => r.url().includes('externalAuthCode='));
    await page.goto(attackerOrigin);
    expect((await asked).status()).toBe(200);
    await page.getByRole('heading', { name: 'Switch account?' }).waitFor({ timeout: WAIT_MS });
    expect(await page.locator('main p').first().textContent()).toBe('You are signed in as Alice. Continue as Mallory?');
    await page.getByRole('link', { name: 'Stay as Alice' }).click();
    await page.waitForURL(`${baseUrl}/`);
    expect(await signedInName(page)).toBe('Alice');

    const bob = await sign({ user: { id: 'bob', name: 'Bob' } });
    await page.goto(`${baseUrl}/?externalAuthCode=${bob}`);
    await page.getByRole('button', { name: 'Continue as Bob' }).click();
    await page.waitForURL(`${baseUrl}/`);
    expect(await signedInName(page)).toBe('Bob');
    expect(page.url()).not.toContain('externalAuthCode');
    await page.close();
  });

  it('the answer posted from another site is refused and changes nothing', async () => {
    // Each test is its own browser profile: one cookie jar, one signed-in account.
    const page = await newBoundedPage(await newBoundedContext(browser!));
    await page.goto(`${baseUrl}/?externalAuthCode=${await sign({ user: { id: 'carol', name: 'Carol' } })}`);
    expect(await signedInName(page)).toBe('Carol');
    // The attacker holds a pending sign-in of their own (they asked for one with their own cookie).
    await page.goto(`${baseUrl}/?externalAuthCode=${await sign({ user: { id: 'mallory', name: 'Mallory' } })}`);
    const pending = await page.locator('input[name=pending]').getAttribute('value');
    attackerPage = `<!doctype html><form method="post" action="${baseUrl}/sign-in/continue"><input name="pending" value="${pending}"><input name="next" value="/"><button>go</button></form>`;
    await page.goto(attackerOrigin);
    const refused = page.waitForResponse((r) => r.url() === `${baseUrl}/sign-in/continue`);
    await page.getByRole('button', { name: 'go' }).click();
    expect((await refused).status()).toBe(403);
    expect(await page.locator('main.error').getAttribute('data-code')).toBe('csrf_rejected');
    await page.goto(`${baseUrl}/`);
    expect(await signedInName(page)).toBe('Carol');
    await page.close();
  });
});
