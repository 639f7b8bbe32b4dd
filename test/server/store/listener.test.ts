/**
 * A store's LISTEN (store/listener.ts): every channel on one connection, so that notifications of different
 * channels arrive in the order their transactions committed; after a drop every listener hears
 * LISTEN_RESUMED once the connection is back, and then its notifications again; the last listener gone, the
 * connection closes; a first connection that cannot be opened is the caller's error (every caller waiting for
 * it is told, nothing retries behind them); a close during an open leaves nothing open; a listener that
 * throws is reported as a warning and keeps none of the others from hearing.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createListener, LISTEN_RESUMED } from '../../../server/src/store/listener.js';
import { DIALECTS, POSTGRES_URL } from '../../helpers/databases.js';
import { until } from '../../helpers/until.js';


describe.skipIf(!DIALECTS.includes('postgres'))('a store’s LISTEN connection', () => {
  // A schema name of its own: the connection is known by its application_name (parley-listen:<schema>).
  const schema = `listener_${randomBytes(4).toString('hex')}`;
  let admin: pg.Client;
  let listener: ReturnType<typeof createListener>;
  beforeEach(async () => {
    admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    listener = createListener({ url: POSTGRES_URL, schema });
  });
  afterEach(async () => {
    await listener.close();
    await admin.end();
  });

  const connections = async () => Number((await admin.query(`select count(*)::int as n from pg_stat_activity where application_name = $1`, [`parley-listen:${schema}`])).rows[0].n);
  const notify = (channel: string, payload: string) => admin.query('select pg_notify($1, $2)', [channel, payload]);

  it('hears every channel on one connection, in the order of the commits', async () => {
    const heard: string[] = [];
    await listener.listen('first_channel', (payload) => heard.push(`first:${payload}`));
    await listener.listen('second_channel', (payload) => heard.push(`second:${payload}`));
    expect(await connections()).toBe(1);
    for (const [channel, payload] of [['first_channel', 'a'], ['second_channel', 'b'], ['first_channel', 'c'], ['second_channel', 'd']] as const) await notify(channel, payload);
    await until(() => heard.length === 4, 5000, 'four notifications');
    expect(heard).toEqual(['first:a', 'second:b', 'first:c', 'second:d']);
  });

  it('comes back after a drop: each listener hears LISTEN_RESUMED once, then its channel again', async () => {
    const heard: string[] = [];
    await listener.listen('first_channel', (payload) => heard.push(`first:${payload}`));
    await listener.listen('second_channel', (payload) => heard.push(`second:${payload}`));
    const killed = await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1`, [`parley-listen:${schema}`]);
    expect(killed.rows).toHaveLength(1);
    await until(() => heard.length === 2, 5000, 'both listeners resumed');
    expect(heard.sort()).toEqual([`first:${LISTEN_RESUMED}`, `second:${LISTEN_RESUMED}`]);
    await notify('second_channel', 'after');
    await until(() => heard.length === 3, 5000, 'a notification after the drop');
    expect(heard[2]).toBe('second:after');
    expect(await connections()).toBe(1);
  });

  it('stops hearing a channel when its last listener stops, and closes the connection with the last channel', async () => {
    const heard: string[] = [];
    const stopFirst = await listener.listen('first_channel', (payload) => heard.push(`first:${payload}`));
    const stopSecond = await listener.listen('second_channel', (payload) => heard.push(`second:${payload}`));
    await stopFirst();
    await notify('first_channel', 'unheard');
    await notify('second_channel', 'heard');
    await until(() => heard.length === 1, 5000, 'the second channel’s notification');
    expect(heard).toEqual(['second:heard']);
    await stopSecond();
    await until(async () => (await connections()) === 0, 5000, 'the connection closed');
  });

  /** A listener of a port nothing listens on. */
  const refused = async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return createListener({ url: `postgres://postgres@127.0.0.1:${port}/test`, schema });
  };

  it('throws when the first connection cannot be opened, and the next listen tries again', async () => {
    const nowhere = await refused();
    await expect(nowhere.listen('first_channel', () => undefined)).rejects.toThrow(/ECONNREFUSED|connect/);
    await expect(nowhere.listen('first_channel', () => undefined)).rejects.toThrow(/ECONNREFUSED|connect/);
    await nowhere.close();
  });

  it('throws to each of two listens that wait for one failed open, and retries nothing behind them', async () => {
    // A server that takes each connection and drops it at once: every attempt is counted.
    let attempts = 0;
    const server = createServer((socket) => {
      attempts++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const dropping = createListener({ url: `postgres://postgres@127.0.0.1:${port}/test`, schema });
    try {
      const settled = await Promise.allSettled([dropping.listen('first_channel', () => undefined), dropping.listen('second_channel', () => undefined)]);
      expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
      // One attempt each (the second tried again itself once the first had failed), and none after them:
      // a retry would come within 100 ms.
      expect(attempts).toBe(2);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(attempts).toBe(2);
    } finally {
      await dropping.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('closed while it opens: the listen throws, and no connection is left open', async () => {
    const opening = listener.listen('first_channel', () => undefined);
    await listener.close();
    await expect(opening).rejects.toThrow();
    await until(async () => (await connections()) === 0, 5000, 'no connection left');
    await expect(listener.listen('first_channel', () => undefined)).rejects.toThrow('the store is closed');
  });

  it('a listener that throws is reported, and the others of its channel still hear', async () => {
    const heard: string[] = [];
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      await listener.listen('first_channel', () => {
        throw new Error('a listener that fails');
      });
      await listener.listen('first_channel', (payload) => heard.push(payload));
      await notify('first_channel', 'still heard');
      await until(() => heard.length === 1 && warnings.length === 1, 5000, 'the notification and the warning');
      expect([heard, warnings]).toEqual([['still heard'], ['a listener that fails']]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('two listens of one new channel at once both hear what is sent once both have answered', async () => {
    const heard: string[] = [];
    await listener.listen('first_channel', () => undefined);
    await Promise.all([listener.listen('second_channel', (payload) => heard.push(`a:${payload}`)), listener.listen('second_channel', (payload) => heard.push(`b:${payload}`))]);
    await notify('second_channel', 'x');
    await until(() => heard.length === 2, 5000, 'both listeners');
    expect(heard.sort()).toEqual(['a:x', 'b:x']);
  });
});
