// `npm run bench [-- --quick]`: drives a Parley server in its own process over loopback with autocannon and
// writes bench/RESULTS.md. Every figure is also given as a ratio to the baseline of the same run.
// `node bench/run.mjs --only document-rooms[,fanout…] [--quick]` (after `node scripts/build.mjs`) runs only
// those scenarios and prints them.
import { spawn, execSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import * as esbuild from 'esbuild';
import { SignJWT } from 'jose';
import { measureWidgetLoad, widgetLoadTable } from './widget-load.mjs';
import { measureFanout } from './fanout.mjs';
import { measureProvisioning } from './provisioning.mjs';
import { documentRoomsTable, measureDocumentRooms } from './document-rooms.mjs';
import { clusterTable, measureCluster } from './cluster.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');
// `--only a,b`: run only those scenarios (names below, in `sections`) and print them; RESULTS.md is left alone.
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt === -1 ? null : (process.argv[onlyAt + 1] ?? '').split(',').filter(Boolean);
// The throughput scenarios run in rounds, each round measuring the baseline again just before the sign-ins,
// so that drift on a shared machine moves both alike; the table gives the median round.
const rounds = quick ? 1 : 3;
const duration = 5;
const connections = 50;
const secret = 'bench-secret-bench-secret-bench-secret!!';

// The TypeScript scenarios, each bundled into dist/bench/<name>.js (their packages stay external).
for (const name of ['admin-users', 'assistant', 'outbox', 'search', 'server', 'upload']) {
  await esbuild.build({
    entryPoints: [join(root, `bench/${name}.ts`)],
    outfile: join(root, `dist/bench/${name}.js`),
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    logLevel: 'warning',
  });
}

