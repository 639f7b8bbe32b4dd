/**
 * The assistant's time to first token through Parley: from a user's POST of a message to the first
 * `message.delta` on their open event stream, against the fake provider's own time to first token measured
 * directly (a POST to it on a new connection, as Parley makes, to its first `data:` chunk) just before each
 * reply, in the same run. The provider waits THINK_MS before its first token, like a model would. The
 * difference is what Parley adds: the message's transaction and outbox row, the claim, reading the context,
 * the guarded request, the signal to the stream. In process on SQLite, over loopback.
 * `node dist/bench/assistant.js [--quick]` (bundled by bench/run.mjs) prints one JSON line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../server/src/app.js';
import { signExternalToken } from '../server/src/auth/sign-external-token.js';
import { loadConfig } from '../server/src/config.js';
import { openStore } from '../server/src/store/database.js';

const quick = process.argv.includes('--quick');
const REPLIES = quick ? 20 : 50;
const THINK_MS = 30;
const SECRET = 'bench-secret-bench-secret-bench-secret!!';

const chunk = (content: string) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content } }] })}\n\n`;
const provider = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    setTimeout(() => {
      res.write(chunk('Hello'));
      res.end(`${chunk(' there!')}data: [DONE]\n\n`);
    }, THINK_MS);
  });
});
await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
const providerUrl = `http://127.0.0.1:${(provider.address() as AddressInfo).port}/v1`;

/** The provider's own time to first token: a POST on a new connection until its first `data:` chunk. */
function directFirstToken(): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(`${providerUrl}/chat/completions`, { method: 'POST', agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
      res.once('data', () => resolve(performance.now() - started));
      res.resume();
    });
    req.on('error', reject);
    req.end(JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] }));
  });
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
const round = (x: number) => Number(x.toFixed(1));

const dir = mkdtempSync(join(tmpdir(), 'parley-assistant-bench-'));
const store = await openStore({ kind: 'sqlite', path: join(dir, 'a.db') });
const config = loadConfig({ PARLEY_EXTERNAL_AUTH_SECRET: SECRET, PARLEY_SEAT_LIMIT: '100', PARLEY_MESSAGE_RATE_LIMIT: '0', PARLEY_CONVERSATION_RATE_LIMIT: '0', LOG_LEVEL: 'silent' });
const app = await buildApp({ config, store });
try {
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  await app.services.assistant.useCases.create(
    { actor: { kind: 'cli' }, origin: null, ip: null },
    {
      name: 'Bench',
      baseUrl: providerUrl,
      model: 'bench',
      apiKey: 'bench-key',
      systemPrompt: 'Be brief.',
      temperature: 0,
      answers: 'always',
      organizationIds: null,
      documentRooms: false,
      shareTokenMetadata: false,
      allowPrivateAddress: true,
      contextTokens: 4000,
      limits: { userMessagesPerDay: null, userTokensPerDay: null, organizationMessagesPerDay: null, organizationTokensPerDay: null },
    },
  );
  const code = await signExternalToken({ secret: new TextEncoder().encode(SECRET), kid: 'env', payload: { user: { id: 'bench-user', name: 'Bench' } }, issuedAt: Math.floor(Date.now() / 1000), expiresInSeconds: 3600 });
  const exchange = await fetch(`${base}/api/v1/auth/exchange`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ externalAuthCode: code }) });
  const auth = { authorization: `Bearer ${((await exchange.json()) as { session: { token: string } }).session.token}` };

  // The user's event stream, read as frames arrive; each waiter resolves on the first frame of its event.
  const stream = await fetch(`${base}/api/v1/events`, { headers: auth });
  const waiting = new Map<string, () => void>();
  void (async () => {
    const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const event = /^event: (.+)$/m.exec(buffer.slice(0, end))?.[1];
        buffer = buffer.slice(end + 2);
        if (event) waiting.get(event)?.();
      }
    }
  })();
  const next = (event: string) => new Promise<void>((resolve) => waiting.set(event, resolve));

  const conversation = await fetch(`${base}/api/v1/conversations`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ title: 'Bench' }) });
  const id = ((await conversation.json()) as { conversation: { id: string } }).conversation.id;

  const direct: number[] = [];
  const parley: number[] = [];
  const overhead: number[] = [];
  for (let i = -3; i < REPLIES; i++) {
    const d = await directFirstToken();
    const firstDelta = next('message.delta');
    const ended = next('assistant.ended');
    const started = performance.now();
    const res = await fetch(`${base}/api/v1/conversations/${id}/messages`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ text: `question ${i}`, clientMessageId: `q${i + 3}` }) });
    if (res.status !== 201) throw new Error(`post answered ${res.status}`);
    await firstDelta;
    const p = performance.now() - started;
    await ended;
    // The first three are warm-up (compilation, first connections).
    if (i < 0) continue;
    direct.push(d);
    parley.push(p);
    overhead.push(p - d);
  }
  console.log(
    JSON.stringify({
      replies: REPLIES,
      thinkMs: THINK_MS,
      direct: { p50: round(percentile(direct, 50)), p99: round(percentile(direct, 99)) },
      parley: { p50: round(percentile(parley, 50)), p99: round(percentile(parley, 99)) },
      overhead: { p50: round(percentile(overhead, 50)), p99: round(percentile(overhead, 99)) },
    }),
  );
} finally {
  await app.close();
  await store.close();
  provider.close();
  rmSync(dir, { recursive: true, force: true });
}
