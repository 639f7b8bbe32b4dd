/**
 * Document rooms end to end in a real browser (docs/token-api.md, Organizations, grants,
 * document rooms; README.md, The widget): a real Parley server on a random port, tokens minted by the token
 * API (`POST /v2/auth/generate_token` with an API credential) with document grants, and host pages on another
 * origin (strict CSP) embedding `widget.js` with `data-document-id="doc-1"`. A viewer and an editor open the
 * same room in two browser contexts: the editor's message reaches the viewer live, the viewer has no composer
 * but the read-only notice, and the server refuses the viewer's own post with 403 `read_only`; a user whose
 * grant is on another document sees "no access". Needs the browser assets built (`node scripts/build.mjs`).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DocumentRoom, MessagePage } from '#shared/api.js';
import { pickLocale } from '../../widget/src/i18n/locales.js';
import { canRunChromium, closeAll, injectAxe, launchChromium, newBoundedContext, newBoundedPage, outputPath, PageProblems, seriousAxeViolations } from '../helpers/browser.js';
import { apiClient, startLiveParley, type LiveParley } from '../helpers/live-server.js';
import { startHostServer, widgetParts, type HostServer } from '../helpers/widget-host.js';

const HAS_CHROMIUM = canRunChromium('Document room browser tests');

const en = pickLocale('en', []).strings;

type Grant = { type: 'organization' | 'folder' | 'document'; id: string; organizationId: string; accessRole: 'viewer' | 'editor' };

describe.skipIf(!HAS_CHROMIUM)('document rooms in the widget, in Chromium', () => {
  let server: LiveParley | undefined;
  let browser: Browser | undefined;
  let host: HostServer | undefined;
  let parley: string;
  let credentials: { apiKey: string; authToken: string };
  const contexts: BrowserContext[] = [];
  const problems = new PageProblems();
  const api = apiClient(() => parley);

  /** A 48-hour token from the token API, as an integrator's backend gets one. */
  async function mint(userId: string, name: string, resources: Grant[]): Promise<string> {
    const res = await api<{ result: { data: { token: string } } }>('POST', '/v2/auth/generate_token', {
      headers: { 'x-api-key': credentials.apiKey, 'x-auth-token': credentials.authToken },
      body: { data: { userId, userProperties: { organizationId: 'acme', name, email: `${userId}@acme.example` }, permissions: { resources } } },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.result.data.token;
  }
  const onDoc = (id: string, accessRole: Grant['accessRole']): Grant => ({ type: 'document', id, organizationId: 'acme', accessRole });

  /** A page in a context of its own (its own cookies), its problems watched. */
  async function newPage(): Promise<Page> {
    const context = await newBoundedContext(browser!, { reportCsp: true });
    contexts.push(context);
    const page = await newBoundedPage(context);
    problems.watch(page);
    return page;
  }

  /** A host page embedding the widget on `documentId`, open at load, signed in with `token`. */
  async function roomPage(token: string, documentId = 'doc-1', csp = true): Promise<Page> {
    const page = await newPage();
    const response = await page.goto(host!.page({ parley, code: token, data: { documentId, open: 'true' }, csp }));
    expect(response?.status()).toBe(200);
    await launcher(page).waitFor();
    return page;
  }

  const { launcher, panel, items, composer } = widgetParts;
  const title = (page: Page) => page.locator('[data-parley-widget] .thread h3');
  const notice = (page: Page) => page.locator('[data-parley-widget] .readonly');
  const sendButton = (page: Page) => page.getByRole('button', { name: en.send, exact: true });

  beforeAll(async () => {
    host = await startHostServer();
    server = await startLiveParley({ HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent', PARLEY_ALLOWED_ORIGINS: host.origin }, { heartbeatMs: 1_000 });
    parley = server.origin;
    credentials = await server.app.services.apiCredentials.create('e2e', Date.now());
    browser = await launchChromium();
  });

  afterEach(() => problems.check());

  afterAll(() => closeAll(contexts, browser, server, host));

  let editor: Page;
  let viewer: Page;
  let viewerSession: string;

  it('a viewer who comes first waits; the editor opens the room and writes; the viewer sees it live and can only read', async () => {
    const viewerToken = await mint('vera', 'Vera Viewer', [onDoc('doc-1', 'viewer')]);
    const editorToken = await mint('ed', 'Ed Editor', [onDoc('doc-1', 'editor')]);

    // The viewer first: the room does not exist yet.
    viewer = await newPage();
    const viewerOpen = viewer.waitForRequest((r) => r.url() === `${parley}/api/v1/documents/doc-1/open` && r.method() === 'POST');
    await viewer.goto(host!.page({ parley, code: viewerToken, data: { documentId: 'doc-1', open: 'true' } }));
    viewerSession = ((await viewerOpen).headers()['authorization'] ?? '').replace(/^Bearer /, '');
    expect(viewerSession).not.toBe('');
    await panel(viewer).getByText(en.documentEmpty, { exact: true }).waitFor();
    expect(await composer(viewer).count()).toBe(0);
    expect(await sendButton(viewer).count()).toBe(0);

    // The editor opens the document: the room is created, and the viewer picks it up without a reload.
    editor = await roomPage(editorToken);
    await composer(editor).waitFor();
    expect(await title(editor).textContent()).toBe('doc-1');
    await notice(viewer).waitFor();
    expect(await title(viewer).textContent()).toBe('doc-1');

    await composer(editor).click();
    await composer(editor).pressSequentially('The **budget** is approved', { delay: 5 });
    await composer(editor).press('Enter');
    const sent = items(editor).and(editor.locator('[data-status="sent"]')).filter({ hasText: 'The budget is approved' });
    await sent.waitFor();

    // Live at the viewer: the same message, by Ed, rendered.
    const seen = items(viewer).filter({ hasText: 'The budget is approved' });
    await seen.waitFor();
    expect(await seen.locator('strong').textContent()).toBe('budget');
    expect(await seen.locator('.author').textContent()).toBe('Ed Editor');
    expect(await seen.getAttribute('data-message-id')).toBe(await sent.getAttribute('data-message-id'));

    // The viewer reads only: the notice, no composer, no Send button anywhere.
    expect(await notice(viewer).textContent()).toBe('You can read this conversation but not write in it.');
    expect(await notice(viewer).getAttribute('role')).toBe('note');
    expect(await composer(viewer).count()).toBe(0);
    expect(await sendButton(viewer).count()).toBe(0);
    expect(await viewer.locator('[data-parley-widget] textarea, [data-parley-widget] button[type=submit]').count()).toBe(0);

    // A second message arrives live too, in order.
    await composer(editor).fill('And the schedule');
    await composer(editor).press('Enter');
    await items(viewer).filter({ hasText: 'And the schedule' }).waitFor();
    expect(await items(viewer).locator('.md').allTextContents()).toEqual(['The budget is approved', 'And the schedule']);

    await panel(viewer).screenshot({ path: outputPath('document-room-viewer.png') });
  });

  it("the viewer's own session cannot post in the room: 403 read_only; it can still read", async () => {
    const opened = await api<DocumentRoom>('POST', '/api/v1/documents/doc-1/open', { token: viewerSession });
    expect(opened.status).toBe(200);
    expect(opened.body.access).toBe('viewer');
    const roomId = opened.body.conversation!.id;

    const post = await api<{ error: { code: string } }>('POST', `/api/v1/conversations/${roomId}/messages`, {
      token: viewerSession,
      body: { text: 'Let me write anyway', clientMessageId: 'c_viewer_attempt' },
    });
    expect(post.status).toBe(403);
    expect(post.body.error.code).toBe('read_only');

    const page = await api<MessagePage>('GET', `/api/v1/conversations/${roomId}/messages`, { token: viewerSession });
    expect(page.status).toBe(200);
    expect(page.body.messages.map((m) => m.text)).toEqual(['The **budget** is approved', 'And the schedule']);
    // Nothing reached the viewer's panel from the refused post.
    expect(await items(viewer).count()).toBe(2);
  });

  it('Parley.setDocument(null) goes back to the conversation list, and setDocument(id) into the room again', async () => {
    await editor.evaluate(() => (window as unknown as { Parley: { setDocument(id: string | null): void } }).Parley.setDocument(null));
    // The home view: its greeting and its composer for a new conversation (the room's thread is gone).
    await editor.locator('[data-parley-widget] .hero .greeting').waitFor();
    expect(await items(editor).count()).toBe(0);
    await editor.evaluate(() => (window as unknown as { Parley: { setDocument(id: string | null): void } }).Parley.setDocument('doc-1'));
    await items(editor).filter({ hasText: 'And the schedule' }).waitFor();
    expect(await title(editor).textContent()).toBe('doc-1');
    await composer(editor).waitFor();
  });

  it("has no serious or critical axe-core violation in a viewer's room", async () => {
    // axe injects its own <style>, which a strict CSP refuses: this page has none.
    const page = await roomPage(await mint('vic', 'Vic Viewer', [onDoc('doc-1', 'viewer')]), 'doc-1', false);
    await items(page).filter({ hasText: 'And the schedule' }).waitFor();
    await notice(page).waitFor();
    await injectAxe(page);
    expect(await seriousAxeViolations(page)).toEqual([]);
  });

  it('a user whose grant is on another document sees "no access" for this one', async () => {
    // The browser logs the refused request itself.
    problems.allow(/status of 404/);
    const outsider = await roomPage(await mint('otto', 'Otto', [onDoc('doc-2', 'editor')]));
    const alert = panel(outsider).locator('[data-code=document_not_found]');
    await alert.waitFor();
    expect(await alert.textContent()).toBe('You have no access to this document.');
    expect(await alert.getAttribute('role')).toBe('alert');
    expect(await composer(outsider).count()).toBe(0);
    expect(await items(outsider).count()).toBe(0);
    expect(await outsider.getByText('The budget is approved').count()).toBe(0);
  });
});
