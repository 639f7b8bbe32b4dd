// The widget's load as a visitor feels it, in headless Debian Chromium: a host page on another origin with the
// one script tag (`data-open="true"` and a signed code), timed from navigation to
//   - launcher visible: the loader's `button.launcher` rendered with a non-zero box;
//   - panel usable: the panel showing the signed-in user's name and an enabled composer (a `textarea`),
// each polled on animation frames. Cold is a fresh browser context (empty cache); warm is the same context
// visiting another page of the host, within the loader's five-minute cache, the panel's immutable files
// cached too. The baseline, visited cold and warm the same way in the same run, is a script that only sets a
// flag, as large as widget.js and sent as it is (brotli, same headers; bench/server.ts). Every figure is also
// given as a ratio to the baseline of its cache state: the ratio of the medians, and the median of the
// ratios of each widget run to the baseline run beside it. The bytes are what the cold visit put on the wire
// with Parley's origin, request by request, CORS preflights included.
// `node bench/widget-load.mjs [--runs N]` after `node scripts/build.mjs` (a build during the run replaces the
// hashed files the server named at boot: their 404s are printed); `npm run bench` runs it too.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { chromium } from 'playwright-core';
import { SignJWT } from 'jose';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runsArg = process.argv.indexOf('--runs');
const defaultRuns = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 15;
const secret = 'bench-secret-bench-secret-bench-secret!!';
const userName = 'Load User';
const timeout = 15_000;

/** The value at fraction `p` of the sorted values (nearest rank). */
const quantile = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
const summary = (xs) => ({ median: quantile(xs, 0.5), q1: quantile(xs, 0.25), q3: quantile(xs, 0.75), min: Math.min(...xs), max: Math.max(...xs) });

// Conditions evaluated in the page, on every animation frame; each answers the time since navigation once true.
function launcherVisible() {
  const button = document.querySelector('[data-parley-widget]')?.shadowRoot?.querySelector('button.launcher');
  if (!button) return false;
  const box = button.getBoundingClientRect();
  return box.width > 0 && box.height > 0 && button.checkVisibility({ visibilityProperty: true, opacityProperty: true }) && performance.now();
}
function panelUsable(name) {
  const shadow = document.querySelector('[data-parley-widget]')?.shadowRoot;
  const who = shadow?.querySelector('[data-testid=user-name]');
  const composer = shadow?.querySelector('textarea');
  const shown = (el) => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && el.checkVisibility({ visibilityProperty: true });
  };
  return !!who && who.textContent === name && !!composer && !composer.disabled && !composer.readOnly && shown(who) && shown(composer) && performance.now();
}
function staticLoaded() {
  return window.__staticLoaded === true && performance.now();
}

