/**
 * The AI assistant in the inbox, in Debian's Chromium against a live Parley and a fake streamed Chat
 * Completions provider on 127.0.0.1 (docs/assistant.md): a user's message gets a reply the administrator
 * watches stream into the open thread (held mid-stream by the provider, with Stop beside it), then stored
 * under the assistant's name with its "AI assistant" mark; the administrator takes over, the user's next
 * message gets no reply from the assistant, and the administrator's answer reaches the user. Stop in the
 * thread ends another reply mid-stream, stored with its text so far. Needs the browser assets built (`node scripts/build.mjs`, which `npm test` runs first).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExchangeResponse, Message } from '#shared/api.js';
import { signExternalToken } from '../../server/src/auth/sign-external-token.js';
import { canRunChromium, closeAll, injectAxe, launchChromium, newBoundedContext, newBoundedPage, outputPath, PageProblems, ROOT, seriousAxeViolations, WAIT_MS } from '../helpers/browser.js';
import { apiClient, startLiveParley, type LiveParley } from '../helpers/live-server.js';
import { becomeOwnerInBrowser, OWNER } from '../helpers/owner-setup.js';
import { gate, startFakeProvider, type FakeProvider } from '../server/assistant/fake-provider.js';

const HAS_CHROMIUM = canRunChromium('Inbox assistant browser test');
const HAS_BUILD = existsSync(join(ROOT, 'dist/public/manifest.json'));
if (HAS_CHROMIUM && !HAS_BUILD) console.warn('Inbox assistant browser test skipped: the browser assets are not built (run `node scripts/build.mjs`; `npm test` does).');

const SECRET = 'inbox-assistant-e2e-secret-longer-than-32-bytes';
const QUESTION = 'Where is my refund for order 42?';
const PIECES = ['Your refund', ' left our bank', ' this morning.'];
const FOLLOW_UP = 'Thanks. And my invoice?';
const ANSWER = 'I am sending the invoice by email now.';

describe.skipIf(!HAS_CHROMIUM || !HAS_BUILD)('the assistant in the inbox, in Chromium', () => {
  let server: LiveParley | undefined;
  let browser: Browser | undefined;
  let provider: FakeProvider | undefined;
  let context: BrowserContext;
  const problems = new PageProblems();
  const api = apiClient(() => server!.origin);

  beforeAll(async () => {
    provider = await startFakeProvider();
    server = await startLiveParley({ PARLEY_EXTERNAL_AUTH_SECRET: SECRET, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent' }, { heartbeatMs: 1_000 });
    browser = await launchChromium();
    context = await newBoundedContext(browser, { viewport: { width: 1280, height: 900 }, reportCsp: true });
  });
  afterAll(async () => {
    await closeAll([context].filter(Boolean), browser, server);
    await provider?.close();
  });

  it('a reply streams into the open thread, the administrator takes over, and the next message is theirs to answer', async () => {
    const admin = await newBoundedPage(context);
    problems.watch(admin);
    await becomeOwnerInBrowser(admin, (await server!.app.services.adminLinks.ownerSetupLinkIfNeeded(server!.origin))!);
    const created = await context.request.post(`${server!.origin}/api/v1/admin/assistants`, {
      headers: { origin: server!.origin },
      data: { name: 'Sam', baseUrl: provider!.url, model: 'fake-model', apiKey: 'sk-test-0001', systemPrompt: 'You answer for Acme.', answers: 'always', allowPrivateAddress: true },
    });
    expect(created.status(), await created.text()).toBe(201);
    await admin.goto(`${server!.origin}/admin#/inbox`);
    await admin.locator('.inbox p.live').filter({ hasText: 'Live' }).waitFor();

    // The provider sends its first piece, then holds the rest until the test has seen it stream.
    const hold = gate();
    provider!.script.push({ kind: 'reply', pieces: PIECES, gates: new Map([[1, hold.opened]]) });
    const code = await signExternalToken({ secret: new TextEncoder().encode(SECRET), kid: 'env', payload: { user: { id: 'alice', name: 'Alice', email: 'alice@example.com' } }, issuedAt: Math.floor(Date.now() / 1000), expiresInSeconds: 600 });
    const exchange = await api<ExchangeResponse>('POST', '/api/v1/auth/exchange', { body: { externalAuthCode: code } });
    expect(exchange.status).toBe(200);
    const token = exchange.body.session.token;
    const posted = await api<{ conversation: { id: string } }>('POST', '/api/v1/conversations', { token, body: { message: { text: QUESTION, clientMessageId: 'c1' } } });
    expect(posted.status).toBe(201);
    const id = posted.body.conversation.id;

    // The list tags it as the assistant's; opened, its reply streams in with Stop beside it.
    const entry = admin.locator(`ul.conversations a[data-conversation-id="${id}"]`);
    await entry.locator('.badge.ai').filter({ hasText: 'AI' }).waitFor();
    await entry.click();
    const status = admin.getByTestId('assistant-status');
    await status.filter({ hasText: 'AI assistant answering: Sam' }).waitFor();
    const bubble = admin.getByTestId('streaming-reply');
    await bubble.locator('.streamed').filter({ hasText: /^Your refund$/ }).waitFor();
    expect(await bubble.locator('.author').textContent()).toBe('Sam');
    expect(await bubble.getByTestId('ai-mark').textContent()).toBe('AI assistant');
    expect(await bubble.getByRole('button', { name: "Stop the assistant's reply" }).isEnabled()).toBe(true);
    await admin.screenshot({ path: outputPath('inbox-assistant-streaming.png') });

    // The rest comes; the stored message takes the bubble's place.
    hold.open();
    const reply = admin.locator('ol.messages li.msg.assistant[data-message-id]');
    await reply.filter({ hasText: PIECES.join('') }).waitFor();
    await bubble.waitFor({ state: 'detached' });
    expect(await reply.locator('.author').textContent()).toBe('Sam');
    expect(await reply.getByTestId('ai-mark').textContent()).toBe('AI assistant');
    expect(await reply.count()).toBe(1);

    // Take over: the assistant goes quiet here, and the header says so.
    await status.getByRole('button', { name: 'Take over' }).click();
    await status.filter({ hasText: 'Handed to the team' }).waitFor();
    await status.getByRole('status').filter({ hasText: 'You took over: Sam no longer answers in this conversation.' }).waitFor();
    expect(await status.getByRole('button', { name: 'Take over' }).count()).toBe(0);
    await entry.locator('.badge.ai').waitFor({ state: 'detached' });
    await admin.screenshot({ path: outputPath('inbox-assistant-taken-over.png') });

    // The user writes again: the administrator sees it, and answers; the assistant was not asked again.
    const next = await api('POST', `/api/v1/conversations/${encodeURIComponent(id)}/messages`, { token, body: { text: FOLLOW_UP, clientMessageId: 'c2' } });
    expect(next.status).toBe(201);
    await admin.locator('ol.messages li.msg').filter({ hasText: FOLLOW_UP }).waitFor();
    await admin.getByRole('textbox', { name: 'Reply' }).fill(ANSWER);
    await admin.getByRole('button', { name: 'Send' }).click();
    await admin.locator('ol.messages li.msg.mine').filter({ hasText: ANSWER }).waitFor();
    const thread = await api<{ messages: Message[] }>('GET', `/api/v1/conversations/${encodeURIComponent(id)}/messages`, { token });
    expect(thread.status).toBe(200);
    expect(thread.body.messages.map((m) => [m.author.type, m.author.name, m.text])).toEqual([
      ['user', 'Alice', QUESTION],
      ['assistant', 'Sam', PIECES.join('')],
      ['user', 'Alice', FOLLOW_UP],
      ['user', OWNER.name, ANSWER],
    ]);
    expect(provider!.requests).toHaveLength(1);
    expect(await admin.getByTestId('streaming-reply').count()).toBe(0);
    problems.check();
  });

  it('Stop in the inbox ends a reply mid-stream: it is stored with its text so far; the thread is axe-clean while it streams', async () => {
    // The same administrator without the CSP (axe-core is added as an inline script).
    const axeContext = await browser!.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
    axeContext.setDefaultTimeout(WAIT_MS);
    await axeContext.addCookies(await context.cookies());
    const admin = await axeContext.newPage();
    problems.watch(admin);
    await admin.goto(`${server!.origin}/admin#/inbox`);
    await admin.locator('.inbox p.live').filter({ hasText: 'Live' }).waitFor();
    // Held after its first piece, for good: only Stop ends it.
    provider!.script.push({ kind: 'reply', pieces: ['Let me check', ' that for you.'], gates: new Map([[1, gate().opened]]) });
    const code = await signExternalToken({ secret: new TextEncoder().encode(SECRET), kid: 'env', payload: { user: { id: 'bob', name: 'Bob' } }, issuedAt: Math.floor(Date.now() / 1000), expiresInSeconds: 600 });
    const exchange = await api<ExchangeResponse>('POST', '/api/v1/auth/exchange', { body: { externalAuthCode: code } });
    const token = exchange.body.session.token;
    const posted = await api<{ conversation: { id: string } }>('POST', '/api/v1/conversations', { token, body: { message: { text: 'Is my parcel lost?', clientMessageId: 'b1' } } });
    expect(posted.status).toBe(201);
    const id = posted.body.conversation.id;
    await admin.locator(`ul.conversations a[data-conversation-id="${id}"]`).click();
    const bubble = admin.getByTestId('streaming-reply');
    await bubble.locator('.streamed').filter({ hasText: /^Let me check$/ }).waitFor();
    await injectAxe(admin);
    expect(await seriousAxeViolations(admin)).toEqual([]);
    await admin.emulateMedia({ colorScheme: 'dark' });
    expect(await seriousAxeViolations(admin), 'dark').toEqual([]);
    await admin.emulateMedia({ colorScheme: 'light' });
    await bubble.getByRole('button', { name: "Stop the assistant's reply" }).click();
    const reply = admin.locator('ol.messages li.msg.assistant[data-message-id]');
    await reply.filter({ hasText: 'Let me check' }).waitFor();
    await bubble.waitFor({ state: 'detached' });
    const thread = await api<{ messages: Message[] }>('GET', `/api/v1/conversations/${encodeURIComponent(id)}/messages`, { token });
    expect(thread.body.messages.map((m) => [m.author.type, m.text])).toEqual([
      ['user', 'Is my parcel lost?'],
      ['assistant', 'Let me check'],
    ]);
    // Stopped, not handed over: the assistant still answers here.
    await admin.getByTestId('assistant-status').filter({ hasText: 'AI assistant answering: Sam' }).waitFor();
    expect(await seriousAxeViolations(admin), 'the stored reply').toEqual([]);
    await axeContext.close();
    problems.check();
  });
});
