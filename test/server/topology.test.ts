/**
 * The deployment of deploy/compose.yaml, on this machine: two `parley serve` processes (the built program)
 * on one PostgreSQL database of their own, behind HAProxy (Debian's /usr/sbin/haproxy) with a configuration
 * of the same shape as deploy/haproxy.cfg on free ports.
 * - The README's signing flow works through the proxy: a token signed with the test secret, opened as
 *   `/?externalAuthCode=…`, followed to a signed-in page; a message posted through the proxy reaches an
 *   event stream opened through the proxy.
 * - A rolling restart under traffic: each instance in turn gets SIGTERM while a message is posted every
 *   150 ms, exits 0, is started again and is counted healthy by HAProxy before the next one stops. The
 *   streams, told `retry:`, reconnect through the proxy with their Last-Event-ID; every message posted is
 *   received exactly once, in order, by every stream, and no request (post, back-to-back reads of
 *   /api/v1/me from two clients, reconnect) answers anything but its 2xx.
 * The figures (messages, reconnects, shutdown times) are printed.
 *
 * The token is signed against the real clock: the child processes have no clock of the test's to be given.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signExternalToken } from '../../server/src/auth/sign-external-token.js';
import { TEST_SECRET } from '../helpers/app.js';
import { DIALECTS, POSTGRES_URL } from '../helpers/databases.js';
import { spawnParley, type ParleyProcess } from '../helpers/parley-process.js';
import { openSse, type SseFrame, type SseReader } from '../helpers/sse.js';
import { until } from '../helpers/until.js';

const HAPROXY = '/usr/sbin/haproxy';
const skipReason = !DIALECTS.includes('postgres') ? 'PostgreSQL does not answer' : !existsSync(HAPROXY) ? `no ${HAPROXY} (apt-get install haproxy)` : null;
if (skipReason) console.warn(`Topology test skipped: ${skipReason}.`);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}


/**
 * deploy/haproxy.cfg's rules (health checks, retries, SSE timeouts, X-Forwarded-For) on the test's ports, and
 * HAProxy's statistics page on `stats`, which says which servers it counts healthy.
 */
function haproxyConfig(listen: number, stats: number, servers: readonly number[]): string {
  return `global
  maxconn 1024

defaults
  mode http
  log stdout format raw local0 err
  option httplog
  option http-server-close
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  timeout tunnel 1h
  timeout http-request 10s
  timeout queue 5s
  retries 3
  option redispatch 1
  retry-on conn-failure empty-response 503

frontend stats
  bind 127.0.0.1:${stats}
  stats enable
  stats uri /stats

frontend parley
  bind 127.0.0.1:${listen}
  http-request set-header X-Forwarded-For %[src]
  default_backend parley

backend parley
  balance roundrobin
  option httpchk GET /healthz
  http-check expect status 200
  default-server inter 200ms fall 2 rise 2
${servers.map((port, i) => `  server p${i + 1} 127.0.0.1:${port} check`).join('\n')}
`;
}

/**
 * An event stream through the proxy that, like a browser's EventSource, reconnects after the server's
 * `retry:` with its Last-Event-ID whenever the server ends it, and keeps every frame it received.
 */