/** The sign-in throughput scenarios and their bare-route baselines, in rounds; answers their table. */
async function measureSignIns() {
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-'));
  // A token API credential in the bench database, made the way an administrator would.
  const credential = JSON.parse(
    execSync(`${process.execPath} ${join(root, 'dist/server/cli.js')} api-credentials create --name bench --json`, {
      env: { ...process.env, DATABASE_URL: `sqlite:${join(dir, 'bench.db')}`, LOG_LEVEL: 'silent' },
    }).toString(),
  );
  const server = spawn(process.execPath, [join(root, 'dist/bench/server.js')], {
    env: { ...process.env, DATABASE_URL: `sqlite:${join(dir, 'bench.db')}`, PARLEY_EXTERNAL_AUTH_SECRET: secret, PARLEY_SEAT_LIMIT: '100000', PARLEY_SIGNIN_RATE_LIMIT: '0', PARLEY_SIGNIN_RATE_LIMIT_PER_KEY: '0', LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const base = await new Promise((resolve, reject) => {
    server.stdout.once('data', (chunk) => resolve(chunk.toString().trim()));
    server.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });

  const token = await new SignJWT({ user: { id: 'bench-user', name: 'Bench' } })
    .setProtectedHeader({ alg: 'HS256', kid: 'env' })
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(secret));
  // The user exists before the measured sign-ins.
  const first = await fetch(`${base}/api/v1/auth/exchange`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ externalAuthCode: token }) });
  if (first.status !== 200) throw new Error(`warm-up sign-in failed: ${first.status}`);

  /** CPU time (user + system, ms) the server process has used so far, where /proc tells it. */
  function serverCpuMs() {
    const stat = `/proc/${server.pid}/stat`;
    if (!existsSync(stat)) return Number.NaN;
    const fields = readFileSync(stat, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  }

  function load(name, options, expectStatus) {
    return new Promise((resolve, reject) => {
      let wrong = 0;
      const { path, ...rest } = options;
      const cpuBefore = serverCpuMs();
      const instance = autocannon({ url: `${base}${path}`, connections, duration, ...rest }, (error, result) => {
        if (error) return reject(error);
        const cpuUsPerRequest = ((serverCpuMs() - cpuBefore) * 1000) / result.requests.total;
        resolve({ name, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.timeouts + wrong, total: result.requests.total, cpuUsPerRequest });
      });
      instance.on('response', (_client, statusCode) => {
        if (statusCode !== expectStatus && wrong++ === 0) console.error(`${name}: unexpected status ${statusCode}`);
      });
    });
  }

  const exchangeBody = JSON.stringify({ externalAuthCode: token });
  // [name, request, expected status, index of the baseline of the same shape]
  const scenarios = [
    ['baseline: bare Fastify GET route', { path: '/bench/baseline' }, 200, 0],
    ['baseline: bare Fastify POST route (parses the exchange body, echoes it)', { path: '/bench/baseline', method: 'POST', headers: { 'content-type': 'application/json' }, body: exchangeBody }, 200, 1],
    ['baseline: bare Fastify GET route, with the code in its query string', { path: `/bench/baseline?code=${token}` }, 200, 2],
    ['hosted-page sign-in (GET /?externalAuthCode, 303)', { path: `/?externalAuthCode=${token}` }, 303, 2],
    [
      'token API (POST /v2/auth/generate_token)',
      {
        path: '/v2/auth/generate_token',
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': credential.apiKey, 'x-auth-token': credential.authToken },
        body: JSON.stringify({ userId: 'bench-user', permissions: { resources: [{ type: 'document', id: 'doc-1', organizationId: 'default', accessRole: 'editor' }] } }),
      },
      200,
      1,
    ],
    ['exchange (POST /api/v1/auth/exchange)', { path: '/api/v1/auth/exchange', method: 'POST', headers: { 'content-type': 'application/json' }, body: exchangeBody }, 200, 1],
  ];
  /** rounds[r][s]: scenario s of round r, each with its ratio to the baseline of its own round. */
  const measured = [];
  for (let round = 0; round < rounds; round++) {
    const results = [];
    for (const [name, options, status] of scenarios) results.push(await load(name, options, status));
    measured.push(
      results.map((r, s) => {
        const shape = results[scenarios[s][3]];
        return { ...r, ratio: r.rps / shape.rps, getRatio: r.rps / results[0].rps, cpuRatio: r.cpuUsPerRequest / shape.cpuUsPerRequest };
      }),
    );
  }
  server.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });

  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const results = scenarios.map((_, s) => {
    const runs = measured.map((round) => round[s]);
    const pick = (key) => median(runs.map((r) => r[key]));
    return { name: runs[0].name, rps: pick('rps'), ratio: pick('ratio'), getRatio: pick('getRatio'), p50: pick('p50'), p99: pick('p99'), errors: runs.reduce((n, r) => n + r.errors, 0), cpuUsPerRequest: pick('cpuUsPerRequest'), cpuRatio: pick('cpuRatio'), ratios: runs.map((r) => r.ratio) };
  });
  const rows = results.map(
    (r) =>
      `| ${r.name} | ${r.rps.toFixed(0)} | ${r.ratio.toFixed(3)}${rounds > 1 ? ` (${r.ratios.map((x) => x.toFixed(2)).join(', ')})` : ''} | ${r.getRatio.toFixed(3)} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.cpuUsPerRequest.toFixed(1)} |`,
  );
  const table = [
    `| scenario (SQLite, 50 connections; median of ${rounds} round${rounds > 1 ? 's' : ''} of ${duration} s) | req/s | × bare route of its shape${rounds > 1 ? ' (each round)' : ''} | × bare GET | p50 ms | p99 ms | wrong/errors | server CPU µs/request |`,
    '|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
  return table;
}

let commit = 'unknown';
try {
  commit = execSync('git rev-parse --short HEAD', { cwd: root }).toString().trim();
  // The figures are of the tree that was built, which may hold changes not yet committed.
  if (execSync('git status --porcelain -- server shared widget scripts', { cwd: root }).toString().trim() !== '') commit += ' + uncommitted changes';
} catch {}

async function measureWidget() {
  return widgetLoadTable(await measureWidgetLoad({ runs: quick ? 5 : 15 }));
}

