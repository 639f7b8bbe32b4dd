/**
 * Shutdown and the event streams: a stream whose session check is still running when the app begins to close
 * is told to come back (`retry:`) and ended, like the streams already open, instead of holding the close.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { openSse } from '../../helpers/sse.js';

describe('a stream that opens while the app closes', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close().catch(() => undefined);
  });

  it('is told to reconnect and ended, and the close completes', async () => {
    t = await createTestApp();
    const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id: 'alice', name: 'Alice' } }) } });
    const headers = { authorization: `Bearer ${res.json().session.token}` };
    // The session check of the next stream waits until the close has begun.
    const sessions = t.app.services.sessions;
    const findValid = sessions.findValid.bind(sessions);
    let checking!: () => void;
    const checked = new Promise<void>((resolve) => (checking = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    sessions.findValid = async (...args: Parameters<typeof findValid>) => {
      checking();
      await released;
      return findValid(...args);
    };
    const stream = openSse(`${base}/api/v1/events`, headers);
    await checked;
    const closed = t.app.close();
    // preClose has run once the server stops accepting: then the check ends.
    await new Promise((resolve) => setImmediate(resolve));
    release();
    const reader = await stream;
    const frames = await reader.until((f) => f.some((x) => x.retry !== undefined));
    expect(frames.filter((f) => f.event === 'ready')).toEqual([]);
    await expect(closed).resolves.toBeUndefined();
    reader.close();
  });
});
