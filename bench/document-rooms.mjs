// Document-room delivery: 200 open event streams on one Parley instance, in two layouts measured one after
// the other on the same instance, on SQLite and on PostgreSQL.
//  (a) own conversations, the baseline: 200 users, each in a conversation of their own; message m is posted
//      by user m mod 200 into their conversation, so it is due on that user's stream;
//  (b) document rooms: 200 users whose signed tokens grant them 10 documents (20 users a room: one editor,
//      19 viewers); each room's editor opens it (`POST /api/v1/documents/:id/open`) and posts message m into
//      room m mod 10, so it is due on the 20 streams of that room.
// Every message is timed from just before its POST is sent to each stream's receipt of its
// `message.created` event (one clock: this process). Messages go out on a fixed schedule (a bounded rate, at
// most `maxInFlight` POSTs unanswered), then the streams get `drainMs` to receive what is still due. Counted:
// deliveries lost (due, never received), duplicated (received again) and misdelivered (received by a stream
// it was not due on). Reported: (b)'s p99 over (a)'s p99 of the same instance and minute. Both layouts post
// the same messages at the same rate; (a)'s p99 rests on one delivery a message, (b)'s on twenty.
// The PostgreSQL instance gets a database of its own, dropped afterwards; the shared server is left running.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { SignJWT } from 'jose';
import { openStreams, quantile, startProcess } from './fanout.mjs';

const SECRET = 'bench-secret-bench-secret-bench-secret!!';
const POSTGRES_URL = process.env.PARLEY_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ORGANIZATION = 'default';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** CPU time (user + system, ms) a process has used so far, where /proc tells it. */
export function cpuMs(pid) {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return Number.NaN;
  const fields = readFileSync(stat, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Runs `task(i)` for i in [0, count) with at most `limit` at once. */
export async function inParallel(count, limit, task) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, count) }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

/**
 * The bench's requests: node:http on keep-alive connections (at most 256 to a server), not fetch, whose
 * client costs several times the CPU a request. The client shares the machine's cores with the servers and
 * PostgreSQL, so what it spends is taken from what they could accept (the cluster table shows it a message).
 */
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

export function call(base, path, { session, body, expect }) {
  const payload = JSON.stringify(body ?? {});
  const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...(session ? { authorization: `Bearer ${session}` } : {}) };
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method: 'POST', headers, agent, timeout: 60_000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== expect) return reject(new Error(`POST ${path}: HTTP ${res.statusCode} ${text}`));
        try {
          resolve(JSON.parse(text));
        } catch (error) {
          reject(error);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`POST ${path}: no answer in 60 s`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** Signs `claims` with the instance's external secret and exchanges it for a bearer session. */
export async function signIn(base, claims) {
  const code = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: 'env' }).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(SECRET));
  return (await call(base, '/api/v1/auth/exchange', { body: { externalAuthCode: code }, expect: 200 })).session.token;
}

/**
 * Layout (a): one user and one conversation per stream. Answers the sessions of the streams and, per
 * message index, who posts where and which streams it is due on.
 */
export async function ownConversations(base, { streams, tag }) {
  const sessions = new Array(streams);
  const conversations = new Array(streams);
  await inParallel(streams, 10, async (i) => {
    sessions[i] = await signIn(base, { user: { id: `${tag}-own-${i}`, name: `Own ${i}` } });
    conversations[i] = (await call(base, '/api/v1/conversations', { session: sessions[i], expect: 201 })).conversation.id;
  });
  return { sessions, target: (m) => ({ session: sessions[m % streams], conversation: conversations[m % streams], due: [m % streams] }) };
}

/** Layout (b): `rooms` documents, `streams / rooms` users a room, the first of each its editor. */
export async function documentRooms(base, { streams, rooms, tag }) {
  const perRoom = streams / rooms;
  const sessions = new Array(streams);
  await inParallel(streams, 10, async (i) => {
    const room = Math.floor(i / perRoom);
    const accessRole = i % perRoom === 0 ? 'editor' : 'viewer';
    sessions[i] = await signIn(base, {
      user: { id: `${tag}-room-${i}`, name: `Room ${i}` },
      permissions: { resources: [{ type: 'document', id: `${tag}-doc-${room}`, organizationId: ORGANIZATION, accessRole }] },
    });
  });
  const conversations = [];
  for (let room = 0; room < rooms; room++) {
    const opened = await call(base, `/api/v1/documents/${tag}-doc-${room}/open`, { session: sessions[room * perRoom], expect: 200 });
    if (opened.access !== 'editor' || !opened.conversation) throw new Error(`room ${room}: opened as ${opened.access} with ${JSON.stringify(opened.conversation)}`);
    conversations.push(opened.conversation.id);
  }
  return {
    sessions,
    target: (m) => {
      const room = m % rooms;
      return { session: sessions[room * perRoom], conversation: conversations[room], due: Array.from({ length: perRoom }, (_, k) => room * perRoom + k) };
    },
  };
}