async function measureFanouts() {
  const fanouts = [await measureFanout({ streams: 1000, root })];
  if (!quick) fanouts.push(await measureFanout({ streams: 5000, root }));
  const ms = (x) => x.toFixed(1);
  return [
    '| live fan-out (SQLite; one conversation, 100 messages) | p50 ms | p99 ms | lost | baseline p50 ms | baseline p99 ms | p99 × baseline | RSS per idle stream |',
    '|---|---|---|---|---|---|---|---|',
    ...fanouts.map((f) => `| ${f.streams.toLocaleString('en')} streams | ${ms(f.p50)} | ${ms(f.p99)} | ${f.lost} | ${ms(f.baselineP50)} | ${ms(f.baselineP99)} | ${(f.p99 / f.baselineP99).toFixed(2)} | ${f.kbPerIdleStream.toFixed(1)} KB |`),
  ].join('\n');
}

async function measureBurst() {
  const burst = await measureProvisioning({ root });
  return burst.skipped
    ? `Provisioning burst (PostgreSQL): skipped, ${burst.skipped}.`
    : `Provisioning burst (PostgreSQL): ${burst.users.toLocaleString('en')} new users at 50 connections, seat limit ${burst.seats}: ${burst.accounts} accounts (${JSON.stringify(burst.outcomes)}), ${burst.accountsPerSecond.toFixed(0)} accounts/s.`;
}

async function measureAdminUsers() {
  const adminUsers = JSON.parse(execSync(`${process.execPath} ${join(root, 'dist/bench/admin-users.js')}`).toString());
  return `Admin users page with ${adminUsers.accounts.toLocaleString('en')} accounts (SQLite, in process, median of 20): first page ${adminUsers.firstPageMs} ms, search ${adminUsers.searchMs} ms.`;
}

/** The outbox's webhook deliveries to a local receiver, against bare signed POSTs to it (bench/outbox.ts). */
function measureOutbox() {
  const r = JSON.parse(execSync(`${process.execPath} ${join(root, 'dist/bench/outbox.js')}${quick ? ' --quick' : ''}`, { env: { ...process.env, LOG_LEVEL: 'silent' } }).toString());
  return [
    '| outbox: webhook deliveries to a receiver on 127.0.0.1 (SQLite, in process) | count | per second | × baseline |',
    '|---|---|---|---|',
    `| baseline: bare signed POSTs of a delivery's size, ${r.inFlight} in flight, a new connection each | ${r.deliveries.toLocaleString('en')} | ${r.barePerSecond} | 1.00 |`,
    `| the worker draining the outbox (${r.inFlight} at a time; claim, send, record each try) | ${r.delivered.toLocaleString('en')} delivered, ${r.outbox.failed} failed | ${r.deliveriesPerSecond} | ${r.ratio.toFixed(2)} |`,
    '',
    `Messages posted while enqueueing (each with its delivery in its transaction): ${r.messagesPerSecondWhileEnqueueing} a second.`,
  ].join('\n');
}

/** The assistant's time to first token through Parley, against the fake provider's own (bench/assistant.ts). */
function measureAssistant() {
  const r = JSON.parse(execSync(`${process.execPath} ${join(root, 'dist/bench/assistant.js')}${quick ? ' --quick' : ''}`, { env: { ...process.env, LOG_LEVEL: 'silent' } }).toString());
  return [
    `| assistant: time to first token (SQLite, in process; the provider thinks ${r.thinkMs} ms) | replies | p50 ms | p99 ms |`,
    '|---|---|---|---|',
    `| baseline: the provider directly (a POST on a new connection to its first chunk) | ${r.replies} | ${r.direct.p50} | ${r.direct.p99} |`,
    `| through Parley: POST of the user's message to the first message.delta on their stream | ${r.replies} | ${r.parley.p50} | ${r.parley.p99} |`,
    `| **overhead** (each reply's own minus the direct measurement just before it) | ${r.replies} | **${r.overhead.p50}** | **${r.overhead.p99}** |`,
  ].join('\n');
}

