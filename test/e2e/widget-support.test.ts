/**
 * The user's side of the support inbox, in Debian's Chromium on a third-party host page under a strict CSP,
 * against a live Parley: the team is away ("We usually answer within a few hours") until an administrator
 * has the admin panel open (its event stream), then "Online"; the agent's typing shows as "Ana Agent is
 * typing…" and goes with her answer, which carries her name; "Seen" once she has read; the user's own
 * message edited in place (Enter) and marked "edited", then deleted after the question ("Message deleted" in
 * its place); the user's typing reaches the agent's stream; the exchange names the page.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ExchangeResponse, Message } from '#shared/api.js';
import { EVENT } from '#shared/constants.js';
import { signExternalToken } from '../../server/src/auth/sign-external-token.js';
import { pickLocale } from '../../widget/src/i18n/locales.js';
import { canRunChromium, closeAll, launchChromium, newBoundedContext, newBoundedPage, outputPath, PageProblems, WAIT_MS } from '../helpers/browser.js';
import { apiClient, startLiveParley, type LiveParley } from '../helpers/live-server.js';
import { startHostServer, widgetParts, type HostServer } from '../helpers/widget-host.js';

const HAS_CHROMIUM = canRunChromium('Widget support browser tests');
const SECRET = 'e2e-widget-support-secret-certainly-longer-than-32-bytes';
const en = pickLocale('en', []).strings;

/** An event stream read in the background, whose frames the test waits for. */
async function openStream(url: string, token: string) {
  const abort = new AbortController();
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal: abort.signal });
  expect(response.status).toBe(200);
  let text = '';
  void (async () => {
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
      if (done) return;
      text += value;
    }
  })();
  const events = (name: string) => text.split('\n\n').filter((block) => block.split('\n').includes(`event: ${name}`));
  await vi.waitFor(() => expect(events('ready')).toHaveLength(1), { timeout: WAIT_MS });
  return { events, close: () => abort.abort() };
}

