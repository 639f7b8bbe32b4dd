/**
 * Opens the database named by `DATABASE_URL`: better-sqlite3 in WAL mode by default, or a `pg` pool for
 * PostgreSQL. Both return the same `Kysely<Database>`; `dialect` is exposed only for the few statements that
 * must differ (seat locking, event ordering).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { DatabaseConfig, SqliteSynchronous } from '../config.js';
import { createListener } from './listener.js';
import { migrateToLatest } from './migrations.js';
import { prepareStatements } from './prepared-statements.js';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Store {
  db: Kysely<Database>;
  dialect: Dialect;
  /** Inside a transaction (store/transaction.ts): the store it runs on, whose caches it shares. */
  root?: Store;
  close(): Promise<void>;
  /**
   * SQLite only: `PRAGMA data_version`, which changes whenever another connection (the CLI, another process)
   * has committed since this one last looked. Read caches use it to stay exact (see read-cache.ts).
   */
  dataVersion?(): number;
  /**
   * PostgreSQL only: LISTEN on `channel`, calling `onNotify` for every NOTIFY (from any instance), over the
   * store's one LISTEN connection (store/listener.ts). Answers the function that stops listening.
   */
  listen?(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
}

export interface OpenOptions {
  /** PostgreSQL only: the schema to create and use (tests give each run its own). */
  schema?: string;
  /**
   * SQLite only: `PRAGMA synchronous`. In WAL mode `normal` (the default) loses no commit when the process
   * crashes, but the last commits before a power loss or an OS crash may roll back; `full` syncs the WAL at
   * every commit and survives those too, at the cost of one fsync per write.
   */
  sqliteSynchronous?: SqliteSynchronous;
  /** PostgreSQL only: the pool's most connections (`PARLEY_DB_POOL_SIZE`; 10 when omitted). */
  poolSize?: number;
  /** PostgreSQL only: run parameterised statements as prepared ones (`PARLEY_DB_PREPARED_STATEMENTS`; on when omitted). */
  preparedStatements?: boolean;
}

export { LISTEN_RESUMED } from './listener.js';

const INT8_OID = 20;

const STATEMENT_CACHE_SIZE = 500;
const DEFAULT_POOL_SIZE = 10;

/**
 * How long a connection attempt may take before it counts as a failure (503 to the request that waited),
 * rather than hanging while a host that dropped off the network never answers. The pool's limit includes the
 * wait for a free connection.
 */
const POOL_CONNECT_TIMEOUT_MS = 5000;

const ignore = () => undefined;

/**
 * better-sqlite3 behind a cache of prepared statements: Kysely's driver prepares every query it runs, and
 * preparing was a tenth of a sign-in's CPU time. Kysely's connection mutex runs one statement at a time, so
 * reusing a statement is safe; queries are parameterised, so the set of SQL texts is small (the cache is
 * bounded anyway).
 */
function withStatementCache(database: SqliteDatabase.Database) {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return {
    prepare(sql: string) {
      let statement = cache.get(sql);
      if (!statement) {
        statement = database.prepare(sql);
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
        cache.set(sql, statement);
      }
      return statement;
    },
    close: () => database.close(),
  };
}

function openSqlite(path: string, synchronous: SqliteSynchronous): { db: Kysely<Database>; dataVersion: () => number } {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const database = new SqliteDatabase(path);
  database.pragma('journal_mode = WAL');
  database.pragma(synchronous === 'full' ? 'synchronous = FULL' : 'synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  const dataVersion = database.prepare('pragma data_version').pluck();
  return {
    db: new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(database) as never }) }),
    dataVersion: () => dataVersion.get() as number,
  };
}

function openPostgres(url: string, schema: string | undefined, poolSize: number, prepared: boolean): Kysely<Database> {
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new TypeError(`bad schema name ${schema}`);
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: POOL_CONNECT_TIMEOUT_MS,
    keepAlive: true,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
    // bigint columns hold millisecond times and counts, all far below 2^53.
    types: { getTypeParser: (oid: number, format?: string) => (oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format as 'text')) } as never,
  });
  // An idle connection that the server drops (a restart, a failover) is reported here; without a listener it
  // would end the process. The pool has already discarded it, and the next query reconnects or fails with a
  // connection error that the request answers as 503.
  pool.on('error', ignore);
  // A connection in use (inside a transaction, say) that drops emits 'error' on the client itself, where the
  // pool listens only while it is idle: the query in flight fails, and the pool discards the client when it
  // comes back.
  pool.on('connect', (client) => {
    client.on('error', ignore);
    if (prepared) prepareStatements(client);
  });
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

async function migrated(db: Kysely<Database>, dialect: Dialect, schema: string | undefined): Promise<Kysely<Database>> {
  try {
    await migrateToLatest(db as Kysely<unknown>, dialect, schema);
    return db;
  } catch (error) {
    await db.destroy();
    throw error;
  }
}

/** Opens the database and applies pending migrations; the caller owns `close()`. */
export async function openStore(config: DatabaseConfig, options: OpenOptions = {}): Promise<Store> {
  if (config.kind === 'postgres' && options.schema) {
    const admin = new pg.Client({ connectionString: config.url, connectionTimeoutMillis: POOL_CONNECT_TIMEOUT_MS });
    admin.on('error', ignore); // a drop surfaces as the failed query below
    await admin.connect();
    try {
      await admin.query(`create schema if not exists ${options.schema}`);
    } finally {
      await admin.end();
    }
  }
  if (config.kind === 'sqlite') {
    const { db, dataVersion } = openSqlite(config.path, options.sqliteSynchronous ?? 'normal');
    await migrated(db, 'sqlite', undefined);
    return { db, dialect: 'sqlite', close: () => db.destroy(), dataVersion };
  }
  const db = await migrated(openPostgres(config.url, options.schema, options.poolSize ?? DEFAULT_POOL_SIZE, options.preparedStatements ?? true), 'postgres', options.schema);
  const listener = createListener({ url: config.url, schema: options.schema });
  return {
    db,
    dialect: 'postgres',
    async close() {
      await listener.close();
      await db.destroy();
    },
    listen: listener.listen,
  };
}