function resumingStream(url: string, headers: Record<string, string>) {
  /** The frames of the streams that have ended; the open one's are `current.frames`. */
  const earlier: SseFrame[] = [];
  const statuses: number[] = [];
  let current: SseReader | undefined;
  let stopped = false;
  const all = () => [...earlier, ...(current?.frames ?? [])];
  const loop = (async () => {
    while (!stopped) {
      const lastId = all().findLast((f) => f.id !== undefined)?.id;
      const reader = await openSse(url, lastId === undefined ? headers : { ...headers, 'last-event-id': lastId });
      current = reader;
      statuses.push(reader.status);
      await reader.ended;
      earlier.push(...reader.frames);
      current = undefined;
      if (stopped) break;
      const retryMs = Number(all().findLast((f) => f.retry !== undefined)?.retry ?? 2000);
      await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  })();
  return {
    statuses,
    isReady: () => all().some((f) => f.event === 'ready'),
    texts: () => all().filter((f) => f.event === 'message.created').map((f) => (JSON.parse(f.data!) as { message: { text: string } }).message.text),
    reconnects: () => statuses.length - 1,
    async stop() {
      stopped = true;
      current?.close();
      await loop;
    },
  };
}

describe.skipIf(skipReason !== null)('two instances on PostgreSQL behind HAProxy', () => {
  const database = `parley_topology_${randomBytes(5).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'parley-topology-'));
  const admin = () => new pg.Client({ connectionString: POSTGRES_URL });
  let proxyPort: number;
  let statsPort: number;
  let ports: number[];
  let haproxy: ChildProcess | undefined;
  let haproxyLog = '';
  const instances: (ParleyProcess | undefined)[] = [undefined, undefined];
  let env: Record<string, string>;

  const start = async (i: number) => {
    const parley = spawnParley({ ...env, PORT: String(ports[i]) });
    instances[i] = parley;
    await parley.waitForLine(/on port \d+/, 15_000);
    return parley;
  };
  /** Whether HAProxy counts server `i` healthy (UP), from its statistics as CSV. */
  const counted = async (i: number): Promise<boolean> => {
    const csv = await fetch(`http://127.0.0.1:${statsPort}/stats;csv`).then((r) => r.text(), () => '');
    const [header, ...rows] = csv.split('\n');
    const columns = (header ?? '').replace(/^# /, '').split(',');
    const row = rows.map((line) => line.split(',')).find((cells) => cells[columns.indexOf('pxname')] === 'parley' && cells[columns.indexOf('svname')] === `p${i + 1}`);
    return row?.[columns.indexOf('status')] === 'UP';
  };

  beforeAll(async () => {
    const client = admin();
    await client.connect();
    await client.query(`create database ${database}`);
    await client.end();
    proxyPort = await freePort();
    statsPort = await freePort();
    ports = [await freePort(), await freePort()];
    const url = new URL(POSTGRES_URL);
    url.pathname = `/${database}`;
    env = {
      DATABASE_URL: url.href,
      HOST: '127.0.0.1',
      PUBLIC_URL: `http://127.0.0.1:${proxyPort}`,
      PARLEY_TRUST_PROXY: 'true',
      PARLEY_EXTERNAL_AUTH_SECRET: TEST_SECRET,
      // One account posts several messages a second: not what the account limit is for.
      PARLEY_MESSAGE_RATE_LIMIT: '0',
      LOG_LEVEL: 'info',
    };
    // One after the other: the first migrates the empty database.
    await start(0);
    await start(1);
    const config = join(dir, 'haproxy.cfg');
    writeFileSync(config, haproxyConfig(proxyPort, statsPort, ports));
    haproxy = spawn(HAPROXY, ['-f', config, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
    haproxy.stdout!.setEncoding('utf8').on('data', (chunk: string) => (haproxyLog += chunk));
    haproxy.stderr!.setEncoding('utf8').on('data', (chunk: string) => (haproxyLog += chunk));
    await until(
      async () => (await fetch(`http://127.0.0.1:${proxyPort}/healthz`).then((r) => r.status, () => 0)) === 200,
      10_000,
      () => `HAProxy answering /healthz; its log:\n${haproxyLog}`,
    );
    await until(async () => (await counted(0)) && (await counted(1)), 10_000, () => `HAProxy counting both instances healthy; its log:\n${haproxyLog}`);
  }, 60_000);

  afterAll(async () => {
    for (const parley of instances) await parley?.stop(10_000).catch(() => undefined);
    if (haproxy && haproxy.exitCode === null) {
      const exited = new Promise((resolve) => haproxy!.once('exit', resolve));
      haproxy.kill('SIGTERM');
      await exited;
    }
    const client = admin();
    await client.connect();
    await client.query(`drop database if exists ${database} with (force)`);
    await client.end();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('signs in and chats through the proxy, and a rolling restart under traffic loses nothing and answers no 5xx', async () => {
    const proxy = `http://127.0.0.1:${proxyPort}`;
    const code = await signExternalToken({ secret: new TextEncoder().encode(TEST_SECRET), kid: 'env', payload: { user: { id: 'ada', name: 'Ada' } }, issuedAt: Math.floor(Date.now() / 1000), expiresInSeconds: 3600 });

    // The README's flow: the signed link, followed to the signed-in page.
    const link = await fetch(`${proxy}/?externalAuthCode=${code}`, { headers: { accept: 'text/html' }, redirect: 'manual' });
    expect([link.status, link.headers.get('location')]).toEqual([303, '/']);
    const cookie = /parley_session=([^;]+)/.exec(link.headers.get('set-cookie') ?? '')?.[1];
    expect(cookie).toMatch(/^pss_/);
    const session = { cookie: `parley_session=${cookie}` };
    const page = await fetch(`${proxy}/`, { headers: { ...session, accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const me = await fetch(`${proxy}/api/v1/me`, { headers: session });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ user: { externalId: 'ada', name: 'Ada' } });

    const writes = { ...session, origin: proxy, 'content-type': 'application/json' };
    const created = await fetch(`${proxy}/api/v1/conversations`, { method: 'POST', headers: writes, body: '{}' });
    expect(created.status).toBe(201);
    const conversationId = ((await created.json()) as { conversation: { id: string } }).conversation.id;

    // Four streams: round robin puts some on each instance.
    const streams = Array.from({ length: 4 }, () => resumingStream(`${proxy}/api/v1/events`, session));
    try {
      await until(() => streams.every((s) => s.isReady()), 10_000, () => 'every stream ready');

      const posted: string[] = [];
      const answers: number[] = [];
      const refusals: string[] = [];
      const reads: number[] = [];
      let n = 0;
      const post = async () => {
        const text = `m${String(++n).padStart(3, '0')}`;
        const response = await fetch(`${proxy}/api/v1/conversations/${conversationId}/messages`, { method: 'POST', headers: writes, body: JSON.stringify({ text, clientMessageId: text }) });
        const body = await response.text();
        // A refusal is kept with its code (Parley's) or, when the proxy answered, its first line.
        answers.push(response.status);
        if (response.status === 201) posted.push(text);
        else refusals.push(`${response.status} ${body.slice(0, 120)}`);
      };
      await post();
      await until(() => streams.every((s) => s.texts().length === 1), 5000, () => 'the first message on every stream');

      // The rolling restart: each instance in turn is stopped while messages go on, then started again.
      const shutdownMs: number[] = [];
      for (const i of [0, 1]) {
        const stopping = instances[i]!;
        let traffic = true;
        const sending = (async () => {
          while (traffic) {
            await post();
            await new Promise((resolve) => setTimeout(resolve, 150));
          }
        })();
        // And reads back to back from two clients, so that some arrive at the moment the instance closes.
        const reading = [0, 1].map(async () => {
          while (traffic) {
            const response = await fetch(`${proxy}/api/v1/me`, { headers: session });
            reads.push(response.status);
            await response.arrayBuffer();
          }
        });
        const before = n;
        await until(() => n >= before + 4, 5000, () => 'traffic under way');
        const exited = new Promise<number | null>((resolve) => stopping.child.once('exit', (exitCode) => resolve(exitCode)));
        const signalledAt = performance.now();
        stopping.child.kill('SIGTERM');
        expect(await exited).toBe(0);
        shutdownMs.push(performance.now() - signalledAt);
        // A little more traffic on the one instance left, then the stopped one comes back.
        const after = n;
        await until(() => n >= after + 8, 5000, () => 'traffic after the stop');
        traffic = false;
        await sending;
        await Promise.all(reading);
        // Out of the proxy's rotation, then back and counted healthy again, before the next one stops
        // (docs/deploy.md).
        await until(async () => !(await counted(i)), 10_000, () => `HAProxy counting p${i + 1} down; its log:\n${haproxyLog}`);
        await start(i);
        await until(() => counted(i), 10_000, () => `HAProxy counting p${i + 1} healthy again; its log:\n${haproxyLog}`);
      }

      await post();
      expect(refusals).toEqual([]);
      expect(answers.filter((status) => status !== 201)).toEqual([]);
      expect(reads.filter((status) => status !== 200)).toEqual([]);
      await until(
        () => streams.every((s) => s.texts().length >= posted.length),
        10_000,
        () => `every stream has the ${posted.length} messages: ${streams.map((s) => s.texts().length).join(', ')}`,
      );
      for (const stream of streams) {
        expect(stream.texts()).toEqual(posted);
        expect(stream.statuses.every((status) => status === 200)).toBe(true);
      }
      const reconnects = streams.map((s) => s.reconnects());
      // Every stream was on one of the two instances, both of which were stopped.
      expect(reconnects.every((count) => count >= 1)).toBe(true);
      console.log(
        `rolling restart: ${posted.length} messages posted (all 201) and ${reads.length} reads (all 200), each received exactly once by all ${streams.length} streams; ` +
          `reconnects per stream ${reconnects.join(', ')}; SIGTERM to exit ${shutdownMs.map((ms) => `${ms.toFixed(0)} ms`).join(', ')}`,
      );
    } finally {
      await Promise.all(streams.map((s) => s.stop()));
    }
  }, 60_000);
});
