/**
 * Settings › Widget of the admin panel in Debian's Chromium, against a real Parley server: the preview draws
 * what is typed, in the accent colour with the text colour the contrast rule picks, under the panel's strict
 * CSP (no violation); an icon uploaded through the file field is stored, served from Parley and shown in the
 * preview; a save reaches the widget's public settings; and the section is axe-clean (every rule, wcag22aa
 * and best-practice included), in the light and the dark scheme, with a field error shown too.
 * Needs the browser assets built (`node scripts/build.mjs`, which `npm test` runs first).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { WidgetSettingsResponse } from '#shared/widget-settings.js';
import { canRunChromium, closeAll, injectAxe, launchChromium, newBoundedContext, newBoundedPage, PageProblems, ROOT, WAIT_MS, type AxeResult } from '../helpers/browser.js';
import { apiClient, startLiveParley, type LiveParley } from '../helpers/live-server.js';
import { becomeOwnerInBrowser } from '../helpers/owner-setup.js';

const HAS_CHROMIUM = canRunChromium('Admin widget settings browser test');
const HAS_BUILD = existsSync(join(ROOT, 'dist/public/manifest.json'));
if (HAS_CHROMIUM && !HAS_BUILD) console.warn('Admin widget settings browser test skipped: the browser assets are not built (run `node scripts/build.mjs`; `npm test` does).');

/** A 1 × 1 PNG: the uploaded icon, and the avatar the test's fake CDN answers with. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
const AVATAR = 'https://cdn.example.com/team.png';

/**
 * Every axe rule (defaults, wcag22aa, best-practice) on the widget section only: the violations, and
 * whether the rules that matter here really looked at something (labels, contrast, target sizes).
 */
