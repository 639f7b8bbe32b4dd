/**
 * The support inbox end to end, both sides in Debian's Chromium against a live Parley: a user writes in the
 * widget on a third-party host page; the administrator's tab title counts it; the administrator assigns it
 * to themselves, sees the user typing, and answers; the user sees the answer under the agent's name and the
 * administrator sees "Seen"; a second answer while the panel is closed shows on the launcher's badge, which
 * a reload keeps (the server's count); the administrator resolves the conversation and finds it again by a
 * word of its text.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { signExternalToken } from '../../server/src/auth/sign-external-token.js';
import { canRunChromium, closeAll, launchChromium, newBoundedContext, newBoundedPage, outputPath, PageProblems, WAIT_MS } from '../helpers/browser.js';
import { startLiveParley, type LiveParley } from '../helpers/live-server.js';
import { becomeOwnerInBrowser, OWNER } from '../helpers/owner-setup.js';
import { startHostServer, widgetParts, type HostServer } from '../helpers/widget-host.js';

const HAS_CHROMIUM = canRunChromium('Inbox browser tests');
const SECRET = 'e2e-inbox-secret-that-is-certainly-longer-than-32-bytes';
const QUESTION = 'The printer on floor 3 is jammed again';
const ANSWER = 'On my way with a screwdriver';

describe.skipIf(!HAS_CHROMIUM)('the support inbox, user and administrator, in Chromium', () => {
  let server: LiveParley | undefined;
  let browser: Browser | undefined;
  let host: HostServer | undefined;
  let parley: string;
  const contexts: BrowserContext[] = [];
  const problems = new PageProblems();
  const { launcher, items, composer } = widgetParts;
  const badge = (page: Page) => page.locator('[data-parley-widget] [data-testid=unread]');

  const sign = (payload: Record<string, unknown>) =>
    signExternalToken({ secret: new TextEncoder().encode(SECRET), kid: 'env', payload, issuedAt: Math.floor(Date.now() / 1000), expiresInSeconds: 600 });

  async function newPage(): Promise<Page> {
    const context = await newBoundedContext(browser!, { reportCsp: true });
    contexts.push(context);
    const page = await newBoundedPage(context);
    problems.watch(page);
    return page;
  }
  const waitForTitle = (page: Page, title: string) => vi.waitFor(async () => expect(await page.title()).toBe(title), { timeout: WAIT_MS, interval: 50 });

  beforeAll(async () => {
    host = await startHostServer();
    server = await startLiveParley(
      { PARLEY_EXTERNAL_AUTH_SECRET: SECRET, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent', PARLEY_ALLOWED_ORIGINS: host.origin, PARLEY_SEAT_LIMIT: '10' },
      { heartbeatMs: 1_000 },
    );
    parley = server.origin;
    browser = await launchChromium();
  });
  afterEach(() => problems.check());
  afterAll(() => closeAll(contexts, browser, server, host));

  it('write, count, assign, typing…, answer, Seen, badge after a reload, resolve, find again', async () => {
    // The administrator: the owner, by the set-up link, on the inbox.
    const admin = await newPage();
    await becomeOwnerInBrowser(admin, (await server!.app.services.adminLinks.ownerSetupLinkIfNeeded(parley))!);
    await admin.goto(`${parley}/admin#/inbox`);
    await admin.locator('.inbox p.live').filter({ hasText: 'Live' }).waitFor();
    await waitForTitle(admin, 'Inbox · Parley admin');

    // The user writes in the widget on the host page.
    const user = await newPage();
    const hostPage = host!.page({ parley, code: await sign({ user: { id: 'alice', name: 'Alice', email: 'alice@example.com' } }) });
    expect((await user.goto(hostPage))?.status()).toBe(200);
    await launcher(user).click();
    await composer(user).fill(QUESTION);
    await composer(user).press('Enter');
    await items(user).filter({ hasText: QUESTION }).and(user.locator('[data-status="sent"]')).waitFor();

    // The administrator's tab counts it, live; it is in Unassigned.
    await waitForTitle(admin, '(1) Inbox · Parley admin');
    const views = admin.getByRole('navigation', { name: 'Inbox views' });
    const viewCount = (view: string, n: number) => views.locator(`[data-testid=count-${view}]`).filter({ hasText: new RegExp(`^\\D*${n}$`) }).waitFor();
    await viewCount('unassigned', 1);
    const entry = admin.locator('ul.conversations a[data-conversation-id]').filter({ hasText: QUESTION });
    await entry.click();

    // Assigned to themselves: Mine counts it.
    await admin.getByRole('combobox', { name: 'Assignee' }).selectOption({ label: 'Me' });
    await admin.getByText('Assigned to you.').waitFor();
    await viewCount('mine', 1);
    await viewCount('unassigned', 0);

    // The user types: the administrator sees it.
    await composer(user).pressSequentially('Also the');
    await admin.locator('[data-testid=typing]').filter({ hasText: 'Alice is typing…' }).waitFor();
    await admin.screenshot({ path: outputPath('inbox-typing.png') });

    // The answer: the user sees it under the agent's name, and reads it (the panel is open): Seen.
    await admin.getByRole('textbox', { name: 'Reply' }).fill(ANSWER);
    await admin.getByRole('button', { name: 'Send' }).click();
    const answer = items(user).filter({ hasText: ANSWER });
    await answer.waitFor();
    expect(await answer.locator('.author').textContent()).toBe(OWNER.name);
    await admin.locator('[data-testid=seen]').filter({ hasText: 'Seen' }).waitFor();
    await waitForTitle(admin, 'Inbox · Parley admin');
    await admin.screenshot({ path: outputPath('inbox-seen.png') });

    // The user closes the panel; a second answer shows on the badge, and a reload keeps it.
    await user.keyboard.press('Escape');
    await admin.getByRole('textbox', { name: 'Reply' }).fill('Fixed: it was a paper clip');
    await admin.getByRole('button', { name: 'Send' }).click();
    await badge(user).filter({ hasText: '1' }).waitFor();
    await user.reload();
    await launcher(user).waitFor();
    await badge(user).filter({ hasText: '1' }).waitFor();
    expect(await badge(user).textContent()).toBe('1');

    // Resolved: out of Open and Mine, in Resolved; found again by a word of its text.
    await admin.getByRole('button', { name: 'Resolve' }).click();
    await admin.getByText('Conversation resolved.').waitFor();
    await viewCount('resolved', 1);
    await viewCount('mine', 0);
    await views.locator('a[data-view=open]').click();
    await admin.locator('ul.conversations a[data-conversation-id]').first().waitFor({ state: 'detached' });
    await admin.getByRole('searchbox', { name: 'Search conversations' }).fill('jammed');
    await admin.locator('.list-heading').filter({ hasText: 'Results for “jammed”' }).waitFor();
    await entry.waitFor();
    expect(await admin.locator('ul.conversations a[data-conversation-id]').count()).toBe(1);
    await admin.screenshot({ path: outputPath('inbox-found.png') });
  });
});
