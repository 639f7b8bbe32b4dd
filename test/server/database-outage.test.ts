/**
 * The server survives its database. A throw-away PostgreSQL cluster of the test's own (initdb + pg_ctl on a
 * free port, as the `postgres` system user when the tests run as root; never the shared server) is stopped
 * under traffic, with an event stream open, and started again:
 * - nothing ends the process (no uncaught exception, unhandled rejection or exit);
 * - while it is down every request answers exactly 503 `database_unavailable` with a Retry-After (the hosted
 *   page's sign-in as an HTML page), /healthz answers 503, and the open stream keeps its heartbeats;
 * - within 2 s of its return requests succeed and the LISTEN relay delivers again;
 * - no acknowledged message is lost, and the stream (and a stream resumed with Last-Event-ID) receives every
 *   message exactly once, in order.
 * The figures (outage length, requests and their statuses, recovery times) are printed.
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../server/src/app.js';
import { signExternalToken } from '../../server/src/auth/sign-external-token.js';
import { loadConfig } from '../../server/src/config.js';
import { openStore, type Store } from '../../server/src/store/database.js';
import { PUBLIC_URL, TEST_SECRET } from '../helpers/app.js';
import { openSse, type SseFrame, type SseReader } from '../helpers/sse.js';
import { followSignInFailure } from '../helpers/hosted-page.js';

const run = promisify(execFile);

/** The newest PostgreSQL's binaries under /usr/lib/postgresql, or why there are none. */
function findPostgres(): { bin: string } | { problem: string } {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb')) && existsSync(join(root, v, 'bin', 'pg_ctl'))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  return versions[0] ? { bin: join(root, versions[0], 'bin') } : { problem: `no initdb under ${root}/*/bin` };
}

/** PostgreSQL refuses to run as root: then the cluster belongs to the `postgres` system user. */
async function clusterOwner(): Promise<{ user: string; uid: number; gid: number } | null | { problem: string }> {
  if (process.getuid?.() !== 0) return null;
  try {
    const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    return { user: 'postgres', uid, gid };
  } catch {
    return { problem: 'the tests run as root and there is no `postgres` system user to own the cluster' };
  }
}

