/**
 * Migration 0009 on SQLite: the messages' search index becomes contentless and keyed by conversation, filled
 * from the messages already there; its triggers follow every insert, edit, deletion and the deletion of a
 * whole conversation, and going back down restores 0008's index. What this index answers through the inbox
 * is tested in test/server/routes/inbox-search.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { migrateToLatest, schemaMigrations } from '../../../server/src/store/migrations.js';
import type { Database } from '../../../server/src/store/schema.js';

const NOW = Date.UTC(2026, 11, 1, 9, 0, 0);

describe('migration 0009 on sqlite, from a database at 0008', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('indexes the messages there, keyed by conversation, and follows every later change', async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-migration-'));
    const database = new SqliteDatabase(join(dir, 'parley.db'));
    database.pragma('foreign_keys = ON');
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
    /** (conversation id, message seq) of the messages whose text has `word` (a prefix), in key order. */
    const hits = (word: string) =>
      database
        .prepare(`select c.id as conversation, s.rowid & 4294967295 as seq from messages_search s join conversations c on c.rowid = s.rowid >> 32 where messages_search match ? order by s.rowid`)
        .all(`"${word}"*`);
    try {
      const migrator = new Migrator({ db, provider: { getMigrations: async () => schemaMigrations('sqlite') } });
      expect((await migrator.migrateTo('0008_search')).error).toBeUndefined();
      await db
        .insertInto('users')
        .values({ id: 'usr_1', external_id: 'u1', email: null, email_normalized: null, name: 'U', avatar_url: null, metadata: '{}', role: 'member', organization_id: 'default', active: 1, created_via: 'external_token', created_at: NOW, last_seen_at: null })
        .execute();
      for (const id of ['cnv_a', 'cnv_b']) {
        await db.insertInto('conversations').values({ id, organization_id: 'default', document_id: null, title: null, created_by: 'usr_1', created_at: NOW, last_message_at: null }).execute();
      }
      const message = (id: string, conversation: string, text: string) =>
        db.insertInto('messages').values({ id, conversation_id: conversation, author_type: 'user', author_id: 'usr_1', text, client_message_id: id, created_at: NOW }).execute();
      await message('msg_1', 'cnv_a', 'The printer jams');
      await message('msg_2', 'cnv_b', 'Printers everywhere');
      await message('msg_3', 'cnv_a', '');

      await migrateToLatest(db as never, 'sqlite');
      expect(hits('print')).toEqual([
        { conversation: 'cnv_a', seq: 1 },
        { conversation: 'cnv_b', seq: 2 },
      ]);

      await message('msg_4', 'cnv_b', 'The printer again');
      await db.updateTable('messages').set({ text: 'The scanner jams' }).where('id', '=', 'msg_1').execute();
      expect(hits('print')).toEqual([
        { conversation: 'cnv_b', seq: 2 },
        { conversation: 'cnv_b', seq: 4 },
      ]);
      expect(hits('scan')).toEqual([{ conversation: 'cnv_a', seq: 1 }]);
      await db.deleteFrom('messages').where('id', '=', 'msg_2').execute();
      expect(hits('print')).toEqual([{ conversation: 'cnv_b', seq: 4 }]);
      // Gone from the index's own pages too, not only from its answers (secure-delete).
      await db.updateTable('messages').set({ text: 'zanzibarquux' }).where('id', '=', 'msg_3').execute();
      const pages = () => (database.prepare('select block from messages_search_data').all() as { block: Buffer }[]).map((r) => r.block.toString('latin1')).join('');
      expect(pages()).toContain('zanzibarquux');
      await db.updateTable('messages').set({ text: '' }).where('id', '=', 'msg_3').execute();
      expect(pages()).not.toContain('zanzibarquux');
      expect(pages()).not.toContain('printers');
      // A conversation deleted takes its messages (cascaded) and their index rows with it.
      await db.deleteFrom('conversations').where('id', '=', 'cnv_b').execute();
      expect(hits('print')).toEqual([]);
      // msg_1 and msg_3 remain (an empty text has its row, without words), and the index is whole.
      expect(database.prepare(`select count(*) as n from messages_search`).get()).toEqual({ n: 2 });
      database.prepare(`insert into messages_search (messages_search) values ('integrity-check')`).run();

      // Down again: 0008's external-content index, filled from the messages.
      expect((await migrator.migrateTo('0008_search')).error).toBeUndefined();
      expect(database.prepare(`select m.id from messages_search s join messages m on m.seq = s.rowid where messages_search match '"scan"*'`).all()).toEqual([{ id: 'msg_1' }]);
    } finally {
      await db.destroy();
    }
  });
});
