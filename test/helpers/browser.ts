/**
 * What the browser tests (test/e2e) share: Debian's Chromium driven by playwright-core, launched with the
 * standard flags, the skip reason when it is missing, contexts and pages whose every wait is bounded, a log of
 * the problems the pages report, axe-core, what overflows sideways, and where screenshots go.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';

export const CHROMIUM = '/usr/bin/chromium';
export const HAS_CHROMIUM = existsSync(CHROMIUM);

/** The repository's root, and the folder screenshots are saved in. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const OUTPUT_DIR = join(ROOT, 'test-output');

/** The bound of every single wait in the browser. */
export const WAIT_MS = 5_000;

/** Whether the browser tests named `what` can run; when they cannot, says why on the console. */
export function canRunChromium(what: string): boolean {
  if (!HAS_CHROMIUM) console.warn(`${what} skipped: ${CHROMIUM} does not exist (install Debian's chromium package).`);
  return HAS_CHROMIUM;
}

/** Starts Chromium headless, without a sandbox, the GPU or any background traffic of its own. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    // A busy machine (two cores, a test run) has taken more than 15 s to start it.
    timeout: 25_000,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Puts every CSP violation on the console, where the tests listen, without adding a global to the page. */
export const REPORT_CSP = `
  document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));
`;

/** A new context whose waits are bounded by `WAIT_MS`; with `reportCsp`, its pages log CSP violations. */
export async function newBoundedContext(browser: Browser, options: { viewport?: { width: number; height: number }; reportCsp?: boolean } = {}): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1000, height: 720 } });
  context.setDefaultTimeout(WAIT_MS);
  if (options.reportCsp) await context.addInitScript({ content: REPORT_CSP });
  return context;
}

/** A new page of `context` whose waits and navigations are bounded by `WAIT_MS`. */
export async function newBoundedPage(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  page.setDefaultNavigationTimeout(WAIT_MS);
  return page;
}

/** Closes the contexts (quietly), then the browser, then each of `servers` in order; what never started is passed over. */
export async function closeAll(contexts: BrowserContext[], browser: Browser | undefined, ...servers: ({ close(): Promise<unknown> } | undefined)[]): Promise<void> {
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close();
  for (const server of servers) await server?.close();
}

/** Page errors, console errors and CSP reports of the pages it watches, checked after each test. */
export class PageProblems {
  private seen: string[] = [];
  private allowed: RegExp[] = [];

  watch(page: Page): void {
    page.on('pageerror', (error) => this.seen.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' || /Content Security Policy|CSP violation/i.test(message.text())) this.seen.push(`console ${message.type()}: ${message.text()}`);
    });
  }

  /** Problems the current test expects (a refused request the browser logs itself), not counted by `check`. */
  allow(...patterns: RegExp[]): void {
    this.allowed.push(...patterns);
  }

  /** Expects no problem but the allowed ones, and starts afresh for the next test. */
  check(): void {
    const seen = this.seen.filter((p) => !this.allowed.some((e) => e.test(p)));
    this.seen = [];
    this.allowed = [];
    expect(seen, 'no page errors, console errors or CSP violations').toEqual([]);
  }
}

/** Adds axe-core to the page (a page whose CSP refuses inline styles would refuse axe's). */
export async function injectAxe(page: Page): Promise<void> {
  await page.addScriptTag({ content: readFileSync(join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8') });
}

export type AxeResult = { id: string; impact: string | null; nodes: { target: unknown }[] };

/** The serious and critical axe-core violations of the whole page, shadow roots included. */
export function seriousAxeViolations(page: Page): Promise<{ id: string; impact: string | null; targets: string[] }[]> {
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Node, options: object): Promise<{ violations: AxeResult[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => JSON.stringify(n.target)) }));
  });
}

/** Where a screenshot called `name` goes (test-output/, made if need be). */
export function outputPath(name: string): string {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  return join(OUTPUT_DIR, name);
}

/**
 * What scrolls or is cut off sideways on `page`: the page itself, and every visible element whose content is
 * wider than its box, but a data table's region and a code block (scrollable and focusable on purpose), text
 * cut with an ellipsis, and what is visually hidden (1 px boxes for screen readers). Empty when it all fits.
 */
export function sideways(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const found: string[] = [];
    const name = (el: Element) => `${el.tagName.toLowerCase()}${[...el.classList].map((c) => `.${c}`).join('')}`;
    const root = document.scrollingElement!;
    if (root.scrollWidth > innerWidth) found.push(`the page: ${root.scrollWidth} px wide in ${innerWidth}`);
    for (const el of document.querySelectorAll<HTMLElement>('body *')) {
      if (el.scrollWidth <= el.clientWidth + 1 || el.clientWidth <= 1 || el.closest('.scroll[role=region], pre')) continue;
      const style = getComputedStyle(el);
      if (style.overflowX === 'visible' || style.textOverflow === 'ellipsis' || el.getClientRects().length === 0) continue;
      found.push(`${name(el)}: ${el.scrollWidth} px of content in ${el.clientWidth}`);
    }
    for (const el of document.querySelectorAll<HTMLElement>('main *')) {
      const box = el.getBoundingClientRect();
      if (box.width > 1 && box.right > innerWidth + 1 && !el.closest('.scroll[role=region], pre')) found.push(`${name(el)}: ends at ${Math.round(box.right)} px`);
    }
    return found;
  });
}
