// Live fan-out and memory: N open event streams on one conversation, a writer posts M messages, and every
// stream's receive time is compared with the post time (same clock, this process). The baseline is a bare
// node:http server in its own process that writes a fixed SSE line to the same number of streams.
// Also: resident memory of the Parley process per idle open stream.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';

const SECRET = 'bench-secret-bench-secret-bench-secret!!';
export const quantile = (xs, q) => {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
};
const rssKb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function startProcess(script, env, nodeArgs = []) {
  const child = spawn(process.execPath, [...nodeArgs, script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const base = await new Promise((resolve, reject) => {
    child.stdout.once('data', (c) => resolve(c.toString().trim().split('\n')[0]));
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return { child, base };
}

/** Opens `count` SSE streams; each calls onFrame(event, data, receivedAt). Resolves once all are ready. */
export async function openStreams(url, headers, count, onFrame, readyEvent) {
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  const requests = [];
  let ready = 0;
  await new Promise((resolve, reject) => {
    for (let i = 0; i < count; i++) {
      const req = http.get(url, { headers, agent }, (res) => {
        if (res.statusCode !== 200) return reject(new Error(`stream ${i}: HTTP ${res.statusCode}`));
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          const at = performance.now();
          buffer += chunk;
          let end;
          while ((end = buffer.indexOf('\n\n')) !== -1) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (event === readyEvent && ++ready === count) resolve();
            else if (event) onFrame(i, event, data, at);
          }
        });
      });
      req.on('error', reject);
      requests.push(req);
    }
  });
  return () => {
    for (const r of requests) r.destroy();
    agent.destroy();
  };
}

export async function measureFanout({ streams, messages = 100, root }) {
  const dir = mkdtempSync(join(tmpdir(), 'parley-fanout-'));
  const parley = await startProcess(join(root, 'dist/bench/server.js'), {
    DATABASE_URL: `sqlite:${join(dir, 'f.db')}`,
    PARLEY_EXTERNAL_AUTH_SECRET: SECRET,
    PARLEY_SEAT_LIMIT: '1000',
    PARLEY_SIGNIN_RATE_LIMIT: '0',
    PARLEY_SIGNIN_RATE_LIMIT_PER_KEY: '0',
    // One account holds every stream and posts every message: the fan-out is measured, not the account limits.
    PARLEY_MESSAGE_RATE_LIMIT: '0',
    PARLEY_STREAMS_PER_ACCOUNT: '0',
    LOG_LEVEL: 'silent',
  });
  const token = await new SignJWT({ user: { id: 'fanout', name: 'Fan Out' } }).setProtectedHeader({ alg: 'HS256', kid: 'env' }).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(SECRET));
  const session = (await (await fetch(`${parley.base}/api/v1/auth/exchange`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ externalAuthCode: token }) })).json()).session.token;
  const auth = { authorization: `Bearer ${session}` };
  const conversation = (await (await fetch(`${parley.base}/api/v1/conversations`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{}' })).json()).conversation.id;

  const rssBefore = rssKb(parley.child.pid);
  const postedAt = new Map();
  const latencies = [];
  const received = new Array(streams).fill(0);
  const close = await openStreams(`${parley.base}/api/v1/events`, auth, streams, (i, event, data, at) => {
    if (event !== 'message.created') return;
    const text = JSON.parse(data).message.text;
    const sent = postedAt.get(text);
    if (sent !== undefined) {
      latencies.push(at - sent);
      received[i]++;
    }
  }, 'ready');
  await sleep(1000);
  const rssIdle = rssKb(parley.child.pid);
  for (let m = 0; m < messages; m++) {
    const text = `m${m}`;
    postedAt.set(text, performance.now());
    const res = await fetch(`${parley.base}/api/v1/conversations/${conversation}/messages`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ text, clientMessageId: text }) });
    if (res.status !== 201) throw new Error(`post ${m}: ${res.status}`);
    await sleep(20);
  }
  const deadline = Date.now() + 10_000;
  while (latencies.length < streams * messages && Date.now() < deadline) await sleep(50);
  close();
  parley.child.kill('SIGTERM');

  // Baseline: the same fan-out through a bare server.
  const bare = await startProcess(join(root, 'bench/bare-sse.mjs'), {});
  const bareLatencies = [];
  const bareSent = new Map();
  const closeBare = await openStreams(`${bare.base}/events`, {}, streams, (_i, event, data, at) => {
    if (event !== 'tick') return;
    const sent = bareSent.get(data);
    if (sent !== undefined) bareLatencies.push(at - sent);
  }, 'ready');
  for (let m = 0; m < messages; m++) {
    bareSent.set(`t${m}`, performance.now());
    await fetch(`${bare.base}/tick?n=t${m}`, { method: 'POST' });
    await sleep(20);
  }
  const bareDeadline = Date.now() + 10_000;
  while (bareLatencies.length < streams * messages && Date.now() < bareDeadline) await sleep(50);
  closeBare();
  bare.child.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });

  return {
    streams,
    messages,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    lost: streams * messages - latencies.length,
    baselineP50: quantile(bareLatencies, 0.5),
    baselineP99: quantile(bareLatencies, 0.99),
    kbPerIdleStream: (rssIdle - rssBefore) / streams,
  };
}

if (process.argv[1]?.endsWith('fanout.mjs')) {
  const streams = Number(process.argv[2] ?? 1000);
  console.log(await measureFanout({ streams, root: join(import.meta.dirname, '..') }));
}