/** Opens one stream per session, posts the messages on schedule, and counts what every stream received. */
async function measureLayout(base, pid, layout, { messages, ratePerSecond, maxInFlight, drainMs, tag }) {
  const { sessions, target } = layout;
  const postedAt = new Map(); // text -> performance.now() just before its POST
  const dueOn = new Map(); // text -> Set of stream indexes
  const seen = sessions.map(() => new Set());
  const byMessage = new Map(); // text -> the latency of each of its deliveries, in message order
  let duplicated = 0;
  let misdelivered = 0;
  let firstReceipts = 0;
  const closers = await Promise.all(
    sessions.map((session, i) =>
      openStreams(`${base}/api/v1/events`, { authorization: `Bearer ${session}` }, 1, (_one, event, data, at) => {
        if (event !== 'message.created') return;
        const text = JSON.parse(data).message.text;
        if (!text.startsWith(`${tag}-`)) return;
        if (!dueOn.get(text)?.has(i)) return void misdelivered++;
        if (seen[i].has(text)) return void duplicated++;
        seen[i].add(text);
        firstReceipts++;
        byMessage.get(text).push(at - postedAt.get(text));
      }, 'ready'),
    ),
  );
  const close = () => closers.forEach((c) => c());
  try {
    await sleep(500);
    const postLatencies = [];
    const inFlight = new Set();
    const interval = 1000 / ratePerSecond;
    const start = performance.now();
    const cpuBefore = cpuMs(pid);
    for (let m = 0; m < messages; m++) {
      const wait = start + m * interval - performance.now();
      if (wait > 0) await sleep(wait);
      while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
      const { session, conversation, due } = target(m);
      const text = `${tag}-${m}`;
      dueOn.set(text, new Set(due));
      byMessage.set(text, []);
      const sent = performance.now();
      postedAt.set(text, sent);
      const post = call(base, `/api/v1/conversations/${conversation}/messages`, { session, body: { text, clientMessageId: text }, expect: 201 }).then(() => {
        postLatencies.push(performance.now() - sent);
        inFlight.delete(post);
      });
      inFlight.add(post);
    }
    await Promise.all(inFlight);
    const postSeconds = (performance.now() - start) / 1000;
    const expected = [...dueOn.values()].reduce((n, s) => n + s.size, 0);
    const deadline = Date.now() + drainMs;
    while (firstReceipts < expected && Date.now() < deadline) await sleep(50);
    const serverCpuMsPerMessage = (cpuMs(pid) - cpuBefore) / messages;
    const latencies = [...byMessage.values()].flat();
    // The first and the last quarter of the messages tell a steady delay from a backlog that grows.
    const quarter = (q) => [...byMessage.values()].slice((q * messages) / 4, ((q + 1) * messages) / 4).flat();
    return {
      streams: sessions.length,
      messages,
      deliveries: expected,
      p50: quantile(latencies, 0.5),
      p99: quantile(latencies, 0.99),
      max: Math.max(...latencies),
      p99FirstQuarter: quantile(quarter(0), 0.99),
      p99LastQuarter: quantile(quarter(3), 0.99),
      lost: expected - firstReceipts,
      duplicated,
      misdelivered,
      postP99: quantile(postLatencies, 0.99),
      postsPerSecond: messages / postSeconds,
      serverCpuMsPerMessage,
    };
  } finally {
    close();
  }
}

/** Both layouts on one freshly started instance over `databaseUrl`. */
async function measureInstance(root, databaseUrl, options) {
  const parley = await startProcess(join(root, 'dist/bench/server.js'), {
    DATABASE_URL: databaseUrl,
    PARLEY_EXTERNAL_AUTH_SECRET: SECRET,
    PARLEY_SEAT_LIMIT: '10000',
    PARLEY_SIGNIN_RATE_LIMIT: '0',
    PARLEY_SIGNIN_RATE_LIMIT_PER_KEY: '0',
    // Delivery is measured, not the per-account limits (a room's editor posts a tenth of the messages).
    PARLEY_MESSAGE_RATE_LIMIT: '0',
    PARLEY_CONVERSATION_RATE_LIMIT: '0',
    LOG_LEVEL: 'silent',
  });
  try {
    const own = await measureLayout(parley.base, parley.child.pid, await ownConversations(parley.base, { ...options, tag: 'a' }), { ...options, tag: 'a' });
    const rooms = await measureLayout(parley.base, parley.child.pid, await documentRooms(parley.base, { ...options, tag: 'b' }), { ...options, tag: 'b' });
    return { own, rooms, ratio: rooms.p99 / own.p99 };
  } finally {
    parley.child.kill('SIGTERM');
    await new Promise((r) => (parley.child.exitCode !== null ? r() : parley.child.once('exit', r)));
  }
}

