/**
 * Migration 0006 on a database made by the earlier ones: titles become optional, the old placeholder
 * 'New conversation' gives way to the first message's title (or null without messages), document rooms and
 * given titles stay, and on SQLite the rebuilt conversations table keeps every participant, message,
 * foreign key and index.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { migrateToLatest, schemaMigrations } from '../../../server/src/store/migrations.js';
import type { Database } from '../../../server/src/store/schema.js';
import { createTestStore, DIALECTS, type TestStore } from '../../helpers/databases.js';

const NOW = Date.UTC(2026, 10, 20, 12, 0, 0);
const LONG_LINE = `${'é'.repeat(90)}`;

/** Conversations as the old version left them, with their messages (oldest first). */
const BEFORE: { id: string; title: string; documentId?: string; messages: string[] }[] = [
  { id: 'cnv_a', title: 'New conversation', messages: ['\n  My screen flickers  \nsince the update', 'Second message'] },
  { id: 'cnv_b', title: 'New conversation', messages: [] },
  { id: 'cnv_c', title: 'Billing', messages: ['Invoice?'] },
  { id: 'cnv_d', title: 'New conversation', documentId: 'New conversation', messages: ['In a document room'] },
  { id: 'cnv_e', title: 'New conversation', messages: [LONG_LINE] },
];
const AFTER = { cnv_a: 'My screen flickers', cnv_b: null, cnv_c: 'Billing', cnv_d: 'New conversation', cnv_e: `${'é'.repeat(79)}…` };

async function seed(db: Kysely<Database>): Promise<void> {
  await db
    .insertInto('users')
    .values({ id: 'usr_1', external_id: 'u1', email: null, email_normalized: null, name: 'U', avatar_url: null, metadata: '{}', role: 'member', organization_id: 'default', active: 1, created_via: 'external_token', created_at: NOW, last_seen_at: null })
    .execute();
  let n = 0;
  for (const c of BEFORE) {
    await db.insertInto('conversations').values({ id: c.id, organization_id: 'default', document_id: c.documentId ?? null, title: c.title, created_by: 'usr_1', created_at: NOW, last_message_at: null }).execute();
    await db.insertInto('participants').values({ conversation_id: c.id, user_id: 'usr_1', joined_at: NOW }).execute();
    for (const text of c.messages) {
      n++;
      await db.insertInto('messages').values({ id: `msg_${n}`, conversation_id: c.id, author_type: 'user', author_id: 'usr_1', text, client_message_id: `c${n}`, created_at: NOW + n }).execute();
    }
  }
}

async function expectMigrated(db: Kysely<Database>): Promise<void> {
  const rows = await db.selectFrom('conversations').select(['id', 'title']).orderBy('id').execute();
  expect(Object.fromEntries(rows.map((r) => [r.id, r.title]))).toEqual(AFTER);
  expect(Number((await db.selectFrom('participants').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)).toBe(BEFORE.length);
  expect(Number((await db.selectFrom('messages').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n)).toBe(5);
  // A title may now be null, read markers can be written, and the foreign keys still hold and cascade.
  await db.insertInto('conversations').values({ id: 'cnv_new', organization_id: 'default', document_id: null, title: null, created_by: null, created_at: NOW, last_message_at: null }).execute();
  await db.insertInto('read_markers').values({ conversation_id: 'cnv_a', user_id: 'usr_1', seq: 1, updated_at: NOW }).execute();
  await expect(db.insertInto('participants').values({ conversation_id: 'cnv_nowhere', user_id: 'usr_1', joined_at: NOW }).execute()).rejects.toThrow();
  await db.deleteFrom('conversations').where('id', '=', 'cnv_a').execute();
  expect(await db.selectFrom('messages').select('id').where('conversation_id', '=', 'cnv_a').execute()).toEqual([]);
  expect(await db.selectFrom('read_markers').selectAll().execute()).toEqual([]);
  // One room per document, still.
  await expect(
    db.insertInto('conversations').values({ id: 'cnv_dup', organization_id: 'default', document_id: 'New conversation', title: 'x', created_by: null, created_at: NOW, last_message_at: null }).execute(),
  ).rejects.toThrow();
}

describe('migration 0006 on sqlite, from a database at 0005', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('rebuilds conversations with an optional title, keeping every row, key and index', async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-migration-'));
    const database = new SqliteDatabase(join(dir, 'parley.db'));
    database.pragma('foreign_keys = ON');
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
    try {
      const migrator = new Migrator({ db, provider: { getMigrations: async () => schemaMigrations('sqlite') } });
      const to0005 = await migrator.migrateTo('0005_signed_sessions');
      expect(to0005.error).toBeUndefined();
      await seed(db);
      await migrateToLatest(db as never, 'sqlite');
      expect(database.pragma('foreign_keys', { simple: true })).toBe(1);
      await expectMigrated(db);
    } finally {
      await db.destroy();
    }
  });
});

describe.each(DIALECTS.filter((d) => d === 'postgres'))('migration 0006 on %s, run again on a database that was at 0005', (dialect) => {
  let store: TestStore | undefined;
  afterEach(async () => {
    await store?.dispose();
  });

  it('makes titles optional and replaces the placeholder', async () => {
    store = await createTestStore(dialect);
    const { db } = store.store;
    // Back to what 0005 left: the later migrations undone, titles required, no read markers, 0006 not applied.
    const migrations = Object.entries(schemaMigrations('postgres'));
    for (const [name, migration] of migrations.filter(([name]) => name > '0006_titles_and_read_markers').reverse()) {
      if (!migration.down) throw new TypeError(`migration ${name} has no down() for this test`);
      await migration.down(db as never);
      await (db as unknown as Kysely<{ kysely_migration: { name: string } }>).deleteFrom('kysely_migration').where('name', '=', name).execute();
    }
    await db.schema.dropTable('read_markers').execute();
    await db.schema.alterTable('conversations').alterColumn('title', (c) => c.setNotNull()).execute();
    await (db as unknown as Kysely<{ kysely_migration: { name: string } }>).deleteFrom('kysely_migration').where('name', '=', '0006_titles_and_read_markers').execute();
    await seed(db);
    // Another connection opening the database runs the migration (under the tests' schema lock).
    const other = await store.elsewhere();
    await expectMigrated(other.db);
  });
});
