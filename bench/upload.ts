/**
 * Uploads of one 10 MB file over loopback, each on a new connection, to three servers in processes of their
 * own on SQLite, in interleaved rounds (each in another order) so that drift on a shared machine moves all
 * alike; each time ratio is the median of the rounds' own ratios:
 * - baseline: a bare Fastify route with @fastify/multipart that streams the file part to a file on disk;
 * - Parley with folder storage (`PARLEY_FILE_STORAGE=<dir>`): POST /api/v1/conversations/:id/attachments;
 * - Parley with database storage (`PARLEY_FILE_STORAGE=database`): the same, the bytes in 256 KB rows.
 * For each: the time from the request's first byte to the answer's end, and the server's resident memory at
 * its peak during the upload over what it was idle just before: VmRSS from /proc sampled every 2 ms by this
 * process, and the kernel's own high-water mark (VmHWM, reset through clear_refs before each upload), which
 * no sampling can miss. A server that held the file whole would be 10 MB over idle in every run. The file is
 * a PDF of random bytes (nothing to measure, nothing to compress).
 * `node dist/bench/upload.js [--quick]` (bundled by bench/run.mjs) prints one JSON line;
 * `node dist/bench/upload.js serve <baseline|folder|database> <dir>` is one of the servers it starts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import multipart from '@fastify/multipart';
import Fastify from 'fastify';
import { buildApp } from '../server/src/app.js';
import { signExternalToken } from '../server/src/auth/sign-external-token.js';
import { loadConfig } from '../server/src/config.js';
import { openStore } from '../server/src/store/database.js';

const SECRET = 'bench-secret-bench-secret-bench-secret!!';
const FILE_BYTES = 10 * 1024 * 1024;
const KINDS = ['baseline', 'folder', 'database'] as const;
type Kind = (typeof KINDS)[number];

/** One of the servers: prints its URL, then serves until SIGTERM. */
async function serve(kind: Kind, dir: string): Promise<void> {
  if (kind === 'baseline') {
    const app = Fastify({ logger: false });
    await app.register(multipart);
    let n = 0;
    app.post('/upload', async (req, reply) => {
      const part = await req.file({ limits: { fileSize: FILE_BYTES + 1, files: 1 } });
      if (!part) return reply.code(400).send({ error: 'no file' });
      await pipeline(part.file, createWriteStream(join(dir, `file-${n++}`)));
      return reply.code(201).send({ ok: true });
    });
    process.stdout.write(`${await app.listen({ port: 0, host: '127.0.0.1' })}\n`);
    process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
    return;
  }
  const config = loadConfig({
    DATABASE_URL: `sqlite:${join(dir, 'parley.db')}`,
    PARLEY_FILE_STORAGE: kind === 'database' ? 'database' : join(dir, 'files'),
    PARLEY_EXTERNAL_AUTH_SECRET: SECRET,
    PARLEY_UPLOAD_QUOTA: '100GB',
    LOG_LEVEL: 'silent',
  });
  const store = await openStore(config.database);
  const app = await buildApp({ config, store, logger: false });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  app.publicUrl.value = address;
  process.stdout.write(`${address}\n`);
  process.on('SIGTERM', () => void app.close().then(() => store.close()).then(() => process.exit(0)));
}

/** The server process's resident memory now (VmRSS) or at its highest since the last reset (VmHWM), in bytes. */
function rssOf(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)![1]) * 1024;
}

