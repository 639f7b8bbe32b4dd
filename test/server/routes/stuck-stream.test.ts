/**
 * Regression: a client that stops reading its event stream, then a logout that ends the stream while its
 * buffers are full, used to crash the process ("write after end" from the next heartbeat).
 */
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { openSse } from '../../helpers/sse.js';

const HEARTBEAT_MS = 30;
/** Conditions are polled this often, up to this long. */
const POLL = { interval: 5, timeout: 5000 };

describe('a stuck event-stream reader', () => {
  let t: TestApp;
  const uncaught: unknown[] = [];
  const onUncaught = (error: unknown) => uncaught.push(error);
  beforeEach(async () => {
    t = await createTestApp({ heartbeatMs: HEARTBEAT_MS });
    process.on('uncaughtException', onUncaught);
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    process.off('uncaughtException', onUncaught);
    await t.close();
  });

  const signIn = async (id: string) => {
    const exchange = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id } }) } });
    return exchange.json().session.token as string;
  };

  it('is dropped when it falls behind, and ending it later never writes after the end', async () => {
    const base = new URL(await t.app.listen({ port: 0, host: '127.0.0.1' }));
    const token = await signIn('slow');
    const auth = { authorization: `Bearer ${token}` };
    const listenersBefore = t.app.services.bus.size;
    const socket = connect(Number(base.port), '127.0.0.1');
    socket.write(`GET /api/v1/events HTTP/1.1\r\nHost: ${base.host}\r\nAuthorization: Bearer ${token}\r\n\r\n`);
    socket.pause(); // never reads again
    await vi.waitFor(() => expect(t.app.services.bus.size).toBe(listenersBefore + 1), POLL);
    const id = (await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: auth, payload: {} })).json().conversation.id;
    for (let i = 0; i < 250; i++) {
      await t.app.inject({ method: 'POST', url: `/api/v1/conversations/${id}/messages`, headers: auth, payload: { text: 'x'.repeat(9000), clientMessageId: `m${i}` } });
    }
    await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: auth });
    await vi.waitFor(() => expect(t.app.services.bus.size).toBe(listenersBefore), POLL);
    // Heartbeats must have come due since: a sentinel stream opened now with the same heartbeat interval.
    // Node runs timers of one duration in the order they were set, so by the time the sentinel has had its
    // third heartbeat, a heartbeat the stuck stream had left running would have fired at least three times.
    const sentinel = await openSse(`${base.origin}/api/v1/events`, { authorization: `Bearer ${await signIn('sentinel')}` });
    await sentinel.until((f) => f.filter((x) => x.comment === 'heartbeat').length >= 3);
    expect(uncaught).toEqual([]);
    expect(t.app.services.bus.size).toBe(listenersBefore + 1); // the sentinel's, and no other
    sentinel.close();
    socket.destroy();
  });

  it('a client that leaves while its session is being checked leaves nothing behind', async () => {
    const base = new URL(await t.app.listen({ port: 0, host: '127.0.0.1' }));
    const token = await signIn('gone');
    const before = t.app.services.bus.size;
    // Hold the session check until the client has gone, so that the handler surely runs after it left.
    const { sessions, bus } = t.app.services;
    const findValid = sessions.findValid.bind(sessions);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let checking = false;
    vi.spyOn(sessions, 'findValid').mockImplementation(async (...args) => {
      checking = true;
      await released;
      return findValid(...args);
    });
    const subscribe = vi.spyOn(bus, 'subscribe');
    const accepted = once(t.app.server, 'connection') as Promise<[Socket]>;
    const socket = connect(Number(base.port), '127.0.0.1');
    await once(socket, 'connect');
    socket.write(`GET /api/v1/events HTTP/1.1\r\nHost: ${base.host}\r\nAuthorization: Bearer ${token}\r\n\r\n`);
    const [serverSide] = await accepted;
    await vi.waitFor(() => expect(checking).toBe(true), POLL);
    const closed = once(serverSide, 'close');
    socket.destroy();
    await closed;
    release();
    // The handler subscribes, sees the client gone and closes, all before it first awaits: once it has
    // subscribed, whatever it was going to leave behind is there.
    await vi.waitFor(() => expect(subscribe).toHaveBeenCalledTimes(1), POLL);
    expect(bus.size).toBe(before);
    expect(uncaught).toEqual([]);
  });
});
