/**
 * The Assistant page in Debian's Chromium against a real Parley server and a fake OpenAI-compatible
 * provider on 127.0.0.1 (streamed Chat Completions): the owner creates an assistant (refused on a loopback
 * base URL until "Allow a private address" is on), its Test shows the provider's refusal of a wrong key,
 * then, with the key replaced, the reply and the time to its first token; a user's message is answered
 * and shows in the day's usage; Delete empties the list. Needs the browser assets built
 * (`node scripts/build.mjs`, which `npm test` runs first).
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExchangeResponse } from '#shared/api.js';
import { signExternalToken } from '../../server/src/auth/sign-external-token.js';
import { canRunChromium, closeAll, injectAxe, launchChromium, newBoundedContext, newBoundedPage, outputPath, PageProblems, ROOT, seriousAxeViolations, sideways, WAIT_MS } from '../helpers/browser.js';
import { apiClient, startLiveParley, type LiveParley } from '../helpers/live-server.js';
import { becomeOwnerInBrowser } from '../helpers/owner-setup.js';

const HAS_CHROMIUM = canRunChromium('Admin assistant browser test');
const HAS_BUILD = existsSync(join(ROOT, 'dist/public/manifest.json'));
if (HAS_CHROMIUM && !HAS_BUILD) console.warn('Admin assistant browser test skipped: the browser assets are not built (run `node scripts/build.mjs`; `npm test` does).');

const SECRET = 'assistant-e2e-secret-that-is-longer-than-32-bytes';
const GOOD_KEY = 'sk-good-key-1234';
const REPLY = ['Hello', ' from the', ' fake model.'];

describe.skipIf(!HAS_CHROMIUM || !HAS_BUILD)('the Assistant page in Chromium', () => {
  let server: LiveParley | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext;
  /** The same owner on a phone, without the CSP (axe-core is added as an inline script). */
  let phone: BrowserContext;
  let provider: Server | undefined;
  let baseUrl: string;
  const asked: { path: string; authorization: string | undefined; body: { model?: string; stream?: boolean } }[] = [];
  const problems = new PageProblems();
  const api = apiClient(() => server!.origin);

  beforeAll(async () => {
    // Chat Completions as OpenAI streams them: a wrong key is a 401 with an error object.
    provider = createServer((req, res) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      req.on('end', () => {
        asked.push({ path: req.url ?? '', authorization: req.headers.authorization, body: JSON.parse(text || '{}') });
        if (req.headers.authorization !== `Bearer ${GOOD_KEY}`) {
          res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'Incorrect API key provided.', type: 'invalid_request_error' } }));
          return;
        }
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        for (const piece of REPLY) res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: piece } }] })}\n\n`);
        res.write(`data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 40, completion_tokens: 5, total_tokens: 45 } })}\n\n`);
        res.end('data: [DONE]\n\n');
      });
    });
    await new Promise<void>((resolve) => provider!.listen(0, '127.0.0.1', resolve));
    const address = provider.address();
    baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/v1`;
    server = await startLiveParley({ PARLEY_EXTERNAL_AUTH_SECRET: SECRET, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent' });
    browser = await launchChromium();
    context = await newBoundedContext(browser, { viewport: { width: 1280, height: 900 }, reportCsp: true });
    const page = await newBoundedPage(context);
    await becomeOwnerInBrowser(page, (await server.app.services.adminLinks.ownerSetupLinkIfNeeded(server.origin))!);
    await page.locator('[data-testid=admin-name]').waitFor();
    await page.close();
    phone = await browser.newContext({ bypassCSP: true, viewport: { width: 375, height: 667 } });
    phone.setDefaultTimeout(WAIT_MS);
    await phone.addCookies(await context.cookies());
  });
  afterAll(async () => {
    await closeAll([context, phone].filter(Boolean), browser, server);
    await new Promise<void>((resolve) => (provider ? provider.close(() => resolve()) : resolve()));
  });

  it('creates an assistant, tests it, sees a user answered in its usage, and deletes it', async () => {
    const page = await newBoundedPage(context);
    problems.watch(page);
    // The refused base URL (400) and the provider's refusal (502) are answers the browser logs itself.
    problems.allow(/status of 400/, /status of 502/);
    await page.goto(`${server!.origin}/admin#/overview`);
    await page.getByRole('navigation', { name: 'Admin sections' }).getByRole('link', { name: 'Assistant' }).click();
    await page.locator('main.content > h1', { hasText: 'Assistant' }).waitFor();
    await page.getByText('No assistant yet').waitFor();
    await page.getByRole('link', { name: 'New assistant' }).click();
    await page.getByRole('heading', { name: 'New assistant' }).waitFor();

    await page.getByLabel('Name', { exact: true }).fill('Sam');
    await page.getByLabel('Base URL').fill(baseUrl);
    await page.getByLabel('Model').fill('fake-model');
    await page.getByLabel('API key').fill('sk-wrong-key-0001');
    await page.getByLabel('System prompt').fill('You answer for Acme.');
    await page.getByLabel('Messages per user').fill('50');
    await page.getByLabel('Tokens per user').fill('100000');
    await page.getByLabel('Messages per organization').fill('1000');
    await page.getByLabel('Tokens per organization').fill('1000000');
    await page.getByRole('button', { name: 'Create assistant' }).click();
    await expect.poll(() => page.getByRole('alert').textContent(), { timeout: WAIT_MS }).toContain('Parley does not call this base URL: it is on a private or loopback address.');

    await page.getByLabel('Allow a private address').check();
    await page.getByRole('button', { name: 'Create assistant' }).click();
    const heading = page.locator('main h2', { hasText: 'Sam' });
    await heading.waitFor();
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Sam');
    expect(await page.getByTestId('assistant-said').textContent()).toBe('Sam created. Test it now, or change its settings below.');
    expect(await page.getByTestId('api-key-hint').textContent()).toBe('…0001');
    expect(await page.getByLabel('Replace the API key').inputValue()).toBe('');
    expect(page.url()).toMatch(/#\/assistant\/[A-Za-z0-9_-]+$/);
    const id = decodeURIComponent(page.url().split('#/assistant/')[1]!);

    await page.getByRole('button', { name: 'Test', exact: true }).click();
    await expect.poll(() => page.getByRole('alert').textContent(), { timeout: WAIT_MS }).toMatch(/^The model provider failed: .*401.*Incorrect API key provided\./);
    expect(await page.getByRole('alert').textContent()).not.toContain('sk-wrong-key-0001');

    await page.getByLabel('Replace the API key').fill(GOOD_KEY);
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Saved. The new API key is in use.').waitFor();
    expect(await page.getByTestId('api-key-hint').textContent()).toBe('…1234');
    expect(await page.getByLabel('Replace the API key').inputValue()).toBe('');

    await page.getByRole('button', { name: 'Test', exact: true }).click();
    await expect.poll(() => page.getByTestId('test-said').textContent(), { timeout: WAIT_MS }).toMatch(/^Answered: first token after \d+(\.\d)? m?s\.$/);
    expect(await page.getByTestId('test-reply').textContent()).toBe(REPLY.join(''));
    await page.screenshot({ path: outputPath('admin-assistant-detail.png'), fullPage: true });
    expect(asked.at(-1)).toMatchObject({ path: '/v1/chat/completions', authorization: `Bearer ${GOOD_KEY}`, body: { model: 'fake-model', stream: true } });

    // A user writes; the assistant answers, and the day's usage counts it.
    const code = await signExternalToken({ secret: new TextEncoder().encode(SECRET), kid: 'env', payload: { user: { id: 'alice', name: 'Alice', email: 'alice@example.com' } }, issuedAt: Math.floor(Date.now() / 1000), expiresInSeconds: 600 });
    const exchange = await api<ExchangeResponse>('POST', '/api/v1/auth/exchange', { body: { externalAuthCode: code } });
    expect(exchange.status).toBe(200);
    const posted = await api('POST', '/api/v1/conversations', { token: exchange.body.session.token, body: { message: { text: 'Hello, is anyone there?', clientMessageId: 'c1' } } });
    expect(posted.status).toBe(201);
    const aliceRow = page.locator('table.usage-users tbody tr', { hasText: 'Alice' });
    await expect
      .poll(
        async () => {
          await page.reload();
          await heading.waitFor();
          await page.getByTestId('usage-said').filter({ hasText: /\d{4}-\d{2}-\d{2}/ }).waitFor();
          return (await aliceRow.count()) > 0 ? (await aliceRow.locator('th, td').allTextContents()).map((t) => t.trim()) : null;
        },
        { timeout: WAIT_MS * 2 },
      )
      .toEqual(['Alice', 'alice@example.com', '1', '45']);
    expect(await page.locator('table.usage-organizations tbody tr').first().locator('td').allTextContents()).toEqual(['1', '45']);

    await page.getByRole('button', { name: 'Delete assistant' }).click();
    await page.getByRole('group', { name: 'Delete Sam? It stops answering at once.' }).getByRole('button', { name: 'Delete' }).click();
    await page.getByTestId('assistants-said').filter({ hasText: 'Deleted Sam.' }).waitFor();
    expect(page.url()).toMatch(/#\/assistant$/);
    await page.getByText('No assistant yet').waitFor();
    const list = await api<{ error: { code: string } }>('GET', `/api/v1/admin/assistants/${encodeURIComponent(id)}/usage`, { headers: { cookie: (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ') } });
    expect(list).toMatchObject({ status: 404, body: { error: { code: 'assistant_not_found' } } });
    problems.check();
  });

  it('on a phone, the form (with its errors shown), an assistant’s page and the list fit the width and are axe-clean', async () => {
    const created = await phone.request.post(`${server!.origin}/api/v1/admin/assistants`, {
      headers: { origin: server!.origin },
      data: { name: 'A rather long assistant name for a phone', baseUrl, model: 'fake-model-with-a-long-name', apiKey: GOOD_KEY, systemPrompt: 'Be brief.', answers: 'when_offline', allowPrivateAddress: true, organizationIds: ['default'] },
    });
    expect(created.status(), await created.text()).toBe(201);
    const { assistant } = (await created.json()) as { assistant: { id: string } };
    const page = await phone.newPage();
    problems.watch(page);
    await page.goto(`${server!.origin}/admin#/assistant/new`);
    await page.getByRole('heading', { name: 'New assistant' }).waitFor();
    await injectAxe(page);
    expect(await sideways(page)).toEqual([]);
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.getByLabel('Allow a private address').check();
    await page.getByRole('button', { name: 'Create assistant' }).click();
    await page.getByRole('alert').filter({ hasText: 'fields need a change' }).waitFor();
    expect(await page.getByLabel('Name', { exact: true }).evaluate((el) => el === document.activeElement)).toBe(true);
    await page.screenshot({ path: outputPath('admin-assistant-phone-form.png'), fullPage: true });
    expect(await sideways(page)).toEqual([]);
    expect(await seriousAxeViolations(page)).toEqual([]);

    await page.goto(`${server!.origin}/admin#/assistant/${encodeURIComponent(assistant.id)}`);
    await page.reload();
    await page.getByRole('heading', { name: 'A rather long assistant name for a phone' }).waitFor();
    await page.getByTestId('usage-said').filter({ hasText: /\d{4}-\d{2}-\d{2}/ }).waitFor();
    await page.getByRole('button', { name: 'Test', exact: true }).click();
    await page.getByTestId('test-reply').waitFor();
    await injectAxe(page);
    await page.screenshot({ path: outputPath('admin-assistant-phone-detail.png'), fullPage: true });
    expect(await sideways(page)).toEqual([]);
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await seriousAxeViolations(page), 'dark').toEqual([]);
    await page.emulateMedia({ colorScheme: 'light' });
    await page.goto(`${server!.origin}/admin#/assistant`);
    await page.locator('table.assistants').waitFor();
    expect(await sideways(page)).toEqual([]);
    expect(await seriousAxeViolations(page)).toEqual([]);
    await page.close();
    problems.check();
  });
});