/** Resets the process's VmHWM to its VmRSS (proc(5), clear_refs "5"); false where that is not allowed. */
function resetHighWater(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

interface Server {
  kind: Kind;
  child: ChildProcess;
  url: string;
  path: string;
  headers: Record<string, string>;
}

async function start(kind: Kind, dir: string): Promise<Server> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'serve', kind, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
    child.once('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
  if (kind === 'baseline') return { kind, child, url, path: '/upload', headers: {} };
  const now = Math.floor(Date.now() / 1000);
  const token = await signExternalToken({ secret: new TextEncoder().encode(SECRET), kid: 'env', payload: { user: { id: 'bench-uploader' } }, issuedAt: now, expiresInSeconds: 3600 });
  const exchange = await fetch(`${url}/api/v1/auth/exchange`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ externalAuthCode: token }) });
  const headers = { authorization: `Bearer ${((await exchange.json()) as { session: { token: string } }).session.token}` };
  const started = await fetch(`${url}/api/v1/conversations`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ message: { text: 'Files', clientMessageId: 'bench' } }) });
  const conversation = ((await started.json()) as { conversation: { id: string } }).conversation;
  return { kind, child, url, path: `/api/v1/conversations/${conversation.id}/attachments`, headers };
}

/** A multipart/form-data body with `file` in the field "file", as a browser sends it. */
function multipartBody(file: Buffer): { body: Buffer; contentType: string } {
  const boundary = `----parleybench${randomBytes(8).toString('hex')}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="report.pdf"\r\nContent-Type: application/pdf\r\n\r\n`);
  return { body: Buffer.concat([head, file, Buffer.from(`\r\n--${boundary}--\r\n`)]), contentType: `multipart/form-data; boundary=${boundary}` };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One upload on a new connection: its time, and the server's RSS idle just before and at its peak during it. */
