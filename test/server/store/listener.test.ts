/**
 * A store's LISTEN (store/listener.ts): every channel on one connection, so that notifications of different
 * channels arrive in the order their transactions committed; after a drop every listener hears
 * LISTEN_RESUMED once the connection is back, and then its notifications again; the last listener gone, the
 * connection closes; a first connection that cannot be opened is the caller's error.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createListener, LISTEN_RESUMED } from '../../../server/src/store/listener.js';
import { DIALECTS, POSTGRES_URL } from '../../helpers/databases.js';

/** Asks `condition` again every 10 ms until it holds; fails after `timeoutMs` with `what`. */
async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

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
    await until(() => heard.length === 4, 'four notifications');
    expect(heard).toEqual(['first:a', 'second:b', 'first:c', 'second:d']);
  });

  it('comes back after a drop: each listener hears LISTEN_RESUMED once, then its channel again', async () => {
    const heard: string[] = [];
    await listener.listen('first_channel', (payload) => heard.push(`first:${payload}`));
    await listener.listen('second_channel', (payload) => heard.push(`second:${payload}`));
    const killed = await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1`, [`parley-listen:${schema}`]);
    expect(killed.rows).toHaveLength(1);
    await until(() => heard.length === 2, 'both listeners resumed');
    expect(heard.sort()).toEqual([`first:${LISTEN_RESUMED}`, `second:${LISTEN_RESUMED}`]);
    await notify('second_channel', 'after');
    await until(() => heard.length === 3, 'a notification after the drop');
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
    await until(() => heard.length === 1, 'the second channel’s notification');
    expect(heard).toEqual(['second:heard']);
    await stopSecond();
    await until(async () => (await connections()) === 0, 'the connection closed');
  });

  it('throws when the first connection cannot be opened, and the next listen tries again', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const nowhere = createListener({ url: `postgres://postgres@127.0.0.1:${port}/test`, schema });
    await expect(nowhere.listen('first_channel', () => undefined)).rejects.toThrow(/ECONNREFUSED|connect/);
    await expect(nowhere.listen('first_channel', () => undefined)).rejects.toThrow(/ECONNREFUSED|connect/);
    await nowhere.close();
  });
});
