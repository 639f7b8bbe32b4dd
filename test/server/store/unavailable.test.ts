/**
 * The one classifier of "the database cannot be reached for now" (503, retried) against everything else
 * (a domain error, a constraint, a bug: never a 503), on synthetic errors shaped like pg's and
 * better-sqlite3's, and on real ones.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { ParleyError } from '../../../server/src/errors.js';
import { isDatabaseUnavailable } from '../../../server/src/store/unavailable.js';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable', () => {
  it.each([
    ['57P01 admin_shutdown', withCode('57P01', 'terminating connection due to administrator command')],
    ['57P02 crash_shutdown', withCode('57P02')],
    ['57P03 cannot_connect_now', withCode('57P03', 'the database system is starting up')],
    ['53300 too_many_connections', withCode('53300')],
    ['08006 connection_failure', withCode('08006')],
    ['08001 sqlclient_unable_to_establish_sqlconnection', withCode('08001')],
    ['08P01 protocol_violation', withCode('08P01')],
    ['ECONNREFUSED', withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['ECONNRESET', withCode('ECONNRESET')],
    ['ETIMEDOUT', withCode('ETIMEDOUT')],
    ['ENOTFOUND', withCode('ENOTFOUND')],
    ['an AggregateError of refused addresses', new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], 'connect failed')],
    ['a dropped socket', new Error('Connection terminated unexpectedly')],
    ['an ended client', new Error('Connection terminated')],
    ['a connect timeout', new Error('Connection terminated due to connection timeout', { cause: new Error('timeout expired') })],
    ['an exhausted pool', new Error('timeout exceeded when trying to connect')],
    ['a broken client', new Error('Client has encountered a connection error and is not queryable')],
    ['a wrapped cause', new Error('query failed', { cause: withCode('57P01') })],
    ['SQLITE_BUSY', withCode('SQLITE_BUSY', 'database is locked')],
    ['SQLITE_BUSY_SNAPSHOT', withCode('SQLITE_BUSY_SNAPSHOT')],
    ['SQLITE_IOERR_WRITE', withCode('SQLITE_IOERR_WRITE', 'disk I/O error')],
    ['SQLITE_CANTOPEN', withCode('SQLITE_CANTOPEN')],
    ['SQLITE_FULL', withCode('SQLITE_FULL')],
  ])('%s is unavailable', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['23505 unique_violation', withCode('23505', 'duplicate key value violates unique constraint')],
    ['42P01 undefined_table', withCode('42P01')],
    ['40001 serialization_failure', withCode('40001')],
    ['57014 query_canceled', withCode('57014')],
    ['SQLITE_CONSTRAINT_UNIQUE', withCode('SQLITE_CONSTRAINT_UNIQUE')],
    ['SQLITE_ERROR', withCode('SQLITE_ERROR', 'no such table: x')],
    ['SQLITE_BUSYNESS (not a prefix match)', withCode('SQLITE_BUSYNESS')],
    ['a closed pool', new Error('Cannot use a pool after calling end on the pool')],
    ['a domain error', new ParleyError('conversation_not_found')],
    ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a message that merely quotes one', new Error('the webhook answered: Connection terminated')],
    ['undefined', undefined],
    ['a string', 'ECONNREFUSED'],
    ['a numeric code', Object.assign(new Error('x'), { code: 8006 })],
  ])('%s is not', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });

  it('survives a cause cycle', () => {
    const a: Error & { cause?: unknown } = new Error('a');
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(isDatabaseUnavailable(a)).toBe(false);
  });

  it('classifies what pg really throws when nothing listens on the port', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/x`, connectionTimeoutMillis: 2000 });
    const error = await client.connect().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'ECONNREFUSED' });
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it('classifies what better-sqlite3 really throws when another connection holds the write lock', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-busy-'));
    const path = join(dir, 'busy.db');
    const holder = new SqliteDatabase(path);
    const other = new SqliteDatabase(path);
    try {
      holder.exec('create table t (x integer)');
      other.pragma('busy_timeout = 0');
      holder.exec('begin immediate');
      let error: unknown;
      try {
        other.exec('insert into t values (1)');
      } catch (e) {
        error = e;
      }
      expect(error).toMatchObject({ code: 'SQLITE_BUSY' });
      expect(isDatabaseUnavailable(error)).toBe(true);
      holder.exec('rollback');
    } finally {
      other.close();
      holder.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
