/**
 * Regression: a client that stops reading its event stream, then a logout that ends the stream while its
 * buffers are full, used to crash the process ("write after end" from the next heartbeat).
 */
import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';

describe('a stuck event-stream reader', () => {
  let t: TestApp;
  const uncaught: unknown[] = [];
  const onUncaught = (error: unknown) => uncaught.push(error);
  beforeEach(async () => {
    t = await createTestApp({ heartbeatMs: 30 });
    process.on('uncaughtException', onUncaught);
  });
  afterEach(async () => {
    process.off('uncaughtException', onUncaught);
    await t.close();
  });

  it('is dropped when it falls behind, and ending it later never writes after the end', async () => {
    const base = new URL(await t.app.listen({ port: 0, host: '127.0.0.1' }));
    const exchange = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id: 'slow' } }) } });
    const token = exchange.json().session.token as string;
    const auth = { authorization: `Bearer ${token}` };
    const listenersBefore = t.app.services.bus.size;
    const socket = connect(Number(base.port), '127.0.0.1');
    socket.write(`GET /api/v1/events HTTP/1.1\r\nHost: ${base.host}\r\nAuthorization: Bearer ${token}\r\n\r\n`);
    socket.pause(); // never reads again
    await new Promise((r) => setTimeout(r, 100));
    expect(t.app.services.bus.size).toBe(listenersBefore + 1);
    const id = (await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: auth, payload: {} })).json().conversation.id;
    for (let i = 0; i < 250; i++) {
      await t.app.inject({ method: 'POST', url: `/api/v1/conversations/${id}/messages`, headers: auth, payload: { text: 'x'.repeat(9000), clientMessageId: `m${i}` } });
    }
    await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: auth });
    await new Promise((r) => setTimeout(r, 200)); // several heartbeats
    expect(uncaught).toEqual([]);
    expect(t.app.services.bus.size).toBe(listenersBefore);
    socket.destroy();
  });

  it('a client that leaves while its session is being checked leaves nothing behind', async () => {
    const base = new URL(await t.app.listen({ port: 0, host: '127.0.0.1' }));
    const exchange = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id: 'gone' } }) } });
    const token = exchange.json().session.token as string;
    const before = t.app.services.bus.size;
    const socket = connect(Number(base.port), '127.0.0.1');
    socket.end(`GET /api/v1/events HTTP/1.1\r\nHost: ${base.host}\r\nAuthorization: Bearer ${token}\r\n\r\n`);
    socket.destroy();
    await new Promise((r) => setTimeout(r, 200));
    expect(t.app.services.bus.size).toBe(before);
    expect(uncaught).toEqual([]);
  });
});
