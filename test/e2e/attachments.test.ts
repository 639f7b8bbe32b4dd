/**
 * Files both ways, in Debian's Chromium against a live Parley: the user pastes a screenshot into the widget's
 * composer on a third-party host page under a strict CSP (img-src Parley only), it uploads (the upload code
 * loading only then) and is sent without text; the widget shows it inline, its size known before it loads,
 * read with the session's file token; the administrator sees it in the inbox (by the panel's cookie) and
 * answers with a PDF picked with the file button, which the user gets as a download card. A pasted HTML
 * page named .png is refused in the tray with its reason, and nothing is sent.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signExternalToken } from '../../server/src/auth/sign-external-token.js';
import { canRunChromium, closeAll, launchChromium, newBoundedContext, newBoundedPage, outputPath, PageProblems } from '../helpers/browser.js';
import { startLiveParley, type LiveParley } from '../helpers/live-server.js';
import { becomeOwnerInBrowser } from '../helpers/owner-setup.js';
import { startHostServer, widgetParts, type HostServer } from '../helpers/widget-host.js';
import { PNG_3x2 } from '../helpers/files.js';

const HAS_CHROMIUM = canRunChromium('Attachment browser tests');
const SECRET = 'e2e-attachments-secret-that-is-certainly-longer-than-32-bytes';

/** Pastes files into `field` as a browser's clipboard would hand them over. */
async function paste(field: ReturnType<Page['locator']>, files: { name: string; type: string; base64: string }[]) {
  await field.evaluate((el, list) => {
    const data = new DataTransfer();
    for (const f of list) data.items.add(new File([Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))], f.name, { type: f.type }));
    el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, files);
}

describe.skipIf(!HAS_CHROMIUM)('attachments in the widget and the inbox, in Chromium', () => {
  let server: LiveParley | undefined;
  let browser: Browser | undefined;
  let host: HostServer | undefined;
  let parley: string;
  const contexts: BrowserContext[] = [];
  const problems = new PageProblems();
  const { launcher, items, composer } = widgetParts;

  async function newPage(): Promise<Page> {
    const context = await newBoundedContext(browser!, { reportCsp: true });
    contexts.push(context);
    const page = await newBoundedPage(context);
    problems.watch(page);
    return page;
  }
  const sign = (payload: Record<string, unknown>) =>
    signExternalToken({ secret: new TextEncoder().encode(SECRET), kid: 'env', payload, issuedAt: Math.floor(Date.now() / 1000), expiresInSeconds: 600 });

  beforeAll(async () => {
    host = await startHostServer();
    server = await startLiveParley({ PARLEY_EXTERNAL_AUTH_SECRET: SECRET, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent', PARLEY_ALLOWED_ORIGINS: host.origin, PARLEY_SEAT_LIMIT: '10' });
    parley = server.origin;
    browser = await launchChromium();
  });
  afterEach(() => problems.check());
  afterAll(() => closeAll(contexts, browser, server, host));

  it('a pasted screenshot reaches the inbox; the team’s PDF reaches the user; an HTML page named .png is refused', async () => {
    const admin = await newPage();
    await becomeOwnerInBrowser(admin, (await server!.app.services.adminLinks.ownerSetupLinkIfNeeded(parley))!);
    await admin.goto(`${parley}/admin#/inbox`);
    await admin.locator('.inbox p.live').filter({ hasText: 'Live' }).waitFor();

    const user = await newPage();
    const uploadsLoaded: string[] = [];
    user.on('request', (r) => r.url().includes('/assets/upload-') && uploadsLoaded.push(r.url()));
    await user.goto(host!.page({ parley, code: await sign({ user: { id: 'alice', name: 'Alice' } }) }));
    await launcher(user).click();
    await composer(user).fill('My screen is broken');
    await composer(user).press('Enter');
    await items(user).filter({ hasText: 'My screen is broken' }).and(user.locator('[data-status="sent"]')).waitFor();
    expect(uploadsLoaded).toEqual([]);

    // An HTML page named .png: refused, said in the tray (Chromium logs the 415 itself).
    problems.allow(/status of 415/);
    const tray = user.locator('[data-parley-widget] ul.tray li');
    await paste(composer(user), [{ name: 'cat.png', type: 'image/png', base64: Buffer.from('<!doctype html><script>alert(1)</script>').toString('base64') }]);
    await tray.and(user.locator('[data-state=failed]')).filter({ hasText: 'This kind of file cannot be attached.' }).waitFor();
    expect(uploadsLoaded).toHaveLength(1);
    await tray.getByRole('button', { name: 'Remove cat.png' }).click();
    await tray.first().waitFor({ state: 'detached' });

    // The screenshot: pasted, uploaded, sent without text.
    await paste(composer(user), [{ name: 'image.png', type: 'image/png', base64: PNG_3x2.toString('base64') }]);
    await tray.and(user.locator('[data-state=ready]')).waitFor();
    await composer(user).press('Enter');
    const shot = items(user).locator('.files img');
    await shot.waitFor();
    await tray.first().waitFor({ state: 'detached' });
    // Its size was in the markup, and it loaded from Parley with the file token.
    expect([await shot.getAttribute('width'), await shot.getAttribute('height'), await shot.getAttribute('alt')]).toEqual(['3', '2', 'image.png']);
    await expect.poll(() => shot.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(3);
    expect(await shot.getAttribute('src')).toMatch(new RegExp(`^${parley}/api/v1/attachments/att_[A-Za-z0-9_-]+\\?token=pss_`));
    await items(user).last().and(user.locator('[data-status="sent"]')).waitFor();
    await user.screenshot({ path: outputPath('attachments-widget.png') });

    // The team sees it in the inbox, loaded with the panel's cookie.
    await admin.locator('ul.conversations a[data-conversation-id]').filter({ hasText: 'My screen is broken' }).click();
    const seen = admin.locator('.inbox .files img');
    await seen.waitFor();
    await expect.poll(() => seen.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(3);

    // And answers with a PDF picked with the file button.
    await admin.getByLabel('Attach files').setInputFiles({ name: 'steps.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n%%EOF\n') });
    await admin.locator('.inbox ul.tray li[data-state=ready]').waitFor();
    await admin.getByRole('textbox', { name: 'Reply' }).fill('Here are the steps');
    await admin.getByRole('button', { name: 'Send' }).click();
    const card = items(user).filter({ hasText: 'Here are the steps' }).locator('.files a.file');
    await card.waitFor();
    expect(await card.textContent()).toBe('steps.pdf · 1 KB');
    const download = await user.context().request.get(await card.getAttribute('href') as string);
    expect([download.status(), download.headers()['content-disposition'], (await download.body()).toString()]).toEqual([200, `attachment; filename="steps.pdf"; filename*=UTF-8''steps.pdf`, '%PDF-1.4\n%%EOF\n']);
    await admin.screenshot({ path: outputPath('attachments-inbox.png') });
  });
});
