/** Messages, idempotent per (author, clientMessageId), paged newest last. */
import type { Kysely } from 'kysely';
import type { Store } from './database.js';
import type { Database, MessagesTable } from './schema.js';
import { newId } from '../ids.js';

/** A message with what its author shows: their name, avatar and role (null once the account is gone). */
export type MessageRow = Omit<MessagesTable, 'seq' | 'internal' | 'edited_at' | 'deleted_at'> & {
  seq: number;
  internal: number;
  edited_at: number | null;
  deleted_at: number | null;
  author_name: string | null;
  author_avatar_url: string | null;
  author_role: string | null;
};

function selectMessages(db: Kysely<Database>) {
  return db
    .selectFrom('messages')
    .leftJoin('users', 'users.id', 'messages.author_id')
    .selectAll('messages')
    .select(['users.name as author_name', 'users.avatar_url as author_avatar_url', 'users.role as author_role']);
}

export function createMessageRepository({ db }: Store) {
  return {
    /**
     * Inserts the message unless this author already sent one with this clientMessageId; answers the stored
     * message either way, and whether this call created it.
     */
    async insertOnce(
      executor: Kysely<Database>,
      input: { conversationId: string; authorType: MessagesTable['author_type']; authorId: string; text: string; clientMessageId: string },
      now: number,
    ): Promise<{ row: MessageRow; created: boolean }> {
      const id = newId('msg');
      const inserted = await executor
        .insertInto('messages')
        .values({
          id,
          conversation_id: input.conversationId,
          author_type: input.authorType,
          author_id: input.authorId,
          text: input.text,
          client_message_id: input.clientMessageId,
          created_at: now,
        })
        .onConflict((oc) => oc.columns(['author_id', 'client_message_id']).doNothing())
        .returning('id')
        .executeTakeFirst();
      const row = await selectMessages(executor)
        .where('messages.author_id', '=', input.authorId)
        .where('messages.client_message_id', '=', input.clientMessageId)
        .executeTakeFirstOrThrow();
      return { row, created: inserted !== undefined };
    },

    findById: (id: string) => selectMessages(db).where('messages.id', '=', id).executeTakeFirst(),

    /** The message this author sent with this clientMessageId, if any. */
    findByClientMessageId: (authorId: string, clientMessageId: string) =>
      selectMessages(db).where('messages.author_id', '=', authorId).where('messages.client_message_id', '=', clientMessageId).executeTakeFirst(),

    /** The `seq` of the conversation's first message, if it has one. */
    async firstSeqOf(conversationId: string): Promise<number | undefined> {
      const row = await db.selectFrom('messages').select((eb) => eb.fn.min('seq').as('seq')).where('conversation_id', '=', conversationId).executeTakeFirst();
      return row?.seq === null || row?.seq === undefined ? undefined : Number(row.seq);
    },

    /** Up to `limit` messages before `beforeSeq` (or the newest), returned oldest first. */
    async page(conversationId: string, beforeSeq: number | undefined, limit: number): Promise<{ rows: MessageRow[]; hasMore: boolean }> {
      let query = selectMessages(db).where('messages.conversation_id', '=', conversationId);
      if (beforeSeq !== undefined) query = query.where('messages.seq', '<', beforeSeq);
      const rows = await query.orderBy('messages.seq', 'desc').limit(limit + 1).execute();
      const hasMore = rows.length > limit;
      return { rows: rows.slice(0, limit).reverse(), hasMore };
    },

    /**
     * The newest message of each conversation given; internal notes count only `withNotes` (an
     * administrator's view), so a user's list never shows one.
     */
    async lastOf(conversationIds: readonly string[], withNotes = false): Promise<Map<string, MessageRow>> {
      if (conversationIds.length === 0) return new Map();
      const rows = await selectMessages(db)
        .where('messages.seq', 'in', (eb) => {
          let newest = eb.selectFrom('messages').select((e) => e.fn.max('seq').as('seq')).where('conversation_id', 'in', conversationIds);
          if (!withNotes) newest = newest.where('internal', '=', 0);
          return newest.groupBy('conversation_id');
        })
        .execute();
      return new Map(rows.map((r) => [r.conversation_id, r]));
    },
  };
}

export type MessageRepository = ReturnType<typeof createMessageRepository>;
