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
import type { DatabaseConfig } from '../config.js';
import { migrateToLatest } from './migrations.js';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Store {
  db: Kysely<Database>;
  dialect: Dialect;
  close(): Promise<void>;
  /**
   * SQLite only: `PRAGMA data_version`, which changes whenever another connection (the CLI, another process)
   * has committed since this one last looked. Read caches use it to stay exact (see read-cache.ts).
   */
  dataVersion?(): number;
  /**
   * PostgreSQL only: LISTEN on `channel` over a dedicated connection, calling `onNotify` for every NOTIFY
   * (from any instance). Answers the function that stops listening.
   */
  listen?(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
}

export interface OpenOptions {
  /** PostgreSQL only: the schema to create and use (tests give each run its own). */
  schema?: string;
}

const INT8_OID = 20;

const STATEMENT_CACHE_SIZE = 500;

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

function openSqlite(path: string): { db: Kysely<Database>; dataVersion: () => number } {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const database = new SqliteDatabase(path);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  const dataVersion = database.prepare('pragma data_version').pluck();
  return {
    db: new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(database) as never }) }),
    dataVersion: () => dataVersion.get() as number,
  };
}

function openPostgres(url: string, schema: string | undefined): Kysely<Database> {
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new TypeError(`bad schema name ${schema}`);
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
    // bigint columns hold millisecond times and counts, all far below 2^53.
    types: { getTypeParser: (oid: number, format?: string) => (oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format as 'text')) } as never,
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
    const admin = new pg.Client({ connectionString: config.url });
    await admin.connect();
    try {
      await admin.query(`create schema if not exists ${options.schema}`);
    } finally {
      await admin.end();
    }
  }
  if (config.kind === 'sqlite') {
    const { db, dataVersion } = openSqlite(config.path);
    await migrated(db, 'sqlite', undefined);
    return { db, dialect: 'sqlite', close: () => db.destroy(), dataVersion };
  }
  const db = await migrated(openPostgres(config.url, options.schema), 'postgres', options.schema);
  const listeners = new Set<() => Promise<void>>();
  return {
    db,
    dialect: 'postgres',
    async close() {
      for (const stop of [...listeners]) await stop();
      await db.destroy();
    },
    async listen(channel, onNotify) {
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) throw new TypeError(`bad channel name ${channel}`);
      let stopped = false;
      let client: pg.Client | null = null;
      let retry: ReturnType<typeof setTimeout> | undefined;
      let attempt = 0;
      // A dedicated connection that comes back after any drop (with backoff), LISTENs again, and then wakes
      // the listener once so it catches up with whatever committed while it was away.
      const connect = async (): Promise<void> => {
        const next = new pg.Client({
          connectionString: config.url,
          application_name: `parley-listen:${options.schema ?? 'public'}`,
          ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
        });
        next.on('notification', (message) => {
          if (message.channel === channel) onNotify(message.payload ?? '');
        });
        const lost = () => {
          if (stopped || client !== next) return;
          client = null;
          next.end().catch(() => undefined);
          retry = setTimeout(() => void reconnect(), Math.min(30_000, 500 * 2 ** attempt++));
        };
        next.on('error', lost);
        next.on('end', lost);
        client = next;
        await next.connect();
        await next.query(`listen ${channel}`);
        attempt = 0;
      };
      const reconnect = async () => {
        if (stopped) return;
        try {
          await connect();
          onNotify('');
        } catch {
          client?.emit('error', new Error('reconnect failed'));
        }
      };
      await connect();
      const stop = async () => {
        stopped = true;
        clearTimeout(retry);
        listeners.delete(stop);
        await client?.end().catch(() => undefined);
      };
      listeners.add(stop);
      return stop;
    },
  };
}
