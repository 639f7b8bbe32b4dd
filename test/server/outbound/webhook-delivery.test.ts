/**
 * Webhook deliveries end to end, on both databases, to a real HTTP receiver on 127.0.0.1 (private
 * addresses allowed for it): the receiver is down (connection refused), then slow (answers after the
 * delivery timeout, shortened here to 300 ms), then up. Every event arrives, each request verifies with
 * `standardwebhooks`, in order per conversation and per account, with the same webhook-id on every try;
 * internal notes are never sent. Time moves with the test's clock and `outboundWorker.drain()`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';
import { WEBHOOK_DISABLE_AFTER_MS } from '../../../server/src/outbound/webhook-sender.js';

type Headers = Record<string, string>;
interface Received {
  body: string;
  headers: Record<string, string>;
  /** The test clock when the request came (the signature's "now"). */
  at: number;
}

/** A receiver whose mood the test sets: `slow` answers only when the test ends, `up` answers 204. */
async function startReceiver(port = 0) {
  const received: Received[] = [];
  const sockets = new Set<Socket>();
  const state = { mode: 'up' as 'up' | 'slow', clock: () => 0, hanging: [] as ServerResponse[] };
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ body: Buffer.concat(chunks).toString('utf8'), headers: req.headers as Record<string, string>, at: state.clock() });
      if (state.mode === 'slow') state.hanging.push(res);
      else res.writeHead(204).end();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    received,
    state,
    port: (server.address() as AddressInfo).port,
    async close() {
      for (const res of state.hanging) res.destroy();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe.each(DIALECTS)('webhook deliveries on %s', (dialect) => {
  let t: TestApp;
  let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined;
  afterEach(async () => {
    vi.useRealTimers();
    await receiver?.close();
    receiver = undefined;
    await t?.close();
  });

  async function sessionFor(user: Record<string, unknown>, role: 'owner' | 'member' = 'member') {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user }) } });
    expect(res.statusCode).toBe(200);
    const { session, user: created } = res.json();
    if (role !== 'member') await t.app.services.users.setRole(created.id, role);
    return { headers: { authorization: `Bearer ${session.token}` } as Headers, userId: created.id as string };
  }
  const call = async (headers: Headers, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) => {
    const res = await t.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
    expect(res.statusCode, `${method} ${url}: ${res.body}`).toBeLessThan(300);
    return res.body ? res.json() : null;
  };

  it('down, then slow, then up: every event arrives once verified, in order, with the same id on retries; no internal note', async () => {
    // Down: a port that was just free and now is closed.
    const probe = await startReceiver();
    const port = probe.port;
    await probe.close();

    t = await createTestApp({ dialect, env: { PARLEY_WEBHOOKS_ALLOW_PRIVATE: 'true' }, webhookTimeoutMs: 300 });
    const owner = await sessionFor({ id: 'the-owner', email: 'owner@example.com' }, 'owner');
    const created = await call(owner.headers, 'POST', '/api/v1/admin/webhooks', {
      url: `http://127.0.0.1:${port}/hook`,
      events: ['conversation.created', 'conversation.updated', 'message.created', 'message.updated', 'message.deleted', 'user.created', 'user.deactivated'],
    });
    const secret = created.secret as string;
    const endpointId = created.endpoint.id as string;

    const alice = await sessionFor({ id: 'alice', name: 'Alice' });
    const bob = await sessionFor({ id: 'bob', name: 'Bob' });
    const a = (await call(alice.headers, 'POST', '/api/v1/conversations', { message: { text: 'Hello from Alice', clientMessageId: 'a1' } })).conversation;
    const b = (await call(bob.headers, 'POST', '/api/v1/conversations', { message: { text: 'Hello from Bob', clientMessageId: 'b1' } })).conversation;
    const second = (await call(alice.headers, 'POST', `/api/v1/conversations/${a.id}/messages`, { text: 'A second line', clientMessageId: 'a2' })).message;
    await call(owner.headers, 'POST', `/api/v1/admin/conversations/${a.id}/messages`, { text: 'SECRET NOTE about Alice', clientMessageId: 'n1', internal: true });
    await call(owner.headers, 'POST', `/api/v1/admin/conversations/${a.id}/messages`, { text: 'Hi Alice, how can we help?', clientMessageId: 'r1' });
    await call(alice.headers, 'PATCH', `/api/v1/conversations/${a.id}/messages/${second.id}`, { text: 'A second line, edited' });
    await call(alice.headers, 'DELETE', `/api/v1/conversations/${a.id}/messages/${second.id}`);
    await call(owner.headers, 'PATCH', `/api/v1/admin/conversations/${a.id}`, { status: 'resolved' });
    await call(owner.headers, 'POST', `/api/v1/admin/users/${bob.userId}/deactivate`);

    const rows = await t.db.store.db.selectFrom('outbox').select(['id', 'ordering_key', 'payload']).where('kind', '=', 'webhook').orderBy('seq').execute();
    const expected = rows.map((r) => ({ id: r.id, key: r.ordering_key, type: (JSON.parse(r.payload) as { type: string }).type }));
    // What the test did, as Parley queued it: per conversation, per account.
    const typesOf = (key: string) => expected.filter((e) => e.key === key).map((e) => e.type);
    expect(typesOf(`${endpointId}:${a.id}`)).toEqual(['conversation.created', 'message.created', 'message.created', 'message.created', 'message.updated', 'message.deleted', 'conversation.updated']);
    expect(typesOf(`${endpointId}:${b.id}`)).toEqual(['conversation.created', 'message.created']);
    expect(typesOf(`${endpointId}:user:${bob.userId}`)).toEqual(['user.created', 'user.deactivated']);
    expect(typesOf(`${endpointId}:user:${alice.userId}`)).toEqual(['user.created']);
    expect(rows.some((r) => r.payload.includes('SECRET NOTE'))).toBe(false);

    // Down: one try of each key's first row, refused.
    await t.app.services.outboundWorker.drain();
    let log = (await call(owner.headers, 'GET', `/api/v1/admin/webhooks/${endpointId}/deliveries?limit=100`)).deliveries as { id: string; attempts: number; lastError: string | null; tries: { error: string | null }[] }[];
    const tried = log.filter((d) => d.attempts > 0);
    expect(tried.length).toBe(4); // alice's and bob's user.created, conversation a's and b's first rows
    for (const d of tried) expect(d.lastError).toContain('ECONNREFUSED');
    expect((await call(owner.headers, 'GET', `/api/v1/admin/webhooks/${endpointId}`)).endpoint.failingSince).toBe('2026-11-20T12:00:00.000Z');

    // Slow: the receiver takes the request but answers after the timeout, so the try fails.
    receiver = await startReceiver(port);
    receiver.state.clock = () => t.clock.now;
    receiver.state.mode = 'slow';
    t.clock.now += 5_000;
    await t.app.services.outboundWorker.drain();
    expect(receiver.received.length).toBe(4);
    log = (await call(owner.headers, 'GET', `/api/v1/admin/webhooks/${endpointId}/deliveries?limit=100`)).deliveries;
    for (const d of log.filter((x) => x.attempts > 0)) expect([d.attempts, d.tries.at(-1)!.error]).toEqual([2, 'no answer within 300 ms']);

    // Up: the next try of each head succeeds, and every row behind it follows, in order.
    receiver.state.mode = 'up';
    t.clock.now += 5 * 60_000;
    await t.app.services.outboundWorker.drain();
    const counts = await t.app.services.outbox.counts();
    expect(counts).toEqual({ pending: 0, sending: 0, done: expect.any(Number), failed: 0 });

    // Every request verifies at the time it was made, with the endpoint's secret.
    vi.useFakeTimers({ toFake: ['Date'] });
    const verified = receiver.received.map((r) => {
      vi.setSystemTime(r.at);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['user-agent']).toBe('Parley-Webhooks/1');
      expect(r.headers['webhook-timestamp']).toBe(String(Math.floor(r.at / 1000)));
      const payload = new Webhook(secret).verify(r.body, r.headers) as { type: string; timestamp: string; data: Record<string, unknown> };
      return { id: r.headers['webhook-id']!, payload };
    });
    vi.useRealTimers();
    // A wrong secret does not verify.
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 7).toString('base64')}`).verify(receiver!.received[0]!.body, receiver!.received[0]!.headers)).toThrow();

    // The slow tries and their retries carry the same ids; after them, each row arrives exactly once.
    const slowIds = verified.slice(0, 4).map((v) => v.id);
    const upIds = verified.slice(4).map((v) => v.id);
    for (const id of slowIds) expect(upIds).toContain(id);
    expect(new Set(upIds).size).toBe(upIds.length);
    expect([...upIds].sort()).toEqual(expected.map((e) => e.id).sort());
    // In order per key: the up phase's ids of each key come in the order they were queued.
    for (const key of new Set(expected.map((e) => e.key))) {
      const queued = expected.filter((e) => e.key === key).map((e) => e.id);
      expect(upIds.filter((id) => queued.includes(id)), key!).toEqual(queued);
    }
    // The body is the event: type, time, data.
    const first = verified.find((v) => v.id === expected.find((e) => e.key === `${endpointId}:${a.id}`)!.id)!.payload;
    expect(first).toEqual({ type: 'conversation.created', timestamp: '2026-11-20T12:00:00.000Z', data: { conversation: expect.objectContaining({ id: a.id }) } });
    const deactivated = verified.find((v) => v.payload.type === 'user.deactivated')!.payload;
    expect(deactivated.data).toEqual({ user: expect.objectContaining({ id: bob.userId, active: false }) });
    expect(receiver.received.some((r) => r.body.includes('SECRET NOTE'))).toBe(false);
    expect((await call(owner.headers, 'GET', `/api/v1/admin/webhooks/${endpointId}`)).endpoint.failingSince).toBeNull();
  });

  it('a 3xx is a failed try (not followed); five days of failures disable the endpoint and email its owners; a deleted endpoint fails for good', async () => {
    const elsewhere = await startReceiver();
    const redirecting = createServer((_req, res) => res.writeHead(302, { location: `http://127.0.0.1:${elsewhere.port}/caught` }).end('moved'));
    await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
    receiver = elsewhere;
    try {
      t = await createTestApp({ dialect, env: { PARLEY_WEBHOOKS_ALLOW_PRIVATE: 'true' }, webhookTimeoutMs: 300 });
      let owner = await sessionFor({ id: 'the-owner', email: 'owner@example.com' }, 'owner');
      const url = `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}/hook`;
      const endpoint = (await call(owner.headers, 'POST', '/api/v1/admin/webhooks', { url, events: ['user.created'] })).endpoint;
      const T0 = t.clock.now;
      await sessionFor({ id: 'u1' });
      await t.app.services.outboundWorker.drain();
      const log = (await call(owner.headers, 'GET', `/api/v1/admin/webhooks/${endpoint.id}/deliveries`)).deliveries;
      expect(log[0].tries).toEqual([{ at: '2026-11-20T12:00:00.000Z', statusCode: 302, durationMs: expect.any(Number), error: 'HTTP 302 (redirects are not followed): moved' }]);
      expect(elsewhere.received).toEqual([]);

      // New events keep failing; the first failed try five days after the first failure disables it.
      t.clock.now = T0 + WEBHOOK_DISABLE_AFTER_MS - 1;
      await sessionFor({ id: 'u2' });
      await t.app.services.outboundWorker.drain();
      owner = await sessionFor({ id: 'the-owner' }); // days later: a new session
      expect((await call(owner.headers, 'GET', `/api/v1/admin/webhooks/${endpoint.id}`)).endpoint.enabled).toBe(true);
      t.clock.now = T0 + WEBHOOK_DISABLE_AFTER_MS;
      await sessionFor({ id: 'u3' });
      await t.app.services.outboundWorker.drain();
      owner = await sessionFor({ id: 'the-owner' });
      const after = (await call(owner.headers, 'GET', `/api/v1/admin/webhooks/${endpoint.id}`)).endpoint;
      expect([after.enabled, after.disabledReason, after.failingSince]).toEqual([false, 'Deliveries failed for 5 days without a success.', '2026-11-20T12:00:00.000Z']);
      const mail = await t.db.store.db.selectFrom('outbox').select(['payload']).where('kind', '=', 'mail').execute();
      expect(mail.map((m) => JSON.parse(m.payload) as { to: string; subject: string })).toEqual([expect.objectContaining({ to: 'owner@example.com', subject: 'A webhook endpoint was disabled' })]);
      // A disabled endpoint is queued nothing more; enabling it again clears the failure.
      await sessionFor({ id: 'u4' });
      expect((await t.db.store.db.selectFrom('outbox').select('id').where('kind', '=', 'webhook').execute()).length).toBe(3);
      const enabled = (await call(owner.headers, 'PATCH', `/api/v1/admin/webhooks/${endpoint.id}`, { enabled: true })).endpoint;
      expect([enabled.enabled, enabled.disabledReason, enabled.failingSince]).toEqual([true, null, null]);

      // Deleted: its pending delivery fails for good at its next try.
      await sessionFor({ id: 'u5' });
      const pending = await t.db.store.db.selectFrom('outbox').select(['id']).where('kind', '=', 'webhook').where('status', '=', 'pending').execute();
      await call(owner.headers, 'DELETE', `/api/v1/admin/webhooks/${endpoint.id}`);
      t.clock.now += 24 * 3_600_000;
      await t.app.services.outboundWorker.drain();
      expect(pending.length).toBe(4); // u1, u2, u3 still due for a retry, and u5
      for (const row of pending) expect(await t.app.services.outbox.find(row.id)).toMatchObject({ status: 'failed', last_error: expect.stringMatching(/deleted|disabled/) });
    } finally {
      await new Promise<void>((resolve) => redirecting.close(() => resolve()));
    }
  });
});
