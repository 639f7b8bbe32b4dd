/**
 * Email sign-in on the hosted page in a real browser (Chromium driven by playwright-core) against a real
 * Parley server: a visitor without a session gives an address, reads the code from the email Parley
 * queued, types it and is signed in by cookie, live; the emailed link signs in a fresh browser once, and a
 * second use shows the error page. Needs the browser assets built (`node scripts/build.mjs`).
 */
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canRunChromium, closeAll, launchChromium, newBoundedContext, newBoundedPage, WAIT_MS } from '../helpers/browser.js';
import { startLiveParley, type LiveParley } from '../helpers/live-server.js';

const HAS_CHROMIUM = canRunChromium('Email sign-in browser tests');

describe.skipIf(!HAS_CHROMIUM)('email sign-in on the hosted page in Chromium', () => {
  let server: LiveParley | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];

  /** The text of the emails queued so far, oldest first. */
  async function mails(): Promise<string[]> {
    const rows = await server!.db.store.db.selectFrom('outbox').select(['payload', 'seq']).where('kind', '=', 'mail').orderBy('seq').execute();
    return rows.map((r) => (JSON.parse(r.payload) as { text: string }).text);
  }

  async function newPage() {
    const context = await newBoundedContext(browser!, { viewport: { width: 1000, height: 700 } });
    contexts.push(context);
    const page = await newBoundedPage(context);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    return page;
  }

  beforeAll(async () => {
    // The SMTP server never answers: the emails stay in the outbox, where the test reads them.
    server = await startLiveParley({ HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent', PARLEY_SMTP_URL: 'smtp://127.0.0.1:9' }, { heartbeatMs: 1_000 });
    await server.app.services.settings.update({ signInMethods: ['external', 'email'] });
    browser = await launchChromium();
  });

  afterAll(() => closeAll(contexts, browser, server));

  it('an address, then the code from the email: signed in, live', async () => {
    const page = await newPage();
    await page.goto(`${server!.origin}/`);
    const email = page.getByLabel('Your email address');
    await email.fill('Ada@Example.com');
    await page.getByRole('button', { name: 'Email me a sign-in code' }).click();
    await page.getByText('Check your inbox: we sent you a 6-digit code and a sign-in link.').waitFor();
    await expect.poll(async () => (await mails()).length, { timeout: WAIT_MS }).toBe(1);
    const code = /is (\d{6})\./.exec((await mails())[0]!)![1]!;

    const field = page.getByLabel('6-digit code');
    await field.fill(code === '000000' ? '111111' : '000000');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByText('This code does not match. Check the email and try again.').waitFor();
    await field.fill(code);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.locator('[data-testid=user-name]', { hasText: 'Ada@Example.com' }).waitFor();
    await page.waitForSelector('body[data-live="ready"]', { state: 'attached', timeout: WAIT_MS });
    // The cookie holds: a reload is still signed in.
    await page.reload();
    await page.locator('[data-testid=user-name]', { hasText: 'Ada@Example.com' }).waitFor();
    expect(pageErrors).toEqual([]);
  });

  it('the emailed link signs in once; a second use shows the error page', async () => {
    const first = await newPage();
    await first.goto(`${server!.origin}/`);
    await first.getByLabel('Your email address').fill('grace@example.com');
    await first.getByRole('button', { name: 'Email me a sign-in code' }).click();
    await first.getByText('Check your inbox', { exact: false }).waitFor();
    await expect.poll(async () => (await mails()).length, { timeout: WAIT_MS }).toBe(2);
    const link = /(http:\/\/\S+emailSignIn=\S+)/.exec((await mails())[1]!)![1]!;

    const other = await newPage();
    const response = await other.goto(link);
    expect(response?.status()).toBe(200);
    expect(other.url()).toBe(`${server!.origin}/`);
    await other.locator('[data-testid=user-name]', { hasText: 'grace@example.com' }).waitFor();

    const third = await newPage();
    const again = await third.goto(link);
    expect(again?.status()).toBe(401);
    expect(await third.locator('main.error').getAttribute('data-code')).toBe('email_code_expired');
    expect(await third.locator('h1').textContent()).toBe('This sign-in link has expired');
    expect(pageErrors).toEqual([]);
  });
});
