/**
 * `GET /healthz`: 200 while the database answers; 503 `database_unavailable` with a Retry-After when it
 * refuses, and when it stays silent (a load balancer must not wait forever).
 */
import { Kysely, SqliteDialect } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../../server/src/store/schema.js';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';

const cantOpen = () => Object.assign(new Error('unable to open database file'), { code: 'SQLITE_CANTOPEN' });

describe.each(DIALECTS)('GET /healthz on %s', (dialect) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ dialect });
  });
  afterEach(async () => {
    await t.close();
  });

  it('answers 200 {"status":"ok"} while the database answers', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
    expect(res.headers['cache-control']).toBe('no-store');
  });
});

describe('GET /healthz without a database', () => {
  let t: TestApp;
  let real: Kysely<Database>;
  beforeEach(async () => {
    t = await createTestApp();
    real = t.db.store.db;
  });
  afterEach(async () => {
    t.db.store.db = real;
    await t.close();
  });

  it('answers 503 database_unavailable with a Retry-After when the database cannot be opened', async () => {
    t.db.store.db = new Kysely<Database>({ dialect: new SqliteDialect({ database: async () => Promise.reject(cantOpen()) }) });
    const res = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ error: { code: 'database_unavailable', message: 'The database is not reachable.' } });
    expect(res.headers['retry-after']).toBe('2');
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('answers 503 when the database does not answer at all', async () => {
    t.db.store.db = new Kysely<Database>({ dialect: new SqliteDialect({ database: () => new Promise(() => undefined) }) });
    const res = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(503);
    expect(res.json().error.code).toBe('database_unavailable');
  });
});
