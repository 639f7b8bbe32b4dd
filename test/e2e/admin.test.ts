/**
 * The newcomer's path of the admin panel end to end, in Debian's Chromium driven
 * by playwright-core: a fresh Parley started as a real process the way `npm start` does, its one-time owner
 * link read from the log; the owner turns on external auth and creates a key, signs a token by running the
 * panel's own Node example, and the end user it names signs in on the hosted page (a second browser
 * context) and writes; the owner sees the account and its seat, answers from the inbox while the user
 * watches the answer arrive, and finds it all in the audit log, without a secret or token in sight.
 * Needs the server and browser assets built (`node scripts/build.mjs`, which `npm test` runs first).
 */
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { canRunChromium, launchChromium, newBoundedContext, newBoundedPage, outputPath, WAIT_MS } from '../helpers/browser.js';
import { CLI, spawnParley, type ParleyProcess } from '../helpers/parley-process.js';
import { becomeOwnerInBrowser, OWNER } from '../helpers/owner-setup.js';

const HAS_CHROMIUM = canRunChromium('Admin panel browser test');
const HAS_BUILD = existsSync(CLI);
if (HAS_CHROMIUM && !HAS_BUILD) console.warn(`Admin panel browser test skipped: ${CLI} does not exist (run \`node scripts/build.mjs\`; \`npm test\` does).`);

/** Starting the process (migrating a new database included), under the load of the other test files. */
const START_MS = 10_000;

const NINA = { id: 'newcomer-user', name: 'Nina Newcomer', email: 'nina@example.com' };
const QUESTION = 'Hello, is anyone there?';
const ANSWER = 'Hi Nina, yes: how can I help?';
/** The user object of the panel's Node example, which the newcomer replaces with one of their own users. */
const EXAMPLE_USER = "{ id: 'user-123', email: 'ada@example.com', name: 'Ada Lovelace' }";

const run = promisify(execFile);
const decodePart = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;

