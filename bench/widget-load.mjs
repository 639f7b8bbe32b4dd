// Widget load in headless Debian Chromium: median time from navigation to the launcher being visible and to
// the panel showing the signed-in user, on a host page of another origin, against the time to load a
// same-size static script from the same server (the baseline). `node bench/widget-load.mjs [--runs N]`.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { SignJWT } from 'jose';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 10;
const secret = 'bench-secret-bench-secret-bench-secret!!';
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function measureWidgetLoad({ runs: n = runs } = {}) {
  if (!existsSync('/usr/bin/chromium')) return null;
  const dir = mkdtempSync(join(tmpdir(), 'parley-wbench-'));
  const host = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    res.setHeader('content-type', 'text/html');
    res.end(`<!doctype html><html><body><h1>Host</h1>${url.searchParams.get('tag') ?? ''}</body></html>`);
  });
  await new Promise((r) => host.listen(0, '127.0.0.1', r));
  const hostOrigin = `http://127.0.0.1:${host.address().port}`;
  const server = spawn(process.execPath, [join(root, 'dist/bench/server.js')], {
    env: { ...process.env, DATABASE_URL: `sqlite:${join(dir, 'w.db')}`, PARLEY_EXTERNAL_AUTH_SECRET: secret, PARLEY_ALLOWED_ORIGINS: hostOrigin, LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const base = await new Promise((resolve) => server.stdout.once('data', (c) => resolve(c.toString().trim())));
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const token = await new SignJWT({ user: { id: 'load-user', name: 'Load User' } }).setProtectedHeader({ alg: 'HS256', kid: 'env' }).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(secret));
  const launcher = [];
  const signedIn = [];
  const baseline = [];
  try {
    for (let i = 0; i < n; i++) {
      const context = await browser.newContext(); // cold cache every run
      const page = await context.newPage();
      const tag = `<script defer data-open="true" data-external-auth-code="${token}" src="${base}/widget.js"></script>`;
      await page.goto(`${hostOrigin}/?tag=${encodeURIComponent(tag)}`, { waitUntil: 'commit' });
      launcher.push(await (await page.waitForFunction(() => document.querySelector('[data-parley-widget]')?.shadowRoot?.querySelector('.launcher') && performance.now(), null, { polling: 'raf', timeout: 10_000 })).jsonValue());
      signedIn.push(await (await page.waitForFunction(() => document.querySelector('[data-parley-widget]')?.shadowRoot?.querySelector('[data-testid=user-name]') && performance.now(), null, { polling: 'raf', timeout: 10_000 })).jsonValue());
      await context.close();

      const plain = await browser.newContext();
      const p2 = await plain.newPage();
      const staticTag = `<script defer src="${base}/bench/static.js"></script>`;
      await p2.goto(`${hostOrigin}/?tag=${encodeURIComponent(staticTag)}`, { waitUntil: 'commit' });
      baseline.push(await (await p2.waitForFunction(() => window.__staticLoaded && performance.now(), null, { polling: 'raf', timeout: 10_000 })).jsonValue());
      await plain.close();
    }
  } finally {
    await browser.close();
    server.kill('SIGTERM');
    host.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const gzip = ['widget.js', 'widget.css'].reduce((s, f) => s + gzipSync(readFileSync(join(root, 'dist/public', f)), { level: 9 }).length, 0);
  return { runs: n, launcherMs: median(launcher), signedInMs: median(signedIn), baselineMs: median(baseline), gzipBytes: gzip };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await measureWidgetLoad();
  console.log(result ?? 'chromium not installed: skipped');
}
