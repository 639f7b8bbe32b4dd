/**
 * The AI assistant in the widget, in Debian's Chromium on a third-party host page under a strict CSP,
 * against a live Parley and a fake streamed Chat Completions provider on 127.0.0.1 (docs/assistant.md): the
 * user's question gets a reply that streams in under the assistant's name (held mid-stream by the provider,
 * with Stop beside it), then is stored in the bubble's place; "Talk to a person" hands the conversation to
 * the team: the button goes, the system message says so, and the next message gets no reply from the
 * assistant.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ASSISTANT_REPLY_KIND } from '../../server/src/assistant/chat-hook.js';
import { signExternalToken } from '../../server/src/auth/sign-external-token.js';
import { canRunChromium, closeAll, launchChromium, newBoundedContext, newBoundedPage, outputPath, PageProblems } from '../helpers/browser.js';
import { startLiveParley, type LiveParley } from '../helpers/live-server.js';
import { startHostServer, widgetParts, type HostServer } from '../helpers/widget-host.js';
import { gate, startFakeProvider, type FakeProvider } from '../server/assistant/fake-provider.js';

const HAS_CHROMIUM = canRunChromium('Widget assistant browser test');
const SECRET = 'widget-assistant-e2e-secret-longer-than-32-bytes';

describe.skipIf(!HAS_CHROMIUM)('the assistant in the widget, in Chromium', () => {
  let server: LiveParley | undefined;
  let browser: Browser | undefined;
  let host: HostServer | undefined;
  let provider: FakeProvider | undefined;
  const contexts: BrowserContext[] = [];
  const problems = new PageProblems();
  const { launcher, items, composer } = widgetParts;
  const inWidget = (page: Page, selector: string) => page.locator(`[data-parley-widget] ${selector}`);

  beforeAll(async () => {
    provider = await startFakeProvider();
    host = await startHostServer();
    server = await startLiveParley({ PARLEY_EXTERNAL_AUTH_SECRET: SECRET, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent', PARLEY_ALLOWED_ORIGINS: host.origin }, { heartbeatMs: 1_000 });
    browser = await launchChromium();
  });
  afterEach(() => problems.check());
  afterAll(async () => {
    await closeAll(contexts, browser, server, host);
    await provider?.close();
  });

  it('streams a reply with Stop beside it, stores it, and hands over to a person', async () => {
    const sign = (id: string, name?: string) =>
      signExternalToken({ secret: new TextEncoder().encode(SECRET), kid: 'env', payload: { user: { id, ...(name ? { name } : {}) } }, issuedAt: Math.floor(Date.now() / 1000), expiresInSeconds: 600 });
    const signedIn = (await server!.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await sign('owner') } })).json();
    await server!.app.services.users.setRole(signedIn.user.id, 'owner');
    const ownerToken = signedIn.session.token as string;
    const created = await server!.app.inject({
      method: 'POST',
      url: '/api/v1/admin/assistants',
      headers: { authorization: `Bearer ${ownerToken}` },
      payload: { name: 'Sam', baseUrl: provider!.url, model: 'fake-model', apiKey: 'sk-test-0001', systemPrompt: 'You answer for Acme.', answers: 'always', allowPrivateAddress: true },
    });
    expect(created.statusCode, created.body).toBe(201);

    const context = await newBoundedContext(browser!, { reportCsp: true });
    contexts.push(context);
    const page = await newBoundedPage(context);
    problems.watch(page);
    await page.goto(host!.page({ parley: server!.origin, code: await sign('alice', 'Alice') }));
    await launcher(page).click();

    // The provider sends its first piece, then holds the rest until the test has seen it stream.
    const hold = gate();
    provider!.script.push({ kind: 'reply', pieces: ['Open **Settings**', ', then Password.'], gates: new Map([[1, hold.opened]]) });
    await composer(page).fill('How do I change my password?');
    await composer(page).press('Enter');
    const bubble = inWidget(page, 'li.msg.streaming');
    await bubble.locator('.text').filter({ hasText: /^Open Settings$/ }).waitFor();
    expect(await bubble.locator('.author').textContent()).toBe('Sam');
    expect(await bubble.getByRole('button', { name: 'Stop' }).isVisible()).toBe(true);
    await page.screenshot({ path: outputPath('widget-assistant-streaming.png') });
    hold.open();
    const stored = items(page).filter({ hasText: 'Open Settings, then Password.' });
    await stored.waitFor();
    await bubble.waitFor({ state: 'detached' });
    expect(await stored.locator('.author').textContent()).toBe('Sam');
    expect(await stored.locator('strong').textContent()).toBe('Settings');

    // A person, please: the button goes and the system line says where the conversation went.
    const replies = () => server!.db.store.db.selectFrom('outbox').select('id').where('kind', '=', ASSISTANT_REPLY_KIND).execute();
    expect(await replies()).toHaveLength(1);
    await inWidget(page, 'button.handoff').click();
    await inWidget(page, 'button.handoff').waitFor({ state: 'detached' });
    await inWidget(page, 'li.msg.system').filter({ hasText: 'passed to the team' }).waitFor();
    await composer(page).fill('Thanks, and my invoice?');
    await composer(page).press('Enter');
    await items(page).filter({ hasText: 'Thanks, and my invoice?' }).and(page.locator('[data-status="sent"]')).waitFor();
    // The assistant stays quiet: the message wrote no reply for it (that row is written with the message).
    expect(await replies()).toHaveLength(1);
    await page.screenshot({ path: outputPath('widget-assistant-handoff.png') });
  });
});