describe.skipIf(!HAS_CHROMIUM || !HAS_BUILD)("the newcomer's path through the admin panel in Chromium", () => {
  let dir: string;
  let parley: ParleyProcess | undefined;
  let browser: Browser | undefined;
  let baseUrl: string;
  let setupLink: string;
  /** The owner's browser, and the end user's: separate cookies, separate sessions. */
  let adminContext: BrowserContext;
  let userContext: BrowserContext;
  /** Page errors and console errors of the panel and the chat page, checked at the end of each test. */
  const problems: string[] = [];

  // Carried from one step to the next.
  let admin: Page | undefined;
  let chat: Page | undefined;
  let kid: string | undefined;
  let secret: string | undefined;
  let signInLink: string | undefined;
  let conversationId: string | undefined;

  async function newPage(context: BrowserContext, watch = true): Promise<Page> {
    const page = await newBoundedPage(context);
    if (watch) {
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      page.on('console', (message) => {
        // The shells name no icon, so Chromium asks for /favicon.ico and logs its 404: not a problem of the page.
        if (message.type() === 'error' && !message.location().url.endsWith('/favicon.ico')) problems.push(`console error: ${message.text()} (${message.location().url})`);
      });
    }
    return page;
  }

  /** Goes to a panel page the way a person does, by its link in the navigation, and waits for its heading. */
  async function openSection(page: Page, label: string): Promise<void> {
    // Inbox's name also says how many conversations wait for an answer: "Inbox (1 waiting for an answer)".
    const name = new RegExp(`^${label}( \\(\\d+ waiting for an answer\\))?$`);
    await page.getByRole('navigation', { name: 'Admin sections' }).getByRole('link', { name }).click();
    await page.locator('main.content > h1', { hasText: label }).waitFor();
    expect(await page.locator('main.content > h1').textContent()).toBe(label);
  }

  const text = async (page: Page, selector: string) => (await page.locator(selector).textContent())?.replace(/\s+/g, ' ').trim();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-admin-e2e-'));
    parley = spawnParley({
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: `sqlite:${join(dir, 'p.db')}`,
      LOG_LEVEL: 'info',
      PARLEY_SIGNIN_RATE_LIMIT: '0',
    });
    const [, port] = await parley.waitForLine(/ on port (\d+)\b/, START_MS);
    baseUrl = `http://127.0.0.1:${port}`;
    const [link] = await parley.waitForLine(/http:\/\/127\.0\.0\.1:\d+\/admin\/setup\?token=[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/, START_MS);
    setupLink = link;
    browser = await launchChromium();
    adminContext = await newBoundedContext(browser, { viewport: { width: 1280, height: 800 } });
    // The Copy button writes to the clipboard; the test reads it back.
    await adminContext.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl });
    userContext = await newBoundedContext(browser, { viewport: { width: 1000, height: 700 } });
  });

  afterAll(async () => {
    await browser?.close();
    const code = await parley?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    expect(code, 'parley exits cleanly on SIGTERM').toBe(0);
  });

  it('starts fresh and logs the one-time owner link with the public URL it listens on', () => {
    expect(setupLink.startsWith(`${baseUrl}/admin/setup?token=`)).toBe(true);
    const line = parley!.lines.find((l) => l.msg.includes(setupLink))!;
    expect(line.msg).toBe(`No owner yet. Open this one-time link to become the owner of this Parley instance: ${setupLink}`);
    expect(parley!.lines.some((l) => l.msg.includes('PARLEY_EXTERNAL_AUTH_SECRET is not set'))).toBe(true);
  });

  it('asks the visitor of the link for a name and email, makes them the owner, signed in, and the link is dead afterwards', async () => {
    admin = await newPage(adminContext);
    const form = await admin.goto(setupLink);
    expect(form?.status()).toBe(200);
    expect(await admin.locator('h1').textContent()).toBe('Set up Parley');
    await becomeOwnerInBrowser(admin, setupLink);
    expect(admin.url()).toBe(`${baseUrl}/admin`);
    await admin.locator('[data-testid=admin-name]').waitFor();
    expect(await admin.locator('[data-testid=admin-name]').textContent()).toBe(OWNER.name);
    expect(await text(admin, 'header.bar .who')).toBe(`Signed in as ${OWNER.name}`);
    expect(await admin.locator('main.content > h1').textContent()).toBe('Overview');
    await admin.locator('[data-testid=seats]').waitFor();
    expect(await text(admin, '[data-testid=seats]')).toBe('1 of 5 seats used');
    expect(await admin.title()).toBe('Overview · Parley admin');

    // The same link again, in a new page: a plain page saying so, with 410.
    const again = await newPage(adminContext, false);
    const used = await again.goto(setupLink);
    expect(used?.status()).toBe(410);
    expect(used?.request().redirectedFrom()).toBeNull();
    expect(await again.locator('h1').textContent()).toBe('This link has already been used');
    expect(await again.locator('main.error').getAttribute('data-code')).toBe('link_used');
    expect(await again.locator('main.error p').first().textContent()).toBe(
      'One-time links work once. Ask for a new one: an owner can run npm run parley -- admin sign-in-link --email you@example.com on the server.',
    );
    // The command is code, not backticks.
    expect(await again.locator('main.error p').first().locator('code').textContent()).toBe('npm run parley -- admin sign-in-link --email you@example.com');
    await again.close();
    expect(problems).toEqual([]);
  });

  it('turns on external auth and creates a key whose secret is shown once, with a copy button and signing examples', async () => {
    expect(admin, 'the owner signed in').toBeDefined();
    const page = admin!;
    await openSection(page, 'External auth');
    const toggle = page.getByRole('switch', { name: 'External auth enabled', exact: true });
    await page.getByText('No keys yet.', { exact: true }).waitFor();
    // On by default on a fresh instance: the newcomer switches it off and on again and sees each take effect.
    expect(await toggle.isChecked()).toBe(true);
    expect(await text(page, 'section.card > p.warning')).toBe('External auth is on, but no key is active: create one to sign tokens.');
    await toggle.click();
    await page.getByRole('status').filter({ hasText: 'External auth is off.' }).waitFor();
    expect(await toggle.isChecked()).toBe(false);
    expect(await page.locator('section.card > p.warning').count()).toBe(0);
    await toggle.click();
    await page.getByRole('status').filter({ hasText: 'External auth is on.' }).waitFor();
    expect(await toggle.isChecked()).toBe(true);

    await page.getByRole('button', { name: 'Create key', exact: true }).click();
    const label = page.locator('#secret-label');
    await label.waitFor();
    kid = (await label.textContent())!.replace(/^Secret of key /, '');
    expect(kid).toMatch(/^k_[0-9a-f]{12}$/);
    expect(await text(page, '.notice.ok')).toBe(`Key ${kid} created.`);
    const field = page.getByRole('textbox', { name: `Secret of key ${kid}`, exact: true });
    expect(await field.evaluate((el) => (el as HTMLInputElement).readOnly)).toBe(true);
    secret = await field.inputValue();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await text(page, '.secret p.warning')).toBe(
      'Copy this secret now: it will not be shown again. Keep it on your server only, for example in the PARLEY_SECRET environment variable the examples below read.',
    );

    const copy = page.getByRole('button', { name: 'Copy the secret', exact: true });
    expect(await copy.count()).toBe(1);
    await copy.click();
    await page.locator('.secret .copy .notice', { hasText: 'Copied.' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);

    // The key is listed, active and never used yet.
    const row = page.locator(`tr[data-kid="${kid}"]`);
    await row.waitFor();
    expect((await row.locator('th, td').allTextContents()).map((s) => s.trim())).toEqual([
      kid,
      'HS256',
      'Database',
      expect.any(String),
      'Never',
      'Active',
      expect.stringMatching(/^Examples\s*Retire$/),
    ]);
    expect(await page.locator('section.card > p.warning').count()).toBe(0);

    // Signing examples for the new key, Node first.
    await page.locator('#examples-heading', { hasText: `Signing examples for ${kid}` }).waitFor();
    expect(await page.getByRole('tab').allTextContents()).toEqual(['Node', 'Python', 'PHP', 'Go']);
    expect(await page.getByRole('tab', { name: 'Node', exact: true }).getAttribute('aria-selected')).toBe('true');
    const code = page.locator('#example-panel pre code');
    await code.waitFor();
    const node = (await code.textContent())!;
    expect(node).toContain(`kid: ${JSON.stringify(kid)}`);
    expect(node).toContain("import { createHmac } from 'node:crypto';");
    expect(node).toContain('process.env.PARLEY_SECRET');
    expect(node).toContain(`${baseUrl}/?externalAuthCode=`);
    expect(node).not.toContain(secret);
    expect(await page.getByRole('button', { name: 'Copy the Node example', exact: true }).count()).toBe(1);

    // The newcomer runs that program, with one of their own users in place of the example's.
    expect(node.split(EXAMPLE_USER).length - 1, 'the example has the user object this test replaces').toBe(1);
    const program = join(dir, 'sign.mjs');
    writeFileSync(program, node.replace(EXAMPLE_USER, `{ id: '${NINA.id}', name: '${NINA.name}', email: '${NINA.email}' }`));
    const { stdout, stderr } = await run(process.execPath, [program], {
      cwd: dir,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', PARLEY_SECRET: secret },
      timeout: WAIT_MS,
    });
    expect(stderr).toBe('');
    const printed = stdout.trim();
    expect(printed).toMatch(new RegExp(`^${baseUrl.replace(/[.]/g, '\\.')}/\\?externalAuthCode=[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$`));
    signInLink = printed;

    // The token is what docs/external-auth.md describes: HS256 over the UTF-8 bytes of the secret string
    // (docs/admin-api.md, External auth keys), the kid in the header.
    const token = new URL(printed).searchParams.get('externalAuthCode')!;
    const [h, p, s] = token.split('.') as [string, string, string];
    expect(decodePart(h)).toEqual({ alg: 'HS256', typ: 'JWT', kid });
    const payload = decodePart(p);
    expect(payload['user']).toEqual(NINA);
    const now = Math.floor(Date.now() / 1000);
    expect(payload['iat']).toBeGreaterThanOrEqual(now - 60);
    expect(payload['iat']).toBeLessThanOrEqual(now);
    expect(Number(payload['exp']) - Number(payload['iat'])).toBeGreaterThan(0);
    expect(Number(payload['exp']) - Number(payload['iat'])).toBeLessThanOrEqual(3600);
    expect(s).toBe(createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${h}.${p}`).digest('base64url'));
    expect(problems).toEqual([]);
  });

  it('signs the end user in on the hosted page with that link, and she writes', async () => {
    expect(signInLink, 'the example printed a link').toBeDefined();
    chat = await newPage(userContext);
    const response = await chat.goto(signInLink!);
    expect(response?.status()).toBe(200);
    expect(chat.url()).toBe(`${baseUrl}/`);
    expect(response?.request().redirectedFrom()?.url()).toBe(signInLink);

    await chat.locator('[data-testid=user-name]').waitFor();
    expect(await chat.locator('[data-testid=user-name]').textContent()).toBe(NINA.name);
    expect(await chat.locator('header.top .who').textContent()).toBe(`Signed in as ${NINA.name}`);
    await chat.getByText('No conversations yet. Start one!', { exact: true }).waitFor();

    await chat.getByRole('button', { name: 'New conversation', exact: true }).click();
    await chat.locator('section.thread h2', { hasText: 'New conversation' }).waitFor();
    const composer = chat.getByRole('textbox', { name: 'Message', exact: true });
    await composer.click();
    await composer.pressSequentially(QUESTION, { delay: 5 });
    await composer.press('Enter');
    const sent = chat.locator('ol.messages li.msg[data-status="sent"]', { hasText: QUESTION });
    await sent.waitFor();
    expect(await sent.locator('.author').textContent()).toBe('You');
    expect(await sent.locator('.md').textContent()).toBe(QUESTION);
    await chat.waitForSelector('body[data-live="ready"]', { state: 'attached', timeout: WAIT_MS });
    // A marker that a reload would wipe.
    await chat.evaluate(() => ((window as unknown as { parleyMarker: string }).parleyMarker = 'no-reload'));
    expect(problems).toEqual([]);
  });

  it('lists the new user, created by her external token, with her seat taken', async () => {
    expect(chat, 'the end user signed in').toBeDefined();
    const page = admin!;
    await openSection(page, 'Users');
    const rows = page.locator('table.users tbody tr');
    const nina = rows.filter({ hasText: NINA.name });
    await nina.waitFor();
    expect(await text(page, '[data-testid=user-total]')).toBe('2 total');
    expect(await rows.count()).toBe(2);
    // Newest first: Nina, then the owner.
    const cells = (row: typeof nina) => row.locator(':scope > th, :scope > td');
    const ninaCells = cells(nina);
    expect((await ninaCells.nth(0).textContent())?.trim()).toBe(NINA.name);
    expect((await ninaCells.nth(1).textContent())?.trim()).toBe(NINA.email);
    expect((await ninaCells.nth(2).textContent())?.trim()).toBe(NINA.id);
    expect((await ninaCells.nth(3).textContent())?.trim()).toBe('External token');
    expect(await ninaCells.nth(4).locator('time').count()).toBe(1);
    expect(await page.getByRole('combobox', { name: `Role of ${NINA.name}`, exact: true }).inputValue()).toBe('member');
    expect((await ninaCells.nth(7).textContent())?.trim()).toBe('Active');
    expect(await page.getByRole('button', { name: `Deactivate ${NINA.name}`, exact: true }).count()).toBe(1);
    const owner = rows.nth(1);
    expect((await cells(owner).nth(0).textContent())?.trim()).toBe(`${OWNER.name} (you)`);
    expect((await cells(owner).nth(3).textContent())?.trim()).toBe('Owner link');
    expect(await page.getByRole('combobox', { name: `Role of ${OWNER.name}`, exact: true }).inputValue()).toBe('owner');
    expect(await rows.first().getAttribute('data-user-id')).toBe(await nina.getAttribute('data-user-id'));
    // Seen when she signed in.
    expect(await ninaCells.nth(5).locator('time').count()).toBe(1);

    await page.screenshot({ path: outputPath('admin-users.png'), fullPage: true });

    // Search finds her by external id.
    await page.getByLabel('Search', { exact: true }).fill(NINA.id);
    await vi.waitFor(async () => expect(await text(page, '[data-testid=user-total]')).toBe('1 total'), { timeout: WAIT_MS, interval: 50 });
    expect(await rows.count()).toBe(1);
    expect((await cells(rows.first()).nth(2).textContent())?.trim()).toBe(NINA.id);
    await page.getByLabel('Search', { exact: true }).fill('');
    await vi.waitFor(async () => expect(await text(page, '[data-testid=user-total]')).toBe('2 total'), { timeout: WAIT_MS, interval: 50 });
    await rows.nth(1).waitFor();

    await openSection(page, 'Overview');
    await page.locator('[data-testid=seats]').waitFor();
    expect(await text(page, '[data-testid=seats]')).toBe('2 of 5 seats used');
    expect(await page.getByRole('meter', { name: 'Seats used' }).getAttribute('value')).toBe('2');
    expect(await text(page, '[data-testid=accounts-created]')).toBe('2 accounts created');
    const outcomes = page.locator('table.compact tbody tr');
    expect(await outcomes.count()).toBe(1);
    expect((await outcomes.first().locator('th, td').allTextContents()).map((s) => s.trim())).toEqual(['ok', '1']);

    // Back on External auth: the secret was shown once and is gone; the key has been used.
    await openSection(page, 'External auth');
    const key = page.locator(`tr[data-kid="${kid}"]`);
    await key.waitFor();
    expect(await key.locator('td').nth(3).locator('time').count()).toBe(1);
    expect(await page.locator('#new-secret').count()).toBe(0);
    expect(await page.content()).not.toContain(secret);
    expect(problems).toEqual([]);
  });

  it("answers her from the inbox, and she sees the answer arrive without reloading", async () => {
    expect(chat, 'the end user wrote').toBeDefined();
    const page = admin!;
    await openSection(page, 'Inbox');
    await page.locator('.inbox p.live', { hasText: 'Live' }).waitFor();
    const item = page.locator('ul.conversations a[data-conversation-id]');
    await item.waitFor();
    expect(await item.count()).toBe(1);
    // The tab title and the navigation count the conversation that waits for an answer.
    await vi.waitFor(async () => expect(await page.title()).toBe('(1) Inbox · Parley admin'), { timeout: WAIT_MS, interval: 50 });
    expect(await page.locator('nav.side a[href="#/inbox"] [data-testid=waiting] [aria-hidden]').textContent()).toBe('1');
    conversationId = (await item.getAttribute('data-conversation-id'))!;
    expect(await text(page, 'ul.conversations a .title')).toBe(`${NINA.name} Unanswered`);
    expect(await item.locator('.badge.unanswered').textContent()).toBe('Unanswered');
    expect(await item.locator('.preview').textContent()).toBe(QUESTION);

    await item.click();
    await page.waitForURL(`${baseUrl}/admin#/inbox/${conversationId}`);
    await page.locator('section.thread h2').waitFor();
    expect(await text(page, 'section.thread h2')).toBe(NINA.name);
    // Titled by its first message.
    expect(await text(page, 'section.thread [data-testid=conversation-title]')).toBe(QUESTION);
    const question = page.locator('section.thread ol.messages li.msg', { hasText: QUESTION });
    await question.waitFor();
    expect(await question.getAttribute('class')).toBe('msg theirs');
    expect(await question.locator('.author').textContent()).toBe(NINA.name);
    expect(await question.locator('.md').textContent()).toBe(QUESTION);

    const reply = page.getByRole('textbox', { name: 'Reply', exact: true });
    await reply.click();
    await reply.pressSequentially(ANSWER, { delay: 5 });
    await reply.press('Enter');

    // The owner's view: the answer in the thread, the composer empty, the conversation no longer unanswered.
    const answered = page.locator('section.thread ol.messages li.msg.mine', { hasText: ANSWER });
    await answered.waitFor();
    expect(await answered.locator('.author').textContent()).toBe('You');
    expect(await reply.inputValue()).toBe('');
    await vi.waitFor(async () => expect(await item.locator('.badge.unanswered').count()).toBe(0), { timeout: WAIT_MS, interval: 50 });
    await vi.waitFor(async () => expect(await page.title()).toBe('Inbox · Parley admin'), { timeout: WAIT_MS, interval: 50 });
    expect(await item.locator('.preview').textContent()).toBe(ANSWER);

    // Her view: the answer arrives live, from the owner, without a reload.
    const arrived = chat!.locator('ol.messages li.msg[data-status="sent"]', { hasText: ANSWER });
    await arrived.waitFor();
    expect(await arrived.getAttribute('class')).toBe('msg theirs sent');
    expect(await arrived.locator('.author').textContent()).toBe(OWNER.name);
    expect(await arrived.locator('.md').textContent()).toBe(ANSWER);
    expect(await chat!.evaluate(() => (window as unknown as { parleyMarker?: string }).parleyMarker)).toBe('no-reload');
    expect(await chat!.locator('ol.messages li.msg .md').allTextContents()).toEqual([QUESTION, ANSWER]);

    // The server agrees: after a reload the conversation is still answered.
    await page.reload();
    await page.locator(`ul.conversations a[data-conversation-id="${conversationId}"]`).waitFor();
    await page.locator('section.thread ol.messages li.msg.mine', { hasText: ANSWER }).waitFor();
    expect(await page.locator('ul.conversations .badge.unanswered').count()).toBe(0);
    expect(problems).toEqual([]);
  });

  it('records the sign-ins and the key creation in the audit log, without the secret or a token', async () => {
    expect(secret, 'a key was created').toBeDefined();
    const page = admin!;
    await openSection(page, 'Audit log');
    const rows = page.locator('table.audit tbody tr');
    await rows.first().waitFor();
    /** Action, actor and outcome of every row, newest first. */
    const entries = async () =>
      Promise.all(
        (await rows.all()).map(async (row) => {
          const cells = (await row.locator('td').allTextContents()).map((s) => s.trim());
          return { kind: cells[1], action: cells[2], actor: cells[3], outcome: cells[4] };
        }),
      );
    const all = await entries();
    expect(all).toContainEqual({ kind: 'Sign-in', action: 'sign_in.link', actor: NINA.id, outcome: 'ok' });
    expect(all).toContainEqual({ kind: 'Administrative action', action: 'key.create', actor: OWNER.email, outcome: 'ok' });
    expect(all).toContainEqual({ kind: 'Administrative action', action: 'admin_link.use', actor: OWNER.email, outcome: 'ok' });
    expect(all).toContainEqual({ kind: 'Administrative action', action: 'admin_link.use', actor: expect.any(String), outcome: 'link_used' });
    // Switching external auth off and on again.
    expect(all.filter((e) => e.action === 'settings.update')).toEqual([
      { kind: 'Administrative action', action: 'settings.update', actor: OWNER.email, outcome: 'ok' },
      { kind: 'Administrative action', action: 'settings.update', actor: OWNER.email, outcome: 'ok' },
    ]);
    // Newest first: the key was created after the owner's link was used, and before Nina signed in.
    const at = (action: string, outcome = 'ok') => all.findIndex((e) => e.action === action && e.outcome === outcome);
    expect(at('sign_in.link')).toBeLessThan(at('key.create'));
    expect(at('key.create')).toBeLessThan(at('admin_link.use'));

    await page.getByLabel('Kind', { exact: true }).selectOption('sign_in');
    await vi.waitFor(async () => expect((await entries()).every((e) => e.kind === 'Sign-in')).toBe(true), { timeout: WAIT_MS, interval: 50 });
    expect(await entries()).toEqual([{ kind: 'Sign-in', action: 'sign_in.link', actor: NINA.id, outcome: 'ok' }]);
    await page.getByLabel('Kind', { exact: true }).selectOption('');
    await vi.waitFor(async () => expect(await rows.count()).toBe(all.length), { timeout: WAIT_MS, interval: 50 });

    const token = new URL(signInLink!).searchParams.get('externalAuthCode')!;
    const setupToken = new URL(setupLink).searchParams.get('token')!;
    for (const shown of [await page.content(), await page.locator('body').innerText()]) {
      expect(shown).not.toContain(secret);
      expect(shown).not.toContain(token);
      expect(shown).not.toContain(setupToken);
    }
    expect(problems).toEqual([]);
  });

  it('never writes the secret or the token to its log', () => {
    expect(signInLink, 'the example printed a link').toBeDefined();
    const token = new URL(signInLink!).searchParams.get('externalAuthCode')!;
    const log = parley!.lines.map((l) => l.raw).join('\n') + parley!.stderr();
    expect(log).not.toContain(secret);
    expect(log).not.toContain(token);
    expect(log).not.toContain(token.split('.')[2]);
  });
});
