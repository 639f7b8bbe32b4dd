/**
 * The databases every storage-facing test runs on: SQLite always, PostgreSQL when it answers at
 * PARLEY_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test). Each store gets its own
 * schema (PostgreSQL) or file (SQLite), removed on close.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { DatabaseConfig } from '../../server/src/config.js';
import { openStore, type Store } from '../../server/src/store/database.js';

export const POSTGRES_URL = process.env['PARLEY_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

async function postgresAnswers(): Promise<string | null> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return null;
  } catch (error) {
    return (error as Error).message;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const postgresProblem = await postgresAnswers();
if (postgresProblem) console.warn(`PostgreSQL tests skipped: ${POSTGRES_URL} does not answer (${postgresProblem}).`);

/**
 * Kysely's migrator introspects the tables of every schema, and PostgreSQL's `pg_get_serial_sequence` then
 * fails with 'schema "t_…" does not exist' when another test drops its schema at that moment. Opening a store
 * (migrations included) holds this advisory lock shared, dropping a schema holds it exclusively.
 */
const SCHEMA_LOCK = 7_201_226;

export async function withSchemaLock<T>(mode: 'shared' | 'exclusive', run: () => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(mode === 'shared' ? 'select pg_advisory_lock_shared($1)' : 'select pg_advisory_lock($1)', [SCHEMA_LOCK]);
    return await run();
  } finally {
    await client.end(); // ends the session, and with it the lock
  }
}

export type DialectName = 'sqlite' | 'postgres';
/** The dialects to run on: `describe.each(DIALECTS)`. */
export const DIALECTS: DialectName[] = postgresProblem ? ['sqlite'] : ['sqlite', 'postgres'];

export interface TestStore {
  store: Store;
  database: DatabaseConfig;
  schema: string | undefined;
  /**
   * A second connection to the same database, as the CLI or another instance has: its writes reach this
   * process's caches only the way a real other process's do. Closed by `dispose`.
   */
  elsewhere(): Promise<Store>;
  dispose(): Promise<void>;
}

export async function createTestStore(dialect: DialectName): Promise<TestStore> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'parley-test-'));
    const database: DatabaseConfig = { kind: 'sqlite', path: join(dir, 'parley.db') };
    const store = await openStore(database);
    const others: Store[] = [];
    return {
      store,
      database,
      schema: undefined,
      async elsewhere() {
        const other = await openStore(database);
        others.push(other);
        return other;
      },
      async dispose() {
        for (const other of others) await other.close();
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const database: DatabaseConfig = { kind: 'postgres', url: POSTGRES_URL };
  const store = await withSchemaLock('shared', () => openStore(database, { schema }));
  const others: Store[] = [];
  return {
    store,
    database,
    schema,
    async elsewhere() {
      const other = await withSchemaLock('shared', () => openStore(database, { schema }));
      others.push(other);
      return other;
    },
    async dispose() {
      for (const other of others) await other.close();
      await store.close();
      await withSchemaLock('exclusive', async () => {
        const client = new pg.Client({ connectionString: POSTGRES_URL });
        await client.connect();
        await client.query(`drop schema if exists ${schema} cascade`);
        await client.end();
      });
    },
  };
}