/** What a page sends and receives: Playwright's sizes per request, CDP for the CORS preflights it does not show. */
async function watchRequests(context, page, base) {
  const requests = [];
  const streams = new Set();
  const inFlight = new Set();
  page.on('request', (request) => {
    if (!request.url().startsWith(`${base}/`)) return;
    requests.push(request);
    inFlight.add(request);
  });
  page.on('response', (response) => {
    if (response.status() >= 400 && response.url().startsWith(`${base}/`)) console.error(`widget-load: ${response.status()} for ${response.url()}`);
    if ((response.headers()['content-type'] ?? '').startsWith('text/event-stream')) streams.add(response.request());
  });
  const done = (request) => inFlight.delete(request);
  page.on('requestfinished', done);
  page.on('requestfailed', done);

  // CDP's events of one request may come in any order (an ExtraInfo before its request), so each is kept by
  // request id and read when the visit is collected.
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const preflights = []; // request ids, in the order sent
  const preflightUrls = new Map();
  // Playwright does not see a preflight: one still unanswered means its request is yet to come.
  const preflightsInFlight = new Set();
  const sentHeaders = new Map();
  const receivedHeaders = new Map();
  cdp.on('Network.requestWillBeSent', (event) => {
    if (event.request.method !== 'OPTIONS' || !event.request.url.startsWith(`${base}/`)) return;
    preflights.push(event.requestId);
    preflightUrls.set(event.requestId, event.request.url);
    preflightsInFlight.add(event.requestId);
  });
  cdp.on('Network.loadingFinished', (event) => preflightsInFlight.delete(event.requestId));
  cdp.on('Network.loadingFailed', (event) => preflightsInFlight.delete(event.requestId));
  cdp.on('Network.requestWillBeSentExtraInfo', (event) => sentHeaders.set(event.requestId, event.headers));
  cdp.on('Network.responseReceivedExtraInfo', (event) => receivedHeaders.set(event.requestId, event.headersText?.length ?? 0));
  // An open event stream never finishes: what it received is counted from CDP's data events.
  const received = new Map();
  cdp.on('Network.dataReceived', (event) => received.set(event.requestId, (received.get(event.requestId) ?? 0) + event.encodedDataLength));
  const streamIds = new Map(); // url -> request id
  cdp.on('Network.responseReceived', (event) => {
    if ((event.response.mimeType ?? '') === 'text/event-stream') streamIds.set(event.response.url, event.requestId);
  });

  return {
    /**
     * Waits until nothing but an event stream has been in flight (preflights included) for 500 ms, and with
     * `stream`, until the visit's event stream is open (the panel opens one once signed in).
     */
    async settle({ stream = false } = {}) {
      const started = Date.now();
      let quietSince = Date.now();
      while (Date.now() - started < timeout) {
        const waiting = preflightsInFlight.size > 0 || [...inFlight].some((r) => !streams.has(r)) || (stream && !requests.some((r) => streams.has(r)));
        if (waiting) quietSince = Date.now();
        else if (Date.now() - quietSince >= 500) return;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error('widget-load: requests still in flight after the page was loaded');
    },
    /** What the visit sent so far, forgotten here: the next visit starts. */
    take() {
      const visit = { requests: [...requests], preflights: [...preflights], streams: new Map(streamIds) };
      requests.length = 0;
      preflights.length = 0;
      streamIds.clear();
      return visit;
    },
    /** A visit's requests with their bytes; once the page has left it (an open stream ends then). */
    async collect(visit) {
      const rows = [];
      for (const request of visit.requests) {
        const sizes = await request.sizes();
        const response = await request.response();
        const url = new URL(request.url());
        const stream = streams.has(request);
        // A response from the HTTP cache has no bytes on the wire (Playwright gives a negative body size).
        const cached = sizes.responseBodySize < 0;
        const streamed = stream ? (received.get(visit.streams.get(request.url())) ?? 0) : 0;
        rows.push({
          method: request.method(),
          path: url.pathname + url.search,
          status: response?.status() ?? null,
          coding: response?.headers()['content-encoding'] ?? 'identity',
          stream,
          cached,
          sent: cached ? 0 : sizes.requestHeadersSize + sizes.requestBodySize,
          headers: cached ? 0 : sizes.responseHeadersSize,
          body: cached ? 0 : Math.max(sizes.responseBodySize, streamed),
        });
      }
      // Chromium reports no encoded length for a preflight; its bytes are its request line and headers as sent
      // (counted the way Playwright counts a request's) and its response's raw headers (a 204 has no body).
      for (const id of visit.preflights) {
        const url = new URL(preflightUrls.get(id));
        const path = url.pathname + url.search;
        const headers = sentHeaders.get(id);
        const sent = headers ? `OPTIONS ${path} HTTP/1.1\r\n`.length + Object.entries(headers).reduce((n, [k, v]) => n + `${k}: ${v}\r\n`.length, 0) + 2 : 0;
        rows.push({ method: 'OPTIONS', path, status: 204, coding: 'identity', stream: false, cached: false, preflight: true, sent, headers: receivedHeaders.get(id) ?? 0, body: 0 });
      }
      for (const row of rows) row.total = row.sent + row.headers + row.body;
      return rows;
    },
  };
}

/**
 * Measures the widget's load and the baseline's, cold and warm, `runs` times each (after one visit of each
 * that is not counted: the browser's and the server's first work), alternating which goes first. Answers
 * null without Chromium at /usr/bin/chromium.
 */
export async function measureWidgetLoad({ runs: n = defaultRuns } = {}) {
  if (!existsSync('/usr/bin/chromium')) return null;
  const manifest = JSON.parse(readFileSync(join(root, 'dist/public/manifest.json'), 'utf8'));
  const dir = mkdtempSync(join(tmpdir(), 'parley-wbench-'));
  const host = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    res.setHeader('content-type', 'text/html');
    res.end(`<!doctype html><html><head><link rel="icon" href="data:,"></head><body><h1>Host</h1>${url.searchParams.get('tag') ?? ''}</body></html>`);
  });
  await new Promise((r) => host.listen(0, '127.0.0.1', r));
  const hostOrigin = `http://127.0.0.1:${host.address().port}`;
  const server = spawn(process.execPath, [join(root, 'dist/bench/server.js')], {
    env: { ...process.env, DATABASE_URL: `sqlite:${join(dir, 'w.db')}`, PARLEY_EXTERNAL_AUTH_SECRET: secret, PARLEY_ALLOWED_ORIGINS: hostOrigin, PARLEY_SIGNIN_RATE_LIMIT: '0', PARLEY_SIGNIN_RATE_LIMIT_PER_KEY: '0', LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const base = await new Promise((resolve, reject) => {
    server.stdout.once('data', (c) => resolve(c.toString().trim()));
    server.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const token = await new SignJWT({ user: { id: 'load-user', name: userName } }).setProtectedHeader({ alg: 'HS256', kid: 'env' }).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(secret));
  const widgetTag = `<script defer data-open="true" data-external-auth-code="${token}" src="${base}/widget.js"></script>`;
  const staticTag = `<script defer src="${base}/bench/static.js"></script>`;
  // Two pages of the host: the warm visit is a navigation to another URL (a same-URL one would be a reload).
  const visit = (page, path, tag) => page.goto(`${hostOrigin}${path}?tag=${encodeURIComponent(tag)}`, { waitUntil: 'commit' });
  /** Waits for `condition` on animation frames; a timeout says what the page showed and what failed to load. */
  async function until(page, condition, arg) {
    try {
      return await (await page.waitForFunction(condition, arg, { polling: 'raf', timeout })).jsonValue();
    } catch (error) {
      const shown = await page.evaluate(() => document.querySelector('[data-parley-widget]')?.shadowRoot?.innerHTML.slice(0, 600) ?? '(no widget element)').catch(() => '(page gone)');
      throw new Error(`widget-load: ${condition.name} not reached in ${timeout} ms on ${page.url().split('?')[0]}; the shadow root held: ${shown}`, { cause: error });
    }
  }

  const times = { cold: { launcher: [], panel: [], baseline: [] }, warm: { launcher: [], panel: [], baseline: [] } };
  const coldVisits = [];
  const warmVisits = [];
  const baselineRows = [];

  async function widgetRun(record) {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const watch = await watchRequests(context, page, base);
      const taken = [];
      for (const [state, path] of [['cold', '/'], ['warm', '/other-page']]) {
        // Leaving the cold page for the warm one ends the cold page's event stream.
        await visit(page, path, widgetTag);
        const [launcher, panel] = await Promise.all([until(page, launcherVisible), until(page, panelUsable, userName)]);
        await watch.settle({ stream: true });
        if (record) {
          times[state].launcher.push(launcher);
          times[state].panel.push(panel);
        }
        taken.push(watch.take());
      }
      await page.goto('about:blank');
      const visits = [await watch.collect(taken[0]), await watch.collect(taken[1])];
      if (record) {
        coldVisits.push(visits[0]);
        warmVisits.push(visits[1]);
      }
    } finally {
      await context.close();
    }
  }
  async function baselineRun(record) {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const watch = await watchRequests(context, page, base);
      for (const [state, path] of [['cold', '/'], ['warm', '/other-page']]) {
        await visit(page, path, staticTag);
        const loaded = await until(page, staticLoaded);
        await watch.settle();
        if (record) times[state].baseline.push(loaded);
        const taken = watch.take();
        if (state === 'cold') baselineRows.push(...(await watch.collect(taken)));
      }
    } finally {
      await context.close();
    }
  }

  try {
    await widgetRun(false);
    await baselineRun(false);
    for (let i = 0; i < n; i++) {
      // Alternating the order, so that neither always runs right after the other's work.
      if (i % 2 === 0) {
        await widgetRun(true);
        await baselineRun(true);
      } else {
        await baselineRun(true);
        await widgetRun(true);
      }
    }
  } finally {
    await browser.close();
    server.kill('SIGTERM');
    host.close();
    rmSync(dir, { recursive: true, force: true });
  }

  // Run i of the widget and run i of the baseline ran one right after the other: their ratio is the same
  // run's, and the spread of those ratios says how far the machine's drift moved them.
  const summaries = (t) => ({
    baseline: summary(t.baseline),
    launcher: { ...summary(t.launcher), ratios: summary(t.launcher.map((x, i) => x / t.baseline[i])) },
    panel: { ...summary(t.panel), ratios: summary(t.panel.map((x, i) => x / t.baseline[i])) },
  });
  const label = (row) => {
    if (row.preflight) return `CORS preflight of ${row.path.split('?')[0]}`;
    const path = row.path.split('?')[0];
    if (path === '/widget.js') return 'loader (/widget.js)';
    if (path === '/widget.css') return "loader's stylesheet (/widget.css)";
    if (path === manifest['panel.js']) return `panel (${path})`;
    if (path === manifest['panel-shared.js']) return `panel's shared chunk (${path})`;
    if (path === manifest['panel-thread.js']) return `open conversation's view, after the panel (${path})`;
    if (path === manifest['panel.css']) return `panel's stylesheet (${path})`;
    if (/^\/assets\/locale-[a-z]+-/.test(path)) return `locale table (${path})`;
    if (path.startsWith('/api/')) return `API ${row.method} ${path}${row.stream ? ' (event stream, open: what arrived before the page left)' : ''}`;
    return `${row.method} ${path}`;
  };
  // The last cold visit, request by request; beside each, the warm visit's request of the same name.
  const cold = coldVisits.at(-1);
  const warm = warmVisits.at(-1);
  const warmByLabel = new Map();
  for (const row of warm) (warmByLabel.get(label(row)) ?? warmByLabel.set(label(row), []).get(label(row))).push(row);
  const requests = cold.map((row) => ({ ...row, label: label(row), warm: warmByLabel.get(label(row))?.shift() ?? null }));
  const unmatchedWarm = [...warmByLabel.values()].flat().map((row) => ({ ...row, label: label(row) }));
  const total = (rows) => rows.reduce((s, r) => s + r.total, 0);
  const staticRow = baselineRows.find((r) => r.path === '/bench/static.js');
  const loaderRow = cold.find((r) => r.path === '/widget.js');
  return {
    runs: n,
    cold: summaries(times.cold),
    warm: summaries(times.warm),
    requests,
    unmatchedWarm,
    coldTotals: coldVisits.map(total),
    warmTotals: warmVisits.map(total),
    /** Every run's cold and warm visit, request by request. */
    visits: coldVisits.map((rows, i) => ({ cold: rows.map((r) => ({ ...r, label: label(r) })), warm: warmVisits[i].map((r) => ({ ...r, label: label(r) })) })),
    coldCounts: coldVisits.map((rows) => rows.length),
    warmCounts: warmVisits.map((rows) => rows.filter((r) => !r.cached).length),
    baselineScript: { body: staticRow?.body ?? null, coding: staticRow?.coding ?? null },
    loaderScript: { body: loaderRow?.body ?? null, coding: loaderRow?.coding ?? null },
  };
}

/** The result as the Markdown of bench/RESULTS.md's widget section. */
export function widgetLoadTable(result) {
  if (!result) return 'Widget load: skipped (no /usr/bin/chromium).';
  const ms = (s) => s.median.toFixed(0);
  const iqr = (s) => `${s.q1.toFixed(0)}–${s.q3.toFixed(0)}`;
  const ratio = (s, b) => (s.median / b.median).toFixed(2);
  const paired = (s) => (s.ratios ? ` (${s.ratios.median.toFixed(2)}; ${s.ratios.q1.toFixed(2)}–${s.ratios.q3.toFixed(2)})` : '');
  const { cold, warm } = result;
  const row = (name, key) =>
    `| ${name} | ${ms(cold[key])} (${iqr(cold[key])}) | ${ratio(cold[key], cold.baseline)}${paired(cold[key])} | ${ms(warm[key])} (${iqr(warm[key])}) | ${ratio(warm[key], warm.baseline)}${paired(warm[key])} |`;
  const bytes = (n) => n.toLocaleString('en');
  const warmCell = (r) => (!r ? 'not requested' : r.cached ? 'from cache (0)' : bytes(r.total));
  const requestRow = (r) => `| ${r.label} | ${r.status ?? ''} | ${r.coding} | ${bytes(r.sent)} | ${bytes(r.headers)} | ${bytes(r.body)} | ${bytes(r.total)} | ${warmCell(r.warm)} |`;
  const coldTotal = result.requests.reduce((s, r) => s + r.total, 0);
  const warmTotal = result.requests.reduce((s, r) => s + (r.warm?.total ?? 0), 0) + result.unmatchedWarm.reduce((s, r) => s + r.total, 0);
  const sum = (key) => bytes(result.requests.reduce((s, r) => s + r[key], 0));
  const range = (xs) => (Math.min(...xs) === Math.max(...xs) ? bytes(xs[0]) : `${bytes(Math.min(...xs))}–${bytes(Math.max(...xs))}`);
  return [
    `| widget load (headless Chromium, host page on another origin, \`data-open="true"\`; median of ${result.runs} (interquartile range), ms from navigation) | cold ms | cold × baseline (median of the per-run ratios; their interquartile range) | warm ms | warm × baseline (likewise) |`,
    '|---|---|---|---|---|',
    row("baseline: a static script of widget.js's size, sent as it is (brotli, same headers and cache)", 'baseline'),
    row('launcher visible', 'launcher'),
    row('panel usable: the signed-in user and an enabled composer', 'panel'),
    '',
    `Baseline script on the wire: ${bytes(result.baselineScript.body)} bytes ${result.baselineScript.coding}, against the loader's ${bytes(result.loaderScript.body)} bytes ${result.loaderScript.coding}.`,
    '',
    '| requests to Parley\'s origin, cold visit (bytes on the wire) | status | coding | request line, headers and body | response headers | response body (encoded) | total | warm visit |',
    '|---|---|---|---|---|---|---|---|',
    ...result.requests.map(requestRow),
    ...result.unmatchedWarm.map((r) => `| ${r.label} (warm visit only) | ${r.status ?? ''} | ${r.coding} | | | | | ${warmCell(r)} |`),
    `| **total, ${result.requests.length} requests** | | | ${sum('sent')} | ${sum('headers')} | ${sum('body')} | **${bytes(coldTotal)}** | **${bytes(warmTotal)}** |`,
    '',
    `Over the ${result.runs} runs: cold visits ${range(result.coldTotals)} bytes in ${range(result.coldCounts)} requests; warm visits ${range(result.warmTotals)} bytes in ${range(result.warmCounts)} requests that reached the network.`,
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // Alone, the bench server is built here (`npm run bench` builds it in bench/run.mjs).
  await esbuild.build({ entryPoints: [join(root, 'bench/server.ts')], outfile: join(root, 'dist/bench/server.js'), bundle: true, platform: 'node', format: 'esm', packages: 'external', logLevel: 'warning' });
  console.log(widgetLoadTable(await measureWidgetLoad()));
}