async function axeOnWidgetSection(page: Page): Promise<string[]> {
  const { violations, passed } = await page.evaluate(async () => {
    type Axe = { getRules(tags: string[]): { ruleId: string }[]; run(context: Element, options: object): Promise<{ violations: AxeResult[]; passes: AxeResult[] }> };
    const axe = (window as unknown as { axe: Axe }).axe;
    const rules = Object.fromEntries(axe.getRules(['wcag22aa', 'best-practice']).map((rule) => [rule.ruleId, { enabled: true }]));
    const result = await axe.run(document.querySelector('section.widget-settings')!, { rules });
    return {
      violations: result.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`),
      passed: result.passes.map((p) => p.id),
    };
  });
  expect(passed).toEqual(expect.arrayContaining(['label', 'color-contrast', 'target-size', 'aria-valid-attr-value']));
  return violations;
}

describe.skipIf(!HAS_CHROMIUM || !HAS_BUILD)('Settings › Widget in Chromium', () => {
  let server: LiveParley | undefined;
  let browser: Browser | undefined;
  /** The owner's browser under the panel's own CSP, and one that lets axe's inline script run. */
  let strict: BrowserContext;
  let forAxe: BrowserContext;
  let baseUrl: string;
  const problems = new PageProblems();

  /** Signs `context` in as the instance's owner through its one-time set-up link. */
  async function signIn(context: BrowserContext, link: string) {
    const page = await newBoundedPage(context);
    await becomeOwnerInBrowser(page, link);
    await page.locator('[data-testid=admin-name]').waitFor();
    await page.close();
  }

  /** The fake CDN of the avatar: one PNG, answered inside the browser (nothing leaves the machine). */
  const fakeCdn = (context: BrowserContext) => context.route('https://cdn.example.com/**', (route) => route.fulfill({ status: 200, contentType: 'image/png', body: PNG }));

  async function openSettings(context: BrowserContext): Promise<Page> {
    const page = await newBoundedPage(context);
    problems.watch(page);
    await page.goto(`${baseUrl}/admin#/settings`);
    await page.getByRole('heading', { name: 'Widget', exact: true }).waitFor();
    return page;
  }

  const previewText = (page: Page, part: string) => page.locator(`[data-testid=preview-${part}]`).textContent();
  const barColours = (page: Page) =>
    page.locator('.wp-bar').evaluate((bar) => {
      const style = getComputedStyle(bar);
      return [style.backgroundColor, style.color];
    });

  beforeAll(async () => {
    server = await startLiveParley({ HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent' });
    baseUrl = server.origin;
    browser = await launchChromium();
    strict = await newBoundedContext(browser, { viewport: { width: 1280, height: 800 }, reportCsp: true });
    forAxe = await browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 800 } });
    forAxe.setDefaultTimeout(WAIT_MS);
    await Promise.all([fakeCdn(strict), fakeCdn(forAxe)]);
    await signIn(strict, (await server.app.services.adminLinks.ownerSetupLinkIfNeeded(baseUrl))!);
    // The same owner's session in the other browser.
    await forAxe.addCookies(await strict.cookies());
  });

  afterEach(() => problems.check());
  afterAll(() => closeAll([strict, forAxe].filter(Boolean), browser, server));

  it('the preview follows the form as it is typed, in the accent colour, with no CSP violation', async () => {
    const page = await openSettings(strict);
    expect(await barColours(page)).toEqual(['rgb(48, 86, 211)', 'rgb(255, 255, 255)']);
    await page.getByLabel('Team name', { exact: true }).fill('Acme support');
    await page.getByLabel('Greeting (English)').fill('Hi {name} 👋 — ask us anything');
    await page.getByLabel('Accent colour', { exact: true }).fill('#ffd400');
    expect(await previewText(page, 'team')).toBe('Acme support');
    expect(await previewText(page, 'greeting')).toBe('Hi Ada 👋 — ask us anything');
    expect(await barColours(page)).toEqual(['rgb(255, 212, 0)', 'rgb(0, 0, 0)']);
    expect(await page.locator('[data-testid=preview-launcher]').evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(255, 212, 0)');
    // Left: the launcher moves to the left edge of the preview.
    await page.getByLabel('Bottom left').check();
    const [stage, launcher] = await Promise.all([page.locator('[data-testid=widget-preview]').boundingBox(), page.locator('[data-testid=preview-launcher]').boundingBox()]);
    expect(launcher!.x - stage!.x).toBeLessThan(40);
    // The avatar appears once its field is left.
    await page.getByLabel('Avatar URL').fill(AVATAR);
    await page.getByLabel('Avatar URL').press('Tab');
    await page.locator('[data-testid=preview-avatar]').waitFor();
    await expect.poll(() => page.locator('[data-testid=preview-avatar]').evaluate((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth)).toBe(1);
    await page.close();
  });

  it('an uploaded icon is stored, served by Parley and previewed; a save reaches the widget’s public settings', async () => {
    const page = await openSettings(strict);
    await page.getByLabel('Upload an icon').setInputFiles({ name: 'icon.gif', mimeType: 'image/gif', buffer: PNG });
    await page.getByText('Icon uploaded and in use.').waitFor();
    const iconUrl = await page.getByLabel('Launcher icon URL').inputValue();
    expect(iconUrl).toMatch(new RegExp(`^${baseUrl}/widget/launcher-icon/[0-9a-f]{32}\\.png$`));
    const icon = page.locator('[data-testid=preview-launcher-icon]');
    await icon.waitFor();
    await page.waitForFunction(() => (document.querySelector('[data-testid=preview-launcher-icon]') as HTMLImageElement | null)?.complete === true);
    expect(await icon.evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBe(1);

    await page.getByLabel('Team name', { exact: true }).fill('Acme support');
    await page.getByLabel('Greeting (French)').fill('Bonjour {name}');
    await page.getByLabel('Accent colour', { exact: true }).fill('#1D2330');
    await page.getByRole('button', { name: 'Save widget settings' }).click();
    await page.getByText('Saved.', { exact: true }).waitFor();
    const api = apiClient(() => baseUrl);
    const saved = await api<WidgetSettingsResponse>('GET', '/api/v1/widget/settings?locale=fr');
    expect(saved.body.widget).toMatchObject({ teamName: 'Acme support', accentColor: '#1d2330', onAccentColor: '#ffffff', launcherIconUrl: iconUrl, greeting: 'Bonjour {name}' });

    // After a reload the form shows what was saved.
    await page.reload();
    await page.getByRole('heading', { name: 'Widget', exact: true }).waitFor();
    expect(await page.getByLabel('Team name', { exact: true }).inputValue()).toBe('Acme support');
    await page.getByRole('button', { name: 'Remove the uploaded icon' }).click();
    await page.getByText('Uploaded icon removed.').waitFor();
    expect((await api<WidgetSettingsResponse>('GET', '/api/v1/widget/settings')).body.widget.launcherIconUrl).toBeNull();
    await page.close();
  });

  it('a bad value is announced and marked on its field, and focus goes to it', async () => {
    const page = await openSettings(strict);
    await page.getByLabel('Accent colour', { exact: true }).fill('blue');
    await page.getByRole('button', { name: 'Save widget settings' }).click();
    await page.getByRole('alert').filter({ hasText: 'One field needs a change' }).waitFor();
    const accent = page.getByLabel('Accent colour', { exact: true });
    expect(await accent.getAttribute('aria-invalid')).toBe('true');
    expect(await accent.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await page.locator('#widget-accentColor-error').textContent()).toBe('Enter a colour as # and six hex digits, such as #3056d3, or leave it empty.');
    await page.close();
  });

  it('is axe-clean in the light and the dark scheme, with a field error shown too', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      const page = await openSettings(forAxe);
      await page.emulateMedia({ colorScheme });
      await injectAxe(page);
      expect(await axeOnWidgetSection(page), colorScheme).toEqual([]);
      await page.getByLabel('Team name', { exact: true }).fill('x'.repeat(61));
      await page.getByLabel('Avatar URL').fill(AVATAR);
      await page.getByLabel('Avatar URL').press('Tab');
      await page.getByRole('button', { name: 'Save widget settings' }).click();
      await page.getByRole('alert').filter({ hasText: 'needs a change' }).waitFor();
      expect(await axeOnWidgetSection(page), `${colorScheme}, with an error`).toEqual([]);
      await page.close();
    }
  });
});
