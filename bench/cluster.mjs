// Cluster throughput on PostgreSQL: two Parley instances over one database (a fresh one, dropped afterwards),
// 200 open event streams split between them (stream i on instance i mod 2), and messages posted as fast as
// the cluster accepts them (at most `maxInFlight` POSTs unanswered, message m to instance m mod 2) for
// `seconds`. Two layouts, as in bench/document-rooms.mjs: (a) 200 users each in a conversation of their own
// (one delivery a message); (b) the same 200 streams in 10 document rooms of 20 (twenty deliveries a message).
// Reported: messages a second accepted across the cluster, delivery p50/p99 (from just before a message's
// POST is sent to a stream's receipt of its `message.created`; one clock, this process), lost (due, not
// received `drainMs` after the last POST was answered), duplicated (received twice by one stream) and
// misdelivered. The baseline of the same run: one instance alone, layout (a), at the same concurrency, so
// the cluster's rate is also given as a ratio to what one instance accepts at that moment on this machine;
// and the same load on two bare servers of the same delivery guarantees (bench/bare-cluster-server.mjs):
// the most this machine allows any implementation of them.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openStreams, quantile, startProcess } from './fanout.mjs';
import { startBareCluster } from './bare-cluster.mjs';
import { call, cpuMs, documentRooms, ownConversations } from './document-rooms.mjs';