/**
 * Runs the scenario on SQLite and, when it answers, on PostgreSQL. Answers `{ options, sqlite, postgres }`,
 * each database `{ own, rooms, ratio }` or `{ skipped }`.
 */
export async function measureDocumentRooms({ root, streams = 200, rooms = 10, messages = 200, ratePerSecond = 20, maxInFlight = 10, drainMs = 60_000, databases = ['sqlite', 'postgres'] }) {
  if (streams % rooms !== 0) throw new TypeError('streams must be a multiple of rooms');
  const options = { streams, rooms, messages, ratePerSecond, maxInFlight, drainMs };
  const dir = mkdtempSync(join(tmpdir(), 'parley-rooms-'));
  let sqlite = { skipped: 'not selected' };
  try {
    if (databases.includes('sqlite')) sqlite = await measureInstance(root, `sqlite:${join(dir, 'rooms.db')}`, options);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (!databases.includes('postgres')) return { options, sqlite, postgres: { skipped: 'not selected' } };

  const admin = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await admin.connect();
  } catch (error) {
    return { options, sqlite, postgres: { skipped: `PostgreSQL does not answer at ${POSTGRES_URL} (${error.message})` } };
  }
  const database = `parley_bench_rooms_${randomBytes(4).toString('hex')}`;
  try {
    await admin.query(`create database ${database}`);
    const url = new URL(POSTGRES_URL);
    url.pathname = `/${database}`;
    return { options, sqlite, postgres: await measureInstance(root, url.href, options) };
  } finally {
    await admin.query(`drop database if exists ${database} with (force)`);
    await admin.end();
  }
}

/** The scenario's table for RESULTS.md. */
export function documentRoomsTable({ options, sqlite, postgres }) {
  const ms = (x) => x.toFixed(1);
  const row = (db, name, r) =>
    `| ${db} | ${name} | ${r.deliveries.toLocaleString('en')} | ${ms(r.p50)} | ${ms(r.p99)} | ${ms(r.max)} | ${ms(r.p99FirstQuarter)} → ${ms(r.p99LastQuarter)} | ${r.lost} | ${r.duplicated} | ${r.misdelivered} | ${ms(r.postP99)} | ${r.postsPerSecond.toFixed(1)} | ${ms(r.serverCpuMsPerMessage)} |`;
  const lines = [
    `| document-room delivery (${options.streams} streams, ${options.messages} messages at ≤ ${options.ratePerSecond}/s, ≤ ${options.maxInFlight} POSTs in flight) | layout | deliveries due | p50 ms | p99 ms | max ms | p99 ms, first → last quarter of the messages | lost | duplicated | misdelivered | POST p99 ms | posts/s | server CPU ms/message |`,
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  const ratios = [];
  for (const [db, result] of [['SQLite', sqlite], ['PostgreSQL', postgres]]) {
    if (result.skipped) {
      ratios.push(`${db}: skipped, ${result.skipped}`);
      continue;
    }
    lines.push(row(db, '(a) own conversations (baseline)', result.own), row(db, `(b) ${options.rooms} document rooms of ${options.streams / options.rooms}`, result.rooms));
    ratios.push(`${db} ${result.ratio.toFixed(1)} ×`);
  }
  return [
    lines.join('\n'),
    '',
    `Document-room delivery p99 × own-conversation p99 (same instance, same run): ${ratios.join('; ')}. Latency: from just before a`,
    `message's POST is sent to a stream's receipt of its event; lost: due and not received ${options.drainMs / 1000} s after the last POST was`,
    'answered; server CPU: the Parley process only (not PostgreSQL\'s), from the first POST to the end of the wait.',
  ].join('\n');
}

// `node bench/document-rooms.mjs [sqlite|postgres] [messages]` (after `node scripts/build.mjs` and one
// `node bench/run.mjs --only document-rooms`, which builds dist/bench/server.js).
if (process.argv[1]?.endsWith('document-rooms.mjs')) {
  const [database, messages] = process.argv.slice(2);
  const result = await measureDocumentRooms({
    root: join(import.meta.dirname, '..'),
    ...(database ? { databases: [database] } : {}),
    ...(messages ? { messages: Number(messages) } : {}),
  });
  console.log(JSON.stringify(result, null, 2));
  console.log(documentRoomsTable(result));
}
