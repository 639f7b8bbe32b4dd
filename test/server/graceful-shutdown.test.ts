/**
 * `parley serve` closes gracefully on SIGTERM, as a real process (the built program): an open event stream
 * is told `retry:` and ended, a request whose body is still arriving when the signal comes is answered 201 (its client's
 * keep-alive connection does not hold the close),
 * a new connection is refused while that request is still in flight, and the process exits 0 well within
 * 10 s. The time from the signal to the exit is printed.
 *
 * The token is signed against the real clock: the child process has no clock of the test's to be given.
 */
import { Agent, request as httpRequest, type IncomingMessage } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { signExternalToken } from '../../server/src/auth/sign-external-token.js';
import { TEST_SECRET } from '../helpers/app.js';
import { spawnParley, type ParleyProcess } from '../helpers/parley-process.js';
import { openSse } from '../helpers/sse.js';
import { until } from '../helpers/until.js';

const dir = mkdtempSync(join(tmpdir(), 'parley-shutdown-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Resolves once a log line satisfies `predicate` (already printed or still to come). */
function logged(parley: ParleyProcess, predicate: (raw: string) => boolean, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      clearInterval(poll);
      reject(new Error(`no such log line within ${timeoutMs} ms; stdout:\n${parley.lines.map((l) => l.raw).join('\n')}`));
    }, timeoutMs);
    const poll = setInterval(() => {
      if (!parley.lines.some((line) => predicate(line.raw))) return;
      clearInterval(poll);
      clearTimeout(timer);
      resolve();
    }, 5);
  });
}

/** Whether a TCP connection to the port is refused (true) or accepted (false). */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
  });
}


describe('parley serve on SIGTERM', () => {
  it('tells the stream to reconnect, finishes the request in flight, refuses new connections and exits 0', async () => {
    const parley = spawnParley({
      DATABASE_URL: `sqlite:${join(dir, 'p.db')}`,
      PORT: '0',
      LOG_LEVEL: 'info',
      PARLEY_EXTERNAL_AUTH_SECRET: TEST_SECRET,
    });
    onTestFinished(() => parley.stop().then(() => undefined, () => undefined));
    const [, portText] = await parley.waitForLine(/on port (\d+)/, 10_000);
    const port = Number(portText);
    const base = `http://127.0.0.1:${port}`;

    const code = await signExternalToken({ secret: new TextEncoder().encode(TEST_SECRET), kid: 'env', payload: { user: { id: 'alice', name: 'Alice' } }, issuedAt: Math.floor(Date.now() / 1000), expiresInSeconds: 3600 });
    const exchange = await fetch(`${base}/api/v1/auth/exchange`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ externalAuthCode: code }) });
    expect(exchange.status).toBe(200);
    const auth = { authorization: `Bearer ${((await exchange.json()) as { session: { token: string } }).session.token}` };
    const created = await fetch(`${base}/api/v1/conversations`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{}' });
    expect(created.status).toBe(201);
    const conversationId = ((await created.json()) as { conversation: { id: string } }).conversation.id;

    const stream = await openSse(`${base}/api/v1/events`, auth);
    expect(stream.status).toBe(200);
    await stream.until((frames) => frames.some((f) => f.event === 'ready'), 5000);

    // The request in flight: its headers and half its body now, the rest only after the signal.
    const path = `/api/v1/conversations/${conversationId}/messages`;
    const body = JSON.stringify({ text: 'sent while closing', clientMessageId: 'c-closing' });
    // A client that keeps its connection open after the answer, with no idle timeout of its own: the close
    // must not wait for it (Fastify's keep-alive timeout is 72 s).
    const agent = new Agent({ keepAlive: true });
    onTestFinished(() => agent.destroy());
    const inFlight = httpRequest(`${base}${path}`, { agent, method: 'POST', headers: { ...auth, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } });
    const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
      inFlight.once('response', (response: IncomingMessage) => {
        let text = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        response.once('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
      });
      inFlight.once('error', reject);
    });
    inFlight.write(body.slice(0, 10));
    await logged(parley, (raw) => raw.includes('incoming request') && raw.includes(path), 5000);

    const exited = new Promise<number | null>((resolve) => parley.child.once('exit', (exitCode) => resolve(exitCode)));
    const signalledAt = performance.now();
    parley.child.kill('SIGTERM');

    await stream.ended;
    const last = stream.frames.at(-1);
    expect(last).toEqual({ retry: '1000' });
    // The listening socket closes right after the streams end (Fastify's preClose, then server.close()).
    await until(() => refused(port), 2000, 'a new connection refused');
    // Still in flight: the process waits for it.
    expect(parley.child.exitCode).toBeNull();

    inFlight.end(body.slice(10));
    const response = await answered;
    expect(response.status).toBe(201);
    expect(JSON.parse(response.body)).toMatchObject({ message: { text: 'sent while closing', conversationId } });

    expect(await exited).toBe(0);
    const shutdownMs = performance.now() - signalledAt;
    console.log(`graceful shutdown: SIGTERM to exit ${shutdownMs.toFixed(0)} ms (the in-flight request held it open until its body came)`);
    expect(shutdownMs).toBeLessThan(10_000);
    expect(parley.lines.some((line) => line.msg === 'closed')).toBe(true);
    expect(await refused(port)).toBe(true);
  }, 30_000);
});
