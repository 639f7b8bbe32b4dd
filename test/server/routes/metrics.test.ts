/**
 * `GET /metrics` (docs/deploy.md, Metrics): who may read it (the bearer token of PARLEY_METRICS_TOKEN, else
 * loopback on a loopback-bound server only), that it is the Prometheus text format, and that each counter
 * moves by exactly what happened, on SQLite and PostgreSQL.
 */
import { get, type ClientRequest } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';
import { fromNow, openSse, type SseReader } from '../../helpers/sse.js';

const TOKEN = 'metrics-token-0123456789abcdef';

/**
 * Every line of the exposition is a HELP, a TYPE or a sample `name{labels} value`; answers the samples. Values
 * are Go floats, NaN and Inf in any case (prom-client writes `Nan`).
 */
function parseExposition(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})?) ([+-]?(?:[0-9.eE+-]+|Inf|NaN))$/i;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (/^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$/.test(line)) continue;
    const match = sample.exec(line);
    if (!match) throw new Error(`not an exposition line: ${line}`);
    samples.set(match[1]!, Number(match[2]));
  }
  return samples;
}

let t: TestApp | undefined;
const streams: SseReader[] = [];
afterEach(async () => {
  for (const s of streams.splice(0)) s.close();
  await t?.close();
  t = undefined;
});

const scrape = (app: TestApp, headers: Record<string, string> = {}, remoteAddress?: string) =>
  app.app.inject({ method: 'GET', url: '/metrics', headers, ...(remoteAddress ? { remoteAddress } : {}) });

async function samples(app: TestApp): Promise<Map<string, number>> {
  const res = await scrape(app, { authorization: `Bearer ${TOKEN}` });
  expect(res.statusCode).toBe(200);
  return parseExposition(res.body);
}

const NOT_FOUND = { error: { code: 'not_found', message: 'Not found.' } };
const TOKEN_REFUSED = { error: { code: 'metrics_token_invalid', message: 'Metrics need the bearer token of PARLEY_METRICS_TOKEN.' } };

describe('who may read /metrics', () => {
  it('with PARLEY_METRICS_TOKEN: the bearer token, from anywhere; no token or a wrong one is 401', async () => {
    t = await createTestApp({ env: { PARLEY_METRICS_TOKEN: TOKEN } });
    for (const headers of [{}, { authorization: `Bearer ${TOKEN}x` }, { authorization: `Bearer ${TOKEN.slice(0, -1)}` }, { authorization: TOKEN }, { authorization: `Basic ${TOKEN}` }] as Record<string, string>[]) {
      const res = await scrape(t, headers);
      expect([res.statusCode, res.json(), res.headers['www-authenticate']]).toEqual([401, TOKEN_REFUSED, 'Bearer']);
    }
    // The token is required from loopback too.
    expect((await scrape(t, {}, '127.0.0.1')).statusCode).toBe(401);
    const fromAfar = await scrape(t, { authorization: `Bearer ${TOKEN}` }, '203.0.113.7');
    expect([fromAfar.statusCode, fromAfar.headers['content-type'], fromAfar.headers['cache-control']]).toEqual([200, 'text/plain; version=0.0.4; charset=utf-8', 'no-store']);
  });

  it('without a token: loopback only, on a server bound to loopback, and with no proxy in front', async () => {
    t = await createTestApp();
    expect((await scrape(t, {}, '127.0.0.1')).statusCode).toBe(200);
    expect((await scrape(t, {}, '::1')).statusCode).toBe(200);
    for (const [headers, address] of [
      [{}, '203.0.113.7'],
      [{}, '10.0.0.2'],
      // A proxy on this machine forwarding someone else's request.
      [{ 'x-forwarded-for': '203.0.113.7' }, '127.0.0.1'],
      [{ forwarded: 'for=203.0.113.7' }, '127.0.0.1'],
    ] as const) {
      const res = await scrape(t, headers, address);
      expect([res.statusCode, res.json()]).toEqual([404, NOT_FOUND]);
    }
  });

  it('without a token, a server bound to another address answers 404 even from loopback', async () => {
    t = await createTestApp({ env: { HOST: '0.0.0.0' } });
    const res = await scrape(t, {}, '127.0.0.1');
    expect([res.statusCode, res.json()]).toEqual([404, NOT_FOUND]);
  });

  it('without a token, behind a trusted proxy: every address of the forwarded chain must be loopback', async () => {
    t = await createTestApp({ env: { PARLEY_TRUST_PROXY: 'true' } });
    expect((await scrape(t, { 'x-forwarded-for': '127.0.0.1' }, '127.0.0.1')).statusCode).toBe(200);
    for (const forwarded of ['203.0.113.7', '127.0.0.1, 203.0.113.7', '203.0.113.7, 127.0.0.1']) {
      const res = await scrape(t, { 'x-forwarded-for': forwarded }, '127.0.0.1');
      expect([forwarded, res.statusCode, res.json()]).toEqual([forwarded, 404, NOT_FOUND]);
    }
  });

  it('is not in the OpenAPI description', async () => {
    t = await createTestApp();
    await t.app.ready();
    const spec = t.app.swagger() as { paths: Record<string, unknown> };
    expect(Object.keys(spec.paths)).not.toContain('/metrics');
    expect(Object.keys(spec.paths)).toContain('/healthz');
  });
});