async function upload(server: Server, body: Buffer, contentType: string): Promise<{ ms: number; idle: number; peak: number; highWater: number | null }> {
  const pid = server.child.pid!;
  const before: number[] = [];
  for (let i = 0; i < 10; i++) {
    before.push(rssOf(pid));
    await sleep(10);
  }
  const idle = before.sort((a, b) => a - b)[before.length >> 1]!;
  const reset = resetHighWater(pid);
  let peak = rssOf(pid);
  const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 2);
  const started = performance.now();
  try {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${server.url}${server.path}`, { method: 'POST', agent: false, headers: { ...server.headers, 'content-type': contentType, 'content-length': String(body.length) } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end(body);
    });
    if (status !== 201) throw new Error(`${server.kind}: upload answered ${status}`);
    const ms = performance.now() - started;
    peak = Math.max(peak, rssOf(pid));
    return { ms, idle, peak, highWater: reset ? rssOf(pid, 'VmHWM') : null };
  } finally {
    clearInterval(sampler);
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const round = (x: number, digits = 1) => Number(x.toFixed(digits));
const MB = 1024 * 1024;

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const runs = quick ? 5 : 21;
  const dir = mkdtempSync(join(tmpdir(), 'parley-upload-bench-'));
  const servers: Server[] = [];
  try {
    for (const kind of KINDS) servers.push(await start(kind, mkdtempSync(join(dir, `${kind}-`))));
    if (!existsSync(`/proc/${servers[0]!.child.pid}/status`)) throw new Error('no /proc: the RSS of the servers cannot be sampled here');
    const file = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(FILE_BYTES - 9)]);
    const { body, contentType } = multipartBody(file);
    // Warm-up: six uploads each (a fresh server's first few are up to 3 times slower: JIT, first
    // allocations, the database's first pages).
    for (let i = 0; i < 6; i++) for (const server of servers) await upload(server, body, contentType);
    const results = new Map<Kind, Awaited<ReturnType<typeof upload>>[]>(KINDS.map((k) => [k, []]));
    const ratios = new Map<Kind, number[]>(KINDS.map((k) => [k, []]));
    for (let r = 0; r < runs; r++) {
      const times = new Map<Kind, number>();
      // Each round in another order: what one upload leaves the machine doing (a checkpoint, a write-back)
      // falls on each server in turn.
      for (const server of [...servers.slice(r % servers.length), ...servers.slice(0, r % servers.length)]) {
        const result = await upload(server, body, contentType);
        results.get(server.kind)!.push(result);
        times.set(server.kind, result.ms);
      }
      for (const kind of KINDS) ratios.get(kind)!.push(times.get(kind)! / times.get('baseline')!);
    }
    const over = (kind: Kind, of: 'peak' | 'highWater') => results.get(kind)!.map((x) => (x[of] ?? Number.NaN) - x.idle);
    const summary = Object.fromEntries(
      KINDS.map((kind) => {
        const all = results.get(kind)!;
        const ms = median(all.map((x) => x.ms));
        return [
          kind,
          {
            p50Ms: round(ms),
            minMs: round(Math.min(...all.map((x) => x.ms))),
            maxMs: round(Math.max(...all.map((x) => x.ms))),
            mbPerSecond: round(FILE_BYTES / MB / (ms / 1000)),
            timeRatio: round(median(ratios.get(kind)!), 2),
            rssIdleMb: round(median(all.map((x) => x.idle)) / MB),
            sampledOverIdleMb: { p50: round(median(over(kind, 'peak')) / MB), max: round(Math.max(...over(kind, 'peak')) / MB) },
            highWaterOverIdleMb: { p50: round(median(over(kind, 'highWater')) / MB), max: round(Math.max(...over(kind, 'highWater')) / MB) },
            // Of the worst run: the medians are within the noise of a garbage collection.
            highWaterMaxRatio: round(Math.max(...over(kind, 'highWater')) / Math.max(...over('baseline', 'highWater')), 2),
          },
        ];
      }),
    );
    const result = { fileBytes: FILE_BYTES, runs, ...summary };
    process.stdout.write(process.argv.includes('--markdown') ? `${markdown(result)}\n` : `${JSON.stringify(result)}\n`);
  } finally {
    for (const server of servers) server.child.kill('SIGTERM');
    await Promise.all(servers.map((s) => new Promise((resolve) => (s.child.exitCode !== null ? resolve(null) : s.child.once('exit', resolve)))));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The section of bench/RESULTS.md. */
function markdown(r: { runs: number } & Record<string, unknown>): string {
  const label: Record<Kind, string> = {
    baseline: 'baseline: bare Fastify route, @fastify/multipart streaming the part to a file',
    folder: 'Parley, folder storage (POST …/attachments: quota, inspector, temporary file renamed)',
    database: 'Parley, database storage (the same, the bytes as 40 rows of 256 KB)',
  };
  const lines = [
    `| upload of one 10 MB file over loopback (SQLite, each server in its own process; median of ${r.runs}, a new connection each) | p50 ms (min–max) | MB/s | × baseline (median of the rounds' ratios) | server RSS idle MB | RSS peak over idle MB, p50 / max (max sampled) | max × baseline |`,
    '|---|---|---|---|---|---|---|',
  ];
  for (const kind of KINDS) {
    const k = r[kind] as { p50Ms: number; minMs: number; maxMs: number; mbPerSecond: number; timeRatio: number; rssIdleMb: number; highWaterOverIdleMb: { p50: number; max: number }; sampledOverIdleMb: { max: number }; highWaterMaxRatio: number };
    lines.push(`| ${label[kind]} | ${k.p50Ms} (${k.minMs}–${k.maxMs}) | ${k.mbPerSecond} | ${k.timeRatio.toFixed(2)} | ${k.rssIdleMb} | ${k.highWaterOverIdleMb.p50} / ${k.highWaterOverIdleMb.max} (${k.sampledOverIdleMb.max}) | ${k.highWaterMaxRatio.toFixed(2)} |`);
  }
  lines.push('', 'RSS peak: the kernel\'s high-water mark (VmHWM, reset before each upload; in brackets, the highest of VmRSS sampled every 2 ms), over the median of 10 samples just before. A server that held the file whole would be 10 MB or more over idle in every run; under that, the figures are the garbage collector\'s timing.');
  return lines.join('\n');
}

if (process.argv[2] === 'serve') await serve(process.argv[3] as Kind, process.argv[4]!);
else await main();