const SECRET = 'bench-secret-bench-secret-bench-secret!!';
const POSTGRES_URL = process.env.PARLEY_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts one Parley instance. `PARLEY_BENCH_NODE_ARGS` (space-separated) goes to its node before the script,
 * e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` for a profile of each instance (node refuses --cpu-prof in
 * NODE_OPTIONS), or `--import <file>` to wrap the pg driver and count statements.
 */
function startInstance(root, databaseUrl) {
  const nodeArgs = process.env.PARLEY_BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  return startProcess(join(root, 'dist/bench/server.js'), {
    DATABASE_URL: databaseUrl,
    PARLEY_EXTERNAL_AUTH_SECRET: SECRET,
    PARLEY_SEAT_LIMIT: '10000',
    PARLEY_SIGNIN_RATE_LIMIT: '0',
    PARLEY_SIGNIN_RATE_LIMIT_PER_KEY: '0',
    PARLEY_MESSAGE_RATE_LIMIT: '0',
    PARLEY_CONVERSATION_RATE_LIMIT: '0',
    PARLEY_STREAMS_PER_ACCOUNT: '0',
    LOG_LEVEL: 'silent',
  }, nodeArgs);
}

/**
 * CPU time (ms) of each of this machine's processes named postgres, by pid (a PostgreSQL on another host
 * shows none): the database's share of the work, which the servers' own CPU leaves out.
 */
function postgresCpu() {
  const byPid = new Map();
  let pids = [];
  try {
    pids = readdirSync('/proc');
  } catch {
    // No /proc (not Linux): nothing counted.
  }
  for (const pid of pids) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (!stat.slice(stat.indexOf('(') + 1).startsWith('postgres')) continue;
      const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
      byPid.set(pid, (Number(fields[11]) + Number(fields[12])) * 10);
    } catch {
      // The process ended meanwhile.
    }
  }
  return byPid;
}

/** CPU (ms) the postgres processes used since `before` (a backend started meanwhile counts whole). */
function postgresCpuSince(before) {
  let total = 0;
  for (const [pid, ms] of postgresCpu()) total += ms - (before.get(pid) ?? 0);
  return total;
}

/** Opens stream i on `bases[i % bases.length]`, posts for `seconds` as fast as accepted, counts what arrives. */
async function measureLayout(bases, pids, layout, { seconds, maxInFlight, drainMs, tag }) {
  const { sessions, target } = layout;
  const postedAt = new Map();
  const dueOn = new Map();
  const seen = sessions.map(() => new Set());
  const latencies = [];
  let duplicated = 0;
  let misdelivered = 0;
  let failed = 0;
  const closers = await Promise.all(
    sessions.map((session, i) =>
      openStreams(`${bases[i % bases.length]}/api/v1/events`, { authorization: `Bearer ${session}` }, 1, (_one, event, data, at) => {
        if (event !== 'message.created') return;
        const text = JSON.parse(data).message.text;
        if (!text.startsWith(`${tag}-`)) return;
        if (!dueOn.get(text)?.has(i)) return void misdelivered++;
        if (seen[i].has(text)) return void duplicated++;
        seen[i].add(text);
        latencies.push(at - postedAt.get(text));
      }, 'ready'),
    ),
  );
  try {
    await sleep(500);
    const cpuBefore = pids.map(cpuMs);
    const postgresBefore = postgresCpu();
    const clientBefore = process.cpuUsage();
    const start = performance.now();
    const end = start + seconds * 1000;
    let next = 0;
    let accepted = 0;
    const postLatencies = [];
    await Promise.all(
      Array.from({ length: maxInFlight }, async () => {
        while (performance.now() < end) {
          const m = next++;
          const { session, conversation, due } = target(m);
          const text = `${tag}-${m}`;
          dueOn.set(text, new Set(due));
          const sent = performance.now();
          postedAt.set(text, sent);
          try {
            await call(bases[m % bases.length], `/api/v1/conversations/${conversation}/messages`, { session, body: { text, clientMessageId: text }, expect: 201 });
            accepted++;
            postLatencies.push(performance.now() - sent);
          } catch {
            failed++;
            dueOn.delete(text);
          }
        }
      }),
    );
    const postSeconds = (performance.now() - start) / 1000;
    const expected = [...dueOn.values()].reduce((n, s) => n + s.size, 0);
    const deadline = Date.now() + drainMs;
    while (latencies.length < expected && Date.now() < deadline) await sleep(50);
    return {
      instances: bases.length,
      streams: sessions.length,
      accepted,
      failed,
      messagesPerSecond: accepted / postSeconds,
      deliveries: expected,
      p50: quantile(latencies, 0.5),
      p99: quantile(latencies, 0.99),
      postP99: quantile(postLatencies, 0.99),
      lost: expected - latencies.length,
      duplicated,
      misdelivered,
      serverCpuMsPerMessage: pids.reduce((n, pid, k) => n + cpuMs(pid) - cpuBefore[k], 0) / accepted,
      postgresCpuMsPerMessage: postgresCpuSince(postgresBefore) / accepted,
      clientCpuMsPerMessage: ((usage) => (usage.user + usage.system) / 1000)(process.cpuUsage(clientBefore)) / accepted,
    };
  } finally {
    closers.forEach((c) => c());
  }
}

async function stop(instance) {
  instance.child.kill('SIGTERM');
  await new Promise((r) => (instance.child.exitCode !== null ? r() : instance.child.once('exit', r)));
}

/** The scenario on a fresh database; answers `{ options, single, own, rooms }` or `{ skipped }`. */
export async function measureCluster({ root, streams = 200, rooms = 10, seconds = 5, maxInFlight = 64, drainMs = 30_000 }) {
  const options = { streams, rooms, seconds, maxInFlight, drainMs };
  const admin = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await admin.connect();
  } catch (error) {
    return { options, skipped: `PostgreSQL does not answer at ${POSTGRES_URL} (${error.message})` };
  }
  const database = `parley_bench_cluster_${randomBytes(4).toString('hex')}`;
  const instances = [];
  try {
    await admin.query(`create database ${database}`);
    const url = new URL(POSTGRES_URL);
    url.pathname = `/${database}`;
    // One after the other: the first one migrates the database.
    instances.push(await startInstance(root, url.href));
    instances.push(await startInstance(root, url.href));
    const bases = instances.map((i) => i.base);
    const pids = instances.map((i) => i.child.pid);
    const own = await ownConversations(bases[0], { streams, tag: 'c' });
    const single = await measureLayout(bases.slice(0, 1), pids.slice(0, 1), own, { ...options, tag: 's' });
    const cluster = await measureLayout(bases, pids, own, { ...options, tag: 'a' });
    const roomsOf = await documentRooms(bases[0], { streams, rooms, tag: 'b' });
    const roomLayout = await measureLayout(bases, pids, roomsOf, { ...options, tag: 'b' });
    // The same load on the least a server can do for the same guarantees (bench/bare-cluster-server.mjs),
    // Parley's instances stopped: what this machine allows at all.
    for (const instance of instances) await stop(instance);
    const bare = await startBareCluster(root, url.href, [own, roomsOf]);
    try {
      const bareOwn = await measureLayout(bare.bases, bare.pids, own, { ...options, tag: 'x' });
      const bareRooms = await measureLayout(bare.bases, bare.pids, roomsOf, { ...options, tag: 'y' });
      return { options, cores: cpus().length, single, own: cluster, rooms: roomLayout, bare: { own: bareOwn, rooms: bareRooms } };
    } finally {
      await bare.stop();
    }
  } finally {
    for (const instance of instances) await stop(instance);
    await admin.query(`drop database if exists ${database} with (force)`);
    await admin.end();
  }
}

/** The scenario's table for RESULTS.md. */
export function clusterTable(result) {
  const { options } = result;
  if (result.skipped) return `Cluster throughput (PostgreSQL): skipped, ${result.skipped}.`;
  const ms = (x) => x.toFixed(1);
  const cores = result.cores ?? cpus().length;
  // What the machine's cores allow at this much CPU a message, all of it counted: servers, PostgreSQL, the client.
  const ceiling = (r) => (cores * 1000) / (r.serverCpuMsPerMessage + r.postgresCpuMsPerMessage + r.clientCpuMsPerMessage);
  const row = (name, r) =>
    `| ${name} | ${r.instances} | ${r.accepted.toLocaleString('en')} | **${r.messagesPerSecond.toFixed(0)}** | ${(r.messagesPerSecond / result.single.messagesPerSecond).toFixed(2)} | ${r.deliveries.toLocaleString('en')} | ${ms(r.p50)} | ${ms(r.p99)} | ${r.failed} | ${r.lost} | ${r.duplicated} | ${r.misdelivered} | ${ms(r.postP99)} | ${ms(r.serverCpuMsPerMessage)} | ${ms(r.postgresCpuMsPerMessage)} | ${ms(r.clientCpuMsPerMessage)} | ${ceiling(r).toFixed(0)} |`;
  return [
    `| cluster throughput (PostgreSQL, ${options.streams} streams, POSTs as fast as accepted for ${options.seconds} s, ≤ ${options.maxInFlight} in flight) | instances | messages accepted | messages/s | × one instance (baseline) | deliveries due | p50 ms | p99 ms | POSTs failed | lost | duplicated | misdelivered | POST p99 ms | server CPU ms/message | PostgreSQL CPU ms/message | bench client CPU ms/message | messages/s that much CPU allows on ${cores} cores |`,
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    row('baseline: one instance, own conversations', result.single),
    row('(a) two instances, own conversations', result.own),
    row(`(b) two instances, ${options.rooms} document rooms of ${options.streams / options.rooms}`, result.rooms),
    row('bare servers (a): two minimal servers of the same guarantees, own conversations', result.bare.own),
    row(`bare servers (b): the same, ${options.rooms} document rooms`, result.bare.rooms),
    '',
    `Parley × the bare servers (same run, same load): (a) ${(result.own.messagesPerSecond / result.bare.own.messagesPerSecond).toFixed(2)} ×, (b) ${(result.rooms.messagesPerSecond / result.bare.rooms.messagesPerSecond).toFixed(2)} ×.`,
    'The bare servers (bench/bare-cluster-server.mjs) store a message and its event in one statement that also notifies, the event\'s id',
    'drawn under one advisory lock so that events commit in id order: no sign-in, no access rules, no read state, no alerts, no framework.',
    '',
    `Latency: from just before a message's POST is sent to a stream's receipt of its event; lost: due and not received ${options.drainMs / 1000} s after`,
    'the last POST was answered. Server CPU: the server processes only, Parley\'s or the bare ones; PostgreSQL CPU: this machine\'s processes named postgres; bench client: this process',
    '(streams, POSTs, parsing). All three share the machine; the last column is its cores divided by their CPU a message: the rate no server of that cost could pass here.',
  ].join('\n');
}

// `node bench/cluster.mjs [seconds]` (after `node scripts/build.mjs` and one `node bench/run.mjs --only cluster`,
// which builds dist/bench/server.js).
if (process.argv[1]?.endsWith('cluster.mjs')) {
  const result = await measureCluster({ root: join(import.meta.dirname, '..'), ...(process.argv[2] ? { seconds: Number(process.argv[2]) } : {}) });
  console.log(JSON.stringify(result, null, 2));
  console.log(clusterTable(result));
}