/** The inbox search among 100,000 messages on both databases (bench/search.ts), against the inbox list on the same data. */
function measureSearch() {
  const ms = (x) => x.toFixed(1);
  const lines = [
    '| inbox search among 100,000 messages (in process, each query in turn) | database | conversations found (first page) | p50 ms | p99 ms | p99 × baseline |',
    '|---|---|---|---|---|---|',
  ];
  const notes = [];
  for (const dialect of ['sqlite', 'postgres']) {
    const result = JSON.parse(execSync(`${process.execPath} ${join(root, 'dist/bench/search.js')} ${dialect}${quick ? ' --quick' : ''}`, { env: { ...process.env, LOG_LEVEL: 'silent' } }).toString());
    const name = dialect === 'sqlite' ? 'SQLite' : 'PostgreSQL';
    if (result.skipped) {
      notes.push(`${name}: skipped, ${result.skipped}.`);
      continue;
    }
    for (const c of result.cases) lines.push(`| ${c.label}${c.query ? ` (\`${c.query}\`)` : ''} | ${name} | ${c.found} | ${ms(c.p50)} | ${ms(c.p99)} | ${c.p99Ratio.toFixed(2)} |`);
    lines.push(`| **all searches** | ${name} | | ${ms(result.searches.p50)} | **${ms(result.searches.p99)}** | ${result.searches.p99Ratio.toFixed(2)} |`);
    notes.push(`${name}: ${result.runs} runs of each query, data seeded in ${result.seedSeconds} s (seed ${result.seed}).`);
  }
  return [lines.join('\n'), '', `${notes.join(' ')} The baseline is the inbox list without \`q\` on the same data; every search answers the whole route (ranking, first page, the views' counts).`].join('\n');
}

// `--quick` sends half the messages; the rate, the streams and the rooms stay as they are.
const measureRooms = async () => documentRoomsTable(await measureDocumentRooms({ root, messages: quick ? 100 : 200 }));
const measureClusterThroughput = async () => clusterTable(await measureCluster({ root, seconds: quick ? 3 : 5 }));

/** Every scenario by the name `--only` selects it with, in the order they run and are reported. */
const sections = new Map([
  ['sign-in', measureSignIns],
  ['widget-load', measureWidget],
  ['fanout', measureFanouts],
  ['document-rooms', measureRooms],
  ['cluster', measureClusterThroughput],
  ['provisioning', measureBurst],
  ['admin-users', measureAdminUsers],
  ['search', measureSearch],
  ['outbox', measureOutbox],
  ['assistant', measureAssistant],
  ['upload', () => execSync(`${process.execPath} ${join(root, 'dist/bench/upload.js')} --markdown${quick ? ' --quick' : ''}`, { env: { ...process.env, LOG_LEVEL: 'silent' } }).toString().trim()],
]);
for (const name of only ?? []) if (!sections.has(name)) throw new Error(`--only: unknown scenario ${name} (one of ${[...sections.keys()].join(', ')})`);
const out = new Map();
for (const [name, measure] of sections) {
  if (only && !only.includes(name)) continue;
  out.set(name, await measure());
  console.log(`${out.get(name)}\n`);
}
if (only) {
  console.log('(--only: bench/RESULTS.md left as it is)');
  process.exit(0);
}

const report = `# Benchmark results

Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}.
Date: ${new Date().toISOString()}. Commit: ${commit}. Mode: ${quick ? 'quick' : 'full'}.

${out.get('sign-in')}

${out.get('fanout')}

${out.get('document-rooms')}

${out.get('cluster')}

${out.get('provisioning')}

${out.get('widget-load')}

${out.get('admin-users')}

${out.get('search')}

${out.get('outbox')}

${out.get('assistant')}

${out.get('upload')}

The server runs in its own process; autocannon drives it over loopback from this one (both share the 2 cores).
The baselines are bare Fastify routes in the same server process, measured again in every round just before
the sign-ins: a GET answering a fixed JSON; the same GET with the sign-in code in its query string (the shape
of the hosted-page sign-in's request); and a POST that parses the exchange's JSON body and echoes it (the
shape of the exchange and the token API). So each ratio is what the
sign-in itself costs relative to the cheapest request of the same shape on this machine at that moment; the
× bare GET column compares everything with the GET. Server CPU per request is the server process's user +
system time over the requests it answered. Document-room delivery is compared with own-conversation delivery
on the same instance, measured just before it (bench/document-rooms.mjs says how).
`;
writeFileSync(join(root, 'bench/RESULTS.md'), `${report}\n${readFileSync(join(root, 'bench/NOTES.md'), 'utf8')}`);
