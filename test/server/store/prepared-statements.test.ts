/**
 * Prepared statements on PostgreSQL (store/prepared-statements.ts): a pool's connections run parameterised
 * statements under a name, so PostgreSQL plans them once; PARLEY_DB_PREPARED_STATEMENTS=false runs them
 * unnamed; a prepared statement whose result changed shape (a column added by another instance's migration)
 * fails once, and the connection prepares it again.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../../server/src/store/database.js';
import { DIALECTS, POSTGRES_URL, withSchemaLock } from '../../helpers/databases.js';

describe.skipIf(!DIALECTS.includes('postgres'))('prepared statements on PostgreSQL', () => {
  const schema = `t_prep_${randomBytes(5).toString('hex')}`;
  let store: Store | undefined;
  // Opened and dropped under the helpers' schema lock: another test's migrations must not see it vanish.
  const open = async (options: { preparedStatements?: boolean } = {}) => {
    const previous = store;
    store = undefined;
    await previous?.close();
    store = await withSchemaLock('shared', () => openStore({ kind: 'postgres', url: POSTGRES_URL }, { schema, poolSize: 1, ...options }));
    return store;
  };
  afterEach(async () => {
    const previous = store;
    store = undefined;
    await previous?.close();
    await withSchemaLock('exclusive', async () => {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
    });
  });

  /** The names one connection prepares to run a parameterised statement (a pool of one: always the same connection). */
  const preparedBy = (db: Store['db']) =>
    db.transaction().execute(async (trx) => {
      const names = async () => (await sql<{ name: string }>`select name from pg_prepared_statements`.execute(trx)).rows.map((r) => r.name);
      const before = await names();
      await trx.selectFrom('users').select('id').where('id', '=', 'nobody').execute();
      return (await names()).filter((name) => !before.includes(name));
    });

  it('names each parameterised statement once per connection, unless turned off', async () => {
    const first = await preparedBy((await open()).db);
    expect(first).toHaveLength(1);
    expect(first[0]).toMatch(/^parley_[0-9a-f]{20}$/);
    // The same statement again on that connection: nothing new to prepare.
    expect(await preparedBy(store!.db)).toEqual([]);
    const unprepared = await open({ preparedStatements: false });
    expect(await preparedBy(unprepared.db)).toEqual([]);
    const all = await sql<{ n: number }>`select count(*)::int as n from pg_prepared_statements`.execute(unprepared.db);
    expect(all.rows[0]!.n).toBe(0);
  });

  it('a statement whose result changed shape fails once, then runs prepared again', async () => {
    const { db } = await open();
    await sql`create table probe (a integer)`.execute(db);
    await sql`insert into probe (a) values (1)`.execute(db);
    const read = () => sql<Record<string, number>>`select * from probe where a = ${1}`.execute(db);
    expect((await read()).rows).toEqual([{ a: 1 }]);
    // Another instance's migration, through a connection of its own.
    const other = new pg.Client({ connectionString: POSTGRES_URL, options: `-c search_path=${schema}` });
    await other.connect();
    await other.query('alter table probe add column b integer default 2');
    await other.end();
    await expect(read()).rejects.toThrow('cached plan must not change result type');
    expect((await read()).rows).toEqual([{ a: 1, b: 2 }]);
    // Prepared again, under a name of the connection's next generation.
    const names = await sql<{ name: string; statement: string }>`select name, statement from pg_prepared_statements`.execute(db);
    const probes = names.rows.filter((r) => r.statement.includes('from probe')).map((r) => r.name).sort();
    expect(probes).toHaveLength(2);
    expect(probes[0]).toMatch(/^parley_[0-9a-f]{20}$/);
    expect(probes[1]).toBe(`${probes[0]}_1`);
  });
});