describe.skipIf(!HAS_CHROMIUM)('the support inbox from the user’s side, in Chromium', () => {
  let server: LiveParley | undefined;
  let browser: Browser | undefined;
  let host: HostServer | undefined;
  let parley: string;
  const contexts: BrowserContext[] = [];
  const problems = new PageProblems();
  const api = apiClient(() => parley);
  const { launcher, items, composer } = widgetParts;
  const inWidget = (page: Page, selector: string) => page.locator(`[data-parley-widget] ${selector}`);

  const sign = (payload: Record<string, unknown>) =>
    signExternalToken({ secret: new TextEncoder().encode(SECRET), kid: 'env', payload, issuedAt: Math.floor(Date.now() / 1000), expiresInSeconds: 600 });

  beforeAll(async () => {
    host = await startHostServer();
    server = await startLiveParley({ PARLEY_EXTERNAL_AUTH_SECRET: SECRET, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent', PARLEY_ALLOWED_ORIGINS: host.origin, PARLEY_SEAT_LIMIT: '100', PARLEY_MESSAGE_RATE_LIMIT: '0' });
    parley = server.origin;
    browser = await launchChromium();
  });
  afterEach(() => problems.check());
  afterAll(() => closeAll(contexts, browser, server, host));

  it('away then Online; the agent typing, answering by name, Seen; my message edited, then deleted; my typing heard', async () => {
    const context = await newBoundedContext(browser!, { reportCsp: true });
    contexts.push(context);
    const page = await newBoundedPage(context);
    problems.watch(page);
    const exchanges: unknown[] = [];
    page.on('request', (request) => {
      if (request.url().endsWith('/api/v1/auth/exchange') && request.method() === 'POST') exchanges.push(request.postDataJSON());
    });
    const hostPage = host!.page({ parley, code: await sign({ user: { id: 'alice', name: 'Alice' } }) });
    expect((await page.goto(`${hostPage}?secret=1#frag`))?.status()).toBe(200);
    await launcher(page).click();
    await composer(page).waitFor();
    // The page the widget was opened on, without its query or fragment.
    expect(exchanges).toEqual([expect.objectContaining({ page: hostPage })]);

    // Nobody of the team is online.
    await inWidget(page, '.hero .presence').filter({ hasText: en.awayText }).waitFor();
    expect(await inWidget(page, '.hero .presence.on').count()).toBe(0);
    await page.screenshot({ path: outputPath('widget-support-away.png') });

    await composer(page).fill('My invoice is wrong');
    await composer(page).press('Enter');
    const mine = items(page).filter({ hasText: 'My invoice is wrong' }).and(page.locator('[data-status="sent"]'));
    await mine.waitFor();
    const messageId = (await mine.getAttribute('data-message-id'))!;

    // An agent: the owner, Ana Agent, with the admin panel open (its event stream).
    const ana = await api<ExchangeResponse>('POST', '/api/v1/auth/exchange', { body: { externalAuthCode: await sign({ user: { id: 'ana', name: 'Ana Agent' } }) } });
    await server!.app.services.users.setRole(ana.body.user.id, 'owner');
    const token = ana.body.session.token;
    const stream = await openStream(`${parley}/api/v1/events`, token);
    try {
      const alice = await api<ExchangeResponse>('POST', '/api/v1/auth/exchange', { body: { externalAuthCode: await sign({ user: { id: 'alice', name: 'Alice' } }) } });
      const list = await api<{ conversations: { id: string }[] }>('GET', '/api/v1/conversations', { token: alice.body.session.token });
      const id = list.body.conversations[0]!.id;

      // Online, asked again when the panel opens.
      await page.keyboard.press('Escape');
      await launcher(page).click();
      await inWidget(page, '.thread .head .presence.on').filter({ hasText: en.online }).waitFor();

      // She reads my message: Seen.
      expect((await api('POST', `/api/v1/admin/conversations/${id}/read`, { token, body: { messageId } })).status).toBe(200);
      await mine.locator('.seen').filter({ hasText: en.seen }).waitFor();

      // She types: shown above the composer, and gone with her answer, which bears her name.
      const typing = await fetch(`${parley}/api/v1/admin/conversations/${id}/typing`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      expect(typing.status).toBe(204);
      await inWidget(page, '.thread .typer').filter({ hasText: 'Ana Agent is typing…' }).waitFor();
      await page.screenshot({ path: outputPath('widget-support-typing.png') });
      expect((await api('POST', `/api/v1/admin/conversations/${id}/messages`, { token, body: { text: 'Let me look', clientMessageId: 'ana-1' } })).status).toBe(201);
      const answer = items(page).filter({ hasText: 'Let me look' });
      await answer.waitFor();
      expect(await answer.locator('.author').textContent()).toBe('Ana Agent');
      expect(await answer.locator('.face').textContent()).toBe('A');
      await inWidget(page, '.thread .typer').waitFor({ state: 'detached' });

      // I type: her stream hears it.
      await composer(page).pressSequentially('Thanks');
      await vi.waitFor(() => expect(stream.events(EVENT.typing).length).toBeGreaterThan(0), { timeout: WAIT_MS });
      await composer(page).fill('');

      // I edit my message in place: Enter saves.
      const item = inWidget(page, `li.msg[data-message-id="${messageId}"]`);
      await item.hover();
      await item.getByRole('button', { name: en.edit }).click();
      const field = item.getByRole('textbox', { name: en.editLabel });
      await field.fill('My invoice INV-42 is wrong');
      await field.press('Enter');
      await item.filter({ hasText: 'My invoice INV-42 is wrong' }).locator('.was-edited').filter({ hasText: en.edited }).waitFor();
      await item.hover();
      await page.screenshot({ path: outputPath('widget-support-edited.png') });

      // Then delete it, after the question.
      await item.hover();
      await item.getByRole('button', { name: en.delete }).click();
      await item.getByRole('alert').filter({ hasText: en.deleteConfirm }).waitFor();
      await item.getByRole('alert').getByRole('button', { name: en.delete }).click();
      await item.locator('.gone').filter({ hasText: en.deleted }).waitFor();
      await page.screenshot({ path: outputPath('widget-support-deleted.png') });
      const stored = await api<{ messages: Message[] }>('GET', `/api/v1/conversations/${id}/messages`, { token: alice.body.session.token });
      expect(stored.body.messages.find((m) => m.id === messageId)).toMatchObject({ text: '', deletedAt: expect.any(String) });
    } finally {
      stream.close();
    }
  });
});
