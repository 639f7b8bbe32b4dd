/**
 * Messages, idempotent per (author, clientMessageId), paged newest last. An internal note (`internal` 1) is
 * for administrators: every read a user's view makes leaves notes out unless told `withNotes`. An edit keeps
 * the row and sets `edited_at`; a deletion empties the text and sets `deleted_at`, so the thread still shows
 * where a message was.
 */
import { sql, type Kysely } from 'kysely';
import type { Store } from './database.js';
import { createReadMarkerRepository } from './read-markers.js';
import type { Database, MessagesTable } from './schema.js';
import { newId } from '../ids.js';
import type { StoredAttachment } from './attachments.js';

/** A message with what its author shows: their name, avatar and role (null once the account is gone). */
export type MessageRow = Omit<MessagesTable, 'seq' | 'internal' | 'edited_at' | 'deleted_at' | 'attachments' | 'assistant_name'> & {
  attachments: string | null;
  /** An assistant's message: the assistant's name (docs/assistant.md). */
  assistant_name: string | null;
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

export function createMessageRepository(store: Store) {
  const { db, dialect } = store;
  const readMarkers = createReadMarkerRepository(store);
  return {
    /**
     * Inserts the message unless this author already sent one with this clientMessageId; answers the stored
     * message either way, and whether this call created it. With `markRead`, a new message also moves its
     * author's read marker to it (as store/read-markers.ts's `advance`), in the same statement on PostgreSQL.
     */
    async insertOnce(
      executor: Kysely<Database>,
      input: { conversationId: string; authorType: MessagesTable['author_type']; authorId: string; text: string; clientMessageId: string; internal?: boolean; markRead?: boolean },
      now: number,
    ): Promise<{ row: MessageRow; created: boolean }> {
      const id = newId('msg');
      const values = {
        id,
        conversation_id: input.conversationId,
        author_type: input.authorType,
        author_id: input.authorId,
        text: input.text,
        client_message_id: input.clientMessageId,
        created_at: now,
        internal: input.internal ? 1 : 0,
      };
      let inserted: MessageRow | undefined;
      if (input.markRead && dialect === 'postgres') {
        // A data-modifying CTE runs once whether or not the main query reads it: the marker moves only when a
        // row was inserted (none on a retry), and the row comes back with its author, in one round trip.
        inserted = await executor
          .with('m', (qb) =>
            qb
              .insertInto('messages')
              .values(values)
              .onConflict((oc) => oc.columns(['author_id', 'client_message_id']).doNothing())
              .returningAll(),
          )
          .with('r', (qb) =>
            qb
              .insertInto('read_markers')
              .columns(['conversation_id', 'user_id', 'seq', 'updated_at'])
              .expression((eb) => eb.selectFrom('m').select(['m.conversation_id', sql<string>`${input.authorId}`.as('user_id'), 'm.seq', sql<number>`${now}::bigint`.as('updated_at')]))
              .onConflict((oc) =>
                oc
                  .columns(['conversation_id', 'user_id'])
                  .doUpdateSet({ seq: (eb) => eb.ref('excluded.seq'), updated_at: (eb) => eb.ref('excluded.updated_at') })
                  .whereRef('read_markers.seq', '<', 'excluded.seq'),
              ),
          )
          .selectFrom('m')
          .leftJoin('users', 'users.id', 'm.author_id')
          .selectAll('m')
          .select(['users.name as author_name', 'users.avatar_url as author_avatar_url', 'users.role as author_role'])
          .executeTakeFirst();
      } else {
        inserted = await executor
          .insertInto('messages')
          .values(values)
          .onConflict((oc) => oc.columns(['author_id', 'client_message_id']).doNothing())
          // The row as selectMessages reads it, author included, in the insert's own round trip.
          .returningAll()
          .returning((eb) => [
            eb.selectFrom('users').select('users.name').whereRef('users.id', '=', 'messages.author_id').as('author_name'),
            eb.selectFrom('users').select('users.avatar_url').whereRef('users.id', '=', 'messages.author_id').as('author_avatar_url'),
            eb.selectFrom('users').select('users.role').whereRef('users.id', '=', 'messages.author_id').as('author_role'),
          ])
          .executeTakeFirst();
        if (inserted && input.markRead) await readMarkers.advance(executor, input.conversationId, input.authorId, inserted.seq, now);
      }
      if (inserted) return { row: inserted, created: true };
      const row = await selectMessages(executor)
        .where('messages.author_id', '=', input.authorId)
        .where('messages.client_message_id', '=', input.clientMessageId)
        .executeTakeFirstOrThrow();
      return { row, created: false };
    },

    /** Records the message's files (as presented, in order) on its row; answers the row with them. */
    async setAttachments(executor: Kysely<Database>, row: MessageRow, files: readonly StoredAttachment[]): Promise<MessageRow> {
      const attachments = JSON.stringify(files);
      await executor.updateTable('messages').set({ attachments }).where('id', '=', row.id).execute();
      return { ...row, attachments };
    },

    findById: (id: string) => selectMessages(db).where('messages.id', '=', id).executeTakeFirst(),

    /** The message this author sent with this clientMessageId, if any (seen from `executor`'s transaction when given). */
    findByClientMessageId: (authorId: string, clientMessageId: string, executor: Kysely<Database> = db) =>
      selectMessages(executor).where('messages.author_id', '=', authorId).where('messages.client_message_id', '=', clientMessageId).executeTakeFirst(),

    /** The `seq` of the conversation's first message, if it has one. */
    async firstSeqOf(conversationId: string): Promise<number | undefined> {
      const row = await db.selectFrom('messages').select((eb) => eb.fn.min('seq').as('seq')).where('conversation_id', '=', conversationId).executeTakeFirst();
      return row?.seq === null || row?.seq === undefined ? undefined : Number(row.seq);
    },

    /** Up to `limit` messages before `beforeSeq` (or the newest), returned oldest first; notes only `withNotes`. */
    async page(conversationId: string, beforeSeq: number | undefined, limit: number, withNotes = false): Promise<{ rows: MessageRow[]; hasMore: boolean }> {
      let query = selectMessages(db).where('messages.conversation_id', '=', conversationId);
      if (!withNotes) query = query.where('messages.internal', '=', 0);
      if (beforeSeq !== undefined) query = query.where('messages.seq', '<', beforeSeq);
      const rows = await query.orderBy('messages.seq', 'desc').limit(limit + 1).execute();
      const hasMore = rows.length > limit;
      return { rows: rows.slice(0, limit).reverse(), hasMore };
    },

    /** Up to `limit` messages after `afterSeq` (or from the first), oldest first; notes only `withNotes` (exports). */
    async pageAfter(conversationId: string, afterSeq: number | undefined, limit: number, withNotes = false): Promise<MessageRow[]> {
      let query = selectMessages(db).where('messages.conversation_id', '=', conversationId);
      if (!withNotes) query = query.where('messages.internal', '=', 0);
      if (afterSeq !== undefined) query = query.where('messages.seq', '>', afterSeq);
      return query.orderBy('messages.seq', 'asc').limit(limit).execute();
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

    /**
     * The newest message that is not a note, at or before `seq` in the conversation: what a read marker that
     * stands on a note means to those who never see notes. One step down the (conversation_id, seq) index.
     */
    newestPublicUpTo: (conversationId: string, seq: number) =>
      selectMessages(db)
        .where('messages.conversation_id', '=', conversationId)
        .where('messages.seq', '<=', seq)
        .where('messages.internal', '=', 0)
        .orderBy('messages.seq', 'desc')
        .limit(1)
        .executeTakeFirst(),

    /** Replaces the text of a message that is not deleted; answers the message as it now is, or undefined. */
    async edit(executor: Kysely<Database>, id: string, text: string, now: number): Promise<MessageRow | undefined> {
      const changed = await executor.updateTable('messages').set({ text, edited_at: now }).where('id', '=', id).where('deleted_at', 'is', null).returning('id').executeTakeFirst();
      return changed ? selectMessages(executor).where('messages.id', '=', id).executeTakeFirstOrThrow() : undefined;
    },

    /**
     * Deletes a message that is not deleted yet: its text goes (from storage, and so from search), the row
     * stays with `deleted_at`. Answers the message as it now is, or undefined when it was deleted already.
     */
    async markDeleted(executor: Kysely<Database>, id: string, now: number): Promise<MessageRow | undefined> {
      const changed = await executor.updateTable('messages').set({ text: '', deleted_at: now, attachments: null }).where('id', '=', id).where('deleted_at', 'is', null).returning('id').executeTakeFirst();
      return changed ? selectMessages(executor).where('messages.id', '=', id).executeTakeFirstOrThrow() : undefined;
    },
  };
}

export type MessageRepository = ReturnType<typeof createMessageRepository>;
