/** Canned replies: each organization's snippets, found by the start of a word of their title or text. */
import { sql, type Kysely, type Selectable } from 'kysely';
import type { Store } from './database.js';
import type { CannedRepliesTable, Database } from './schema.js';
import { newId } from '../ids.js';

export type CannedReplyRow = Selectable<CannedRepliesTable>;

/** `q` as a LIKE pattern matched literally (its `%`, `_` and `\` escaped). */
const literal = (q: string) => q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`);

export function createCannedReplyRepository({ db }: Store) {
  return {
    /**
     * The organization's snippets by title; with `q`, those where a word of the title or the text starts
     * with it (case-insensitive), titles matching first. At most `limit`.
     */
    async list(organizationId: string, q: string | undefined, limit: number): Promise<CannedReplyRow[]> {
      let query = db.selectFrom('canned_replies').selectAll().where('organization_id', '=', organizationId);
      if (q !== undefined && q.trim() !== '') {
        const p = literal(q.trim());
        const word = (column: 'title' | 'text') => sql<boolean>`(lower(${sql.ref(column)}) like ${`${p}%`} escape '\\' or lower(${sql.ref(column)}) like ${`% ${p}%`} escape '\\')`;
        query = query.where((eb) => eb.or([word('title'), word('text')])).orderBy(sql`case when ${word('title')} then 0 else 1 end`);
      }
      return query.orderBy('title').orderBy('id').limit(limit).execute();
    },

    findById: (id: string, executor: Kysely<Database> = db) => executor.selectFrom('canned_replies').selectAll().where('id', '=', id).executeTakeFirst(),

    async create(executor: Kysely<Database>, input: { organizationId: string; title: string; text: string; createdBy: string | null }, now: number): Promise<CannedReplyRow> {
      const row: CannedReplyRow = { id: newId('cr'), organization_id: input.organizationId, title: input.title, text: input.text, created_by: input.createdBy, created_at: now, updated_at: now };
      await executor.insertInto('canned_replies').values(row).execute();
      return row;
    },

    update: (executor: Kysely<Database>, id: string, patch: { title?: string; text?: string }, now: number) =>
      executor.updateTable('canned_replies').set({ ...patch, updated_at: now }).where('id', '=', id).returningAll().executeTakeFirst(),

    async delete(executor: Kysely<Database>, id: string): Promise<boolean> {
      const result = await executor.deleteFrom('canned_replies').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
  };
}