const found = findPostgres();
const owner = 'bin' in found ? await clusterOwner() : null;
const skipReason = 'problem' in found ? found.problem : owner && 'problem' in owner ? owner.problem : null;
if (skipReason) console.warn(`Database outage test skipped: ${skipReason}.`);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Polls `condition` until it holds, failing after `timeoutMs` with `what`. */
async function waitFor(condition: () => boolean, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`not met within ${timeoutMs} ms: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

interface Outcome {
  kind: 'post' | 'health' | 'page';
  /** Issued after the cluster had stopped and answered before it was started again. */
  duringOutage: boolean;
  status: number;
  code: string | undefined;
  retryAfter: string | undefined;
  contentType: string;
  text?: string;
}

const texts = (frames: SseFrame[]) => frames.filter((f) => f.event === 'message.created').map((f) => JSON.parse(f.data!).message.text as string);
const countOf = (items: readonly string[]) => items.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>());

describe.skipIf(skipReason !== null)('a PostgreSQL outage under traffic', () => {
  const { bin } = found as { bin: string };
  const cluster = owner as { user: string; uid: number; gid: number } | null;
  let dir: string;
  let port: number;
  let running = false;
  let store: Store | undefined;
  let app: App | undefined;

  const pg = (tool: string, args: string[]) =>
    cluster ? run('runuser', ['-u', cluster.user, '--', join(bin, tool), ...args]) : run(join(bin, tool), args);
  const start = async () => {
    await pg('pg_ctl', ['-D', join(dir, 'data'), '-l', join(dir, 'log'), '-w', '-t', '30', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
    running = true;
  };
  const stop = async (mode: 'fast' | 'immediate') => {
    await pg('pg_ctl', ['-D', join(dir, 'data'), '-m', mode, '-w', '-t', '30', 'stop']);
    running = false;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-outage-'));
    if (cluster) chownSync(dir, cluster.uid, cluster.gid);
    await pg('initdb', ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
    port = await freePort();
    await start();
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await store?.close();
    if (running) await stop('immediate').catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('answers 503 database_unavailable while it is down, recovers within 2 s, and loses no message or event', async () => {
    const problems: string[] = [];
    const explain = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}${'code' in error ? ` (${String(error.code)})` : ''}` : String(error));
    const onRejection = (reason: unknown) => problems.push(`unhandledRejection ${explain(reason)}`);
    const onException = (error: unknown) => problems.push(`uncaughtException ${explain(error)}`);
    const exit = process.exit;
    process.exit = ((code?: number) => {
      problems.push(`exit ${code}`);
    }) as typeof process.exit;
    process.on('unhandledRejection', onRejection);
    process.on('uncaughtException', onException);
    const streams: SseReader[] = [];
    try {
      const config = loadConfig({
        PUBLIC_URL,
        DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/postgres`,
        PARLEY_EXTERNAL_AUTH_SECRET: TEST_SECRET,
        PARLEY_SEAT_LIMIT: '50',
        PARLEY_SIGNIN_RATE_LIMIT: '0',
        PARLEY_SIGNIN_RATE_LIMIT_PER_KEY: '0',
        // One account posts a steady stream of messages on a frozen clock: not what the account limit is for.
        PARLEY_MESSAGE_RATE_LIMIT: '0',
      });
      const clock = { now: Date.UTC(2026, 10, 20, 12, 0, 0) };
      store = await openStore(config.database);
      app = await buildApp({ config, store, now: () => clock.now, heartbeatMs: 100 });
      const base = await app.listen({ port: 0, host: '127.0.0.1' });
      const live = app;

      const code = await signExternalToken({ secret: new TextEncoder().encode(TEST_SECRET), kid: 'env', payload: { user: { id: 'alice', name: 'Alice' } }, issuedAt: Math.floor(clock.now / 1000), expiresInSeconds: 3600 });
      const exchange = await live.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: code } });
      expect(exchange.statusCode).toBe(200);
      const auth = { authorization: `Bearer ${exchange.json().session.token}` };
      const conversation: string = (await live.inject({ method: 'POST', url: '/api/v1/conversations', headers: auth, payload: {} })).json().conversation.id;
      const post = (text: string) => live.inject({ method: 'POST', url: `/api/v1/conversations/${conversation}/messages`, headers: auth, payload: { text, clientMessageId: text } });

      const stream = await openSse(`${base}/api/v1/events`, auth);
      streams.push(stream);
      await stream.until((f) => f.some((x) => x.event === 'ready'));
      const readyId = stream.frames.find((f) => f.event === 'ready')!.id!;

      // Traffic: one message after another, with a health check after each and a hosted-page sign-in every
      // fifth turn, paced so that an outage of a few seconds sees a hundred or so requests.
      let down = false;
      let stopTraffic = false;
      const outcomes: Outcome[] = [];
      const acknowledged: string[] = [];
      const refused: string[] = [];
      let firstAckAfterReturn: number | undefined;
      let firstTextAfterReturn: string | undefined;
      let returnedAt = Number.POSITIVE_INFINITY;
      const record = (kind: Outcome['kind'], wasDown: boolean, response: Awaited<ReturnType<typeof post>>, text?: string) => {
        const contentType = String(response.headers['content-type'] ?? '');
        const outcome: Outcome = {
          kind,
          duringOutage: wasDown && down,
          status: response.statusCode,
          code: contentType.startsWith('application/json') ? response.json().error?.code : undefined,
          retryAfter: response.headers['retry-after'] as string | undefined,
          contentType,
          ...(text ? { text } : {}),
        };
        outcomes.push(outcome);
        return outcome;
      };
      const traffic = (async () => {
        for (let n = 1; !stopTraffic; n++) {
          const text = `m${String(n).padStart(4, '0')}`;
          const issuedAt = performance.now();
          const wasDown = down;
          const posted = record('post', wasDown, await post(text), text);
          if (posted.status === 201) {
            acknowledged.push(text);
            if (firstAckAfterReturn === undefined && issuedAt >= returnedAt) {
              firstAckAfterReturn = performance.now() - returnedAt;
              firstTextAfterReturn = text;
            }
          } else refused.push(text);
          const healthDown = down;
          record('health', healthDown, await live.inject({ method: 'GET', url: '/healthz' }));
          if (n % 5 === 0) {
            const pageDown = down;
            // A failed sign-in leaves the code behind (303 without it) and the page there shows the 503.
            record('page', pageDown, await followSignInFailure(live, await live.inject({ method: 'GET', url: `/?externalAuthCode=${code}`, headers: { accept: 'text/html' } })));
          }
          await new Promise((resolve) => setTimeout(resolve, 15));
        }
      })();
      const during = () => outcomes.filter((o) => o.duringOutage);
      const heartbeats = () => stream.frames.filter((f) => f.comment === 'heartbeat').length;

      await waitFor(() => acknowledged.length >= 10, 10_000, () => `10 messages acknowledged before the outage (${acknowledged.length})`);

      // The outage: a fast shutdown ends every session with 57P01, then connections are refused.
      const stoppingAt = performance.now();
      await stop('fast');
      const stoppedAt = performance.now();
      down = true;
      const heartbeatsAtStop = heartbeats();
      await waitFor(
        () => during().filter((o) => o.kind === 'post').length >= 100 && heartbeats() >= heartbeatsAtStop + 5,
        30_000,
        () => `100 requests and 5 heartbeats during the outage (${during().length}, ${heartbeats() - heartbeatsAtStop})`,
      );
      down = false;
      const startingAt = performance.now();
      await start();
      returnedAt = performance.now();
      const heartbeatsDuringOutage = heartbeats() - heartbeatsAtStop;

      // Recovery: the first message issued after the database's return is acknowledged, and reaches the stream.
      await waitFor(() => firstAckAfterReturn !== undefined, 5000, () => 'a message acknowledged after the return');
      await stream.until((f) => texts(f).includes(firstTextAfterReturn!), 5000);
      const streamRecovery = performance.now() - returnedAt;
      const ackedAtRecovery = acknowledged.length;
      await waitFor(() => acknowledged.length >= ackedAtRecovery + 10, 10_000, () => '10 more messages after recovery');
      stopTraffic = true;
      await traffic;

      // A client retries what was refused, with the same clientMessageId: 201 if it never committed, 200 if it
      // did (its connection dropped after the commit, before the answer).
      let committedButRefused = 0;
      for (const text of refused) {
        const again = await post(text);
        expect([200, 201]).toContain(again.statusCode);
        if (again.statusCode === 200) committedButRefused++;
        acknowledged.push(text);
      }

      // Nothing ended the process.
      expect(problems).toEqual([]);
      // Never a 500: every answer is a success or exactly 503 database_unavailable with a Retry-After.
      for (const o of outcomes) {
        if (o.status === 503) {
          expect(o.retryAfter).toBe('2');
          if (o.kind === 'page') expect(o.contentType).toMatch(/^text\/html/);
          else expect(o.code).toBe('database_unavailable');
        } else expect({ kind: o.kind, status: o.status }).toEqual({ kind: o.kind, status: o.kind === 'post' ? 201 : o.kind === 'page' ? 303 : 200 });
      }
      // While the database was down, nothing but those 503s.
      expect(during().length).toBeGreaterThan(0);
      expect(during().filter((o) => o.status !== 503)).toEqual([]);
      // The open stream kept its heartbeats through the outage.
      expect(heartbeatsDuringOutage).toBeGreaterThanOrEqual(5);
      // Back within 2 s of the database's return: requests, and the LISTEN relay.
      expect(firstAckAfterReturn!).toBeLessThan(2000);
      expect(streamRecovery).toBeLessThan(2000);

      // No acknowledged message is lost, none is stored twice.
      const stored = (await store.db.selectFrom('messages').select('text').where('conversation_id', '=', conversation).execute()).map((r) => r.text);
      const storedCount = countOf(stored);
      expect(acknowledged.filter((text) => storedCount.get(text) !== 1)).toEqual([]);
      expect(stored.length).toBe(new Set(acknowledged).size);

      // The stream that stayed open receives every message exactly once, in id order; so does one resumed
      // from before the outage with Last-Event-ID.
      const last = acknowledged.at(-1)!;
      await stream.until((f) => texts(f).includes(last), 5000);
      const resumed = await openSse(`${base}/api/v1/events`, { ...auth, 'last-event-id': readyId });
      streams.push(resumed);
      await resumed.until((f) => f.some((x) => x.event === 'ready'), 5000);
      for (const reader of [stream, resumed]) {
        const received = texts(reader.frames);
        const receivedCount = countOf(received);
        expect(acknowledged.filter((text) => receivedCount.get(text) !== 1)).toEqual([]);
        expect(received.length).toBe(new Set(acknowledged).size);
        const ids = reader.frames.filter((f) => f.event === 'message.created').map((f) => Number(f.id));
        expect(ids).toEqual([...ids].sort((a, b) => a - b));
      }

      const statuses = (list: Outcome[]) => Object.fromEntries(countOf(list.map((o) => `${o.kind} ${o.status}${o.code ? ` ${o.code}` : ''}`)));
      console.log(
        `Database outage figures: ${JSON.stringify({
          stopMs: Math.round(stoppedAt - stoppingAt),
          outageMs: Math.round(returnedAt - stoppingAt),
          startMs: Math.round(returnedAt - startingAt),
          requestsDuringOutage: during().length,
          statusesDuringOutage: statuses(during()),
          statusesOverall: statuses(outcomes),
          heartbeatsDuringOutage,
          firstAckAfterReturnMs: Math.round(firstAckAfterReturn!),
          streamRecoveryMs: Math.round(streamRecovery),
          acknowledged: new Set(acknowledged).size,
          refusedThenRetried: refused.length,
          committedButRefused,
          lost: 0,
        })}`,
      );
    } finally {
      for (const s of streams) s.close();
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
      process.exit = exit;
    }
  }, 120_000);
});