/** Opens an event stream on a socket of its own and answers it once the stream is ready. */
function openRaw(base: string, headers: Record<string, string>): Promise<ClientRequest> {
  return new Promise((resolve, reject) => {
    const request = get(`${base}/api/v1/events`, { headers, agent: false }, (response) => {
      response.setEncoding('utf8');
      let text = '';
      response.on('data', (chunk: string) => {
        text += chunk;
        if (text.includes('event: ready')) resolve(request);
      });
    });
    request.on('error', (error) => {
      if (!request.destroyed) reject(error);
    });
  });
}

/** The open-streams gauge once it no longer reads `from` (the server sees a closed socket a moment later). */
async function openStreamsOnceChanged(app: TestApp, from: number): Promise<number> {
  for (let i = 0; i < 1000; i++) {
    const open = (await samples(app)).get('parley_event_streams_open')!;
    if (open !== from) return open;
    await new Promise((resolve) => setImmediate(resolve));
  }
  return from;
}

describe.each(DIALECTS)('what /metrics counts, on %s', (dialect) => {
  async function signIn(app: TestApp, id: string): Promise<Record<string, string>> {
    const res = await app.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await app.sign({ user: { id, name: id } }) } });
    expect(res.statusCode).toBe(200);
    return { authorization: `Bearer ${res.json().session.token}` };
  }

  it('parses as the text format, with the process metrics and every Parley metric', async () => {
    t = await createTestApp({ dialect, env: { PARLEY_METRICS_TOKEN: TOKEN } });
    const res = await scrape(t, { authorization: `Bearer ${TOKEN}` });
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const parsed = parseExposition(res.body);
    expect(parsed.has('process_cpu_user_seconds_total')).toBe(true);
    expect(parsed.has('nodejs_heap_size_used_bytes')).toBe(true);
    expect(parsed.get('parley_event_streams_open')).toBe(0);
    for (const name of ['parley_sign_ins_total', 'parley_messages_total', 'parley_event_delivery_seconds', 'parley_outbox_sends_total', 'parley_outbox_rows', 'parley_database_errors_total', 'parley_redis_errors_total', 'parley_http_request_duration_seconds']) {
      expect(res.body).toMatch(new RegExp(`^# HELP ${name} .+\n# TYPE ${name} (counter|gauge|histogram)$`, 'm'));
    }
  });

  it('counts sign-ins by door and outcome', async () => {
    t = await createTestApp({ dialect, env: { PARLEY_METRICS_TOKEN: TOKEN } });
    await signIn(t, 'alice');
    await signIn(t, 'bob');
    const refused = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: 'not-a-token' } });
    expect(refused.statusCode).toBe(401);
    const m = await samples(t);
    expect(m.get('parley_sign_ins_total{door="exchange",outcome="ok"}')).toBe(2);
    expect(m.get(`parley_sign_ins_total{door="exchange",outcome="${refused.json().error.code}"}`)).toBe(1);
    expect([...m.keys()].filter((k) => k.startsWith('parley_sign_ins_total'))).toHaveLength(2);
    expect(m.get('parley_http_request_duration_seconds_count{method="POST",route="/api/v1/auth/exchange",status_class="2xx"}')).toBe(2);
    expect(m.get('parley_http_request_duration_seconds_count{method="POST",route="/api/v1/auth/exchange",status_class="4xx"}')).toBe(1);
  });

  it('counts messages posted by kind, not their retries', async () => {
    t = await createTestApp({ dialect, env: { PARLEY_METRICS_TOKEN: TOKEN } });
    const alice = await signIn(t, 'alice');
    const started = await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: alice, payload: { message: { text: 'Hello', clientMessageId: 'm1' } } });
    expect(started.statusCode).toBe(201);
    const id = started.json().conversation.id;
    for (const [text, clientMessageId] of [['Second', 'm2'], ['Third', 'm3'], ['Third', 'm3']]) {
      const res = await t.app.inject({ method: 'POST', url: `/api/v1/conversations/${id}/messages`, headers: alice, payload: { text, clientMessageId } });
      expect(res.statusCode).toBeLessThan(300);
    }
    const m = await samples(t);
    expect(m.get('parley_messages_total{kind="user"}')).toBe(3);
    expect([...m.keys()].filter((k) => k.startsWith('parley_messages_total'))).toEqual(['parley_messages_total{kind="user"}']);
  });

  it('shows an open event stream in the gauge until it closes, and the latency of its live events', async () => {
    t = await createTestApp({ dialect, env: { PARLEY_METRICS_TOKEN: TOKEN } });
    const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const alice = await signIn(t, 'alice');
    const stream = await openSse(`${base}/api/v1/events`, await fromNow(t.db.store.db, alice));
    streams.push(stream);
    await stream.until((f) => f.some((x) => x.event === 'ready'));
    expect((await samples(t)).get('parley_event_streams_open')).toBe(1);

    await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: alice, payload: { message: { text: 'Hello', clientMessageId: 'm1' } } });
    await stream.until((f) => f.some((x) => x.event === 'message.created'));
    const m = await samples(t);
    // conversation.created and message.created, written and delivered at the same instant of the test's clock.
    expect(m.get('parley_event_delivery_seconds_count')).toBe(2);
    expect(m.get('parley_event_delivery_seconds_bucket{le="0.001"}')).toBe(2);

    // The client goes away (its socket closed, as a closed tab's is).
    const gone = await openRaw(base, await fromNow(t.db.store.db, alice));
    expect((await samples(t)).get('parley_event_streams_open')).toBe(2);
    gone.destroy();
    expect(await openStreamsOnceChanged(t, 2)).toBe(1);
    // The server ends the other one (a logout).
    await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: alice });
    await stream.ended;
    expect(await openStreamsOnceChanged(t, 1)).toBe(0);
  });

  it('shows the outbox backlog by status, and counts sends by kind and outcome', async () => {
    t = await createTestApp({ dialect, env: { PARLEY_METRICS_TOKEN: TOKEN } });
    const { outbox, outboundWorker } = t.app.services;
    const now = t.clock.now;
    await t.db.store.db.transaction().execute((trx) => outbox.enqueue(trx, [{ kind: 'later', payload: {}, dueAt: now + 86_400_000 }], now));
    let m = await samples(t);
    expect([m.get('parley_outbox_rows{status="pending"}'), m.get('parley_outbox_rows{status="failed"}')]).toEqual([1, 0]);

    // A row of a kind no sender knows fails for good, counted under `unknown`.
    await t.db.store.db.transaction().execute((trx) => outbox.enqueue(trx, [{ kind: 'nobody-sends-this', payload: {} }], now));
    await outboundWorker.drain();
    m = await samples(t);
    expect(m.get('parley_outbox_sends_total{kind="unknown",outcome="failed"}')).toBe(1);
    expect([m.get('parley_outbox_rows{status="pending"}'), m.get('parley_outbox_rows{status="failed"}')]).toEqual([1, 1]);
  });
});
