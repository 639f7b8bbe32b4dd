/**
 * Attached files (docs/attachments.md): one row per upload. An upload first reserves its room in the
 * uploader's quota (state `uploading`, `size` the most it may take), then becomes `ready` with its real
 * size and kind; a message takes ready files of its author (`message_id`); a deleted message's files become
 * `deleted` in its transaction, and the sweeper removes their bytes, then the rows.
 */
import { sql, type ExpressionBuilder, type Kysely } from 'kysely';
import type { Attachment } from '#shared/api.js';
import type { Store } from './database.js';
import type { AttachmentsTable, Database } from './schema.js';
import { transact } from './transaction.js';

export type AttachmentRow = AttachmentsTable;

/** A file as a message keeps it (messages.attachments): what its presentation needs, no more. */
export type StoredAttachment = Pick<Attachment, 'id' | 'name' | 'type' | 'size' | 'width' | 'height'>;

/** Where a file is downloaded from, relative to Parley's public URL. */
export const attachmentPath = (id: string) => `/api/v1/attachments/${id}`;

export const storedAttachment = (row: AttachmentRow): StoredAttachment => ({ id: row.id, name: row.name, type: row.type, size: Number(row.size), width: row.width, height: row.height });

/** How long an upload may stay `uploading` (a crashed instance's), and `ready` without a message. */
export const STALE_UPLOAD_MS = 60 * 60_000;
export const UNATTACHED_MS = 24 * 60 * 60_000;

/** Rows whose bytes should go at `now`: deleted, stuck uploading, or never attached. */
const sweepableAt = (eb: ExpressionBuilder<Database, 'attachments'>, now: number) =>
  eb.or([
    eb('state', '=', 'deleted'),
    eb.and([eb('state', '=', 'uploading'), eb('created_at', '<', now - STALE_UPLOAD_MS)]),
    eb.and([eb('state', '=', 'ready'), eb('message_id', 'is', null), eb('created_at', '<', now - UNATTACHED_MS)]),
  ]);

export function createAttachmentRepository({ db, dialect }: Store) {
  return {
    /**
     * Reserves `reserve` bytes of the uploader's quota for a new upload, unless their files (uploads in
     * progress included) and it would pass `quota`: answers false then. On PostgreSQL, the uploader's row is
     * locked for the check, so two uploads at once cannot both take the last room.
     */
    async reserve(input: { id: string; conversationId: string; uploaderId: string; name: string; storageKey: string; reserve: number; quota: number }, now: number): Promise<boolean> {
      return transact(db, async (trx) => {
        if (dialect === 'postgres') await sql`select id from users where id = ${input.uploaderId} for update`.execute(trx);
        const used = await trx
          .selectFrom('attachments')
          .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('size'), sql<number>`0`).as('bytes'))
          .where('uploader_id', '=', input.uploaderId)
          .where('state', '!=', 'deleted')
          .executeTakeFirstOrThrow();
        if (Number(used.bytes) + input.reserve > input.quota) return false;
        await trx
          .insertInto('attachments')
          .values({ id: input.id, conversation_id: input.conversationId, uploader_id: input.uploaderId, message_id: null, name: input.name, type: 'application/octet-stream', size: input.reserve, width: null, height: null, state: 'uploading', storage_key: input.storageKey, created_at: now })
          .execute();
        return true;
      });
    },

    /**
     * The upload's bytes are stored: its real size and kind; answers the row, or undefined when the upload
     * is no longer in progress (the sweep took it for abandoned, or its account was deleted meanwhile).
     */
    complete: (id: string, done: { name: string; type: string; size: number; width: number | null; height: number | null }) =>
      db.updateTable('attachments').set({ ...done, state: 'ready' }).where('id', '=', id).where('state', '=', 'uploading').returningAll().executeTakeFirst(),

    /** An upload that failed, whose bytes the storage may still hold: `deleted`, for the sweeper. */
    async abandon(id: string): Promise<void> {
      await db.updateTable('attachments').set({ state: 'deleted' }).where('id', '=', id).execute();
    },

    /** Forgets an upload that failed (its bytes are already gone). */
    async remove(id: string): Promise<void> {
      await db.deleteFrom('attachments').where('id', '=', id).execute();
    },

    findById: (id: string) => db.selectFrom('attachments').selectAll().where('id', '=', id).executeTakeFirst(),

    /**
     * Attaches the uploader's ready, unattached files of `ids` in the conversation to the message, in its
     * transaction; answers them in the order of `ids`. Anything else of `ids` is not attached, and the
     * caller refuses the message: an unknown or foreign id, one already attached.
     */
    async attach(executor: Kysely<Database>, input: { messageId: string; conversationId: string; uploaderId: string; ids: readonly string[] }): Promise<{ attached: AttachmentRow[]; used: boolean }> {
      if (input.ids.length === 0) return { attached: [], used: false };
      const rows = await executor
        .updateTable('attachments')
        .set({ message_id: input.messageId })
        .where('id', 'in', input.ids)
        .where('uploader_id', '=', input.uploaderId)
        .where('conversation_id', '=', input.conversationId)
        .where('state', '=', 'ready')
        .where('message_id', 'is', null)
        .returningAll()
        .execute();
      if (rows.length === input.ids.length) {
        const byId = new Map(rows.map((r) => [r.id, r]));
        return { attached: input.ids.map((id) => byId.get(id)!), used: false };
      }
      const taken = await executor.selectFrom('attachments').select('id').where('id', 'in', input.ids).where('uploader_id', '=', input.uploaderId).where('conversation_id', '=', input.conversationId).where('message_id', 'is not', null).where('message_id', '!=', input.messageId).executeTakeFirst();
      return { attached: rows, used: taken !== undefined };
    },

    /** A deleted message's files: `deleted`, for the sweeper; answers how many. */
    async discardOfMessage(executor: Kysely<Database>, messageId: string): Promise<number> {
      const rows = await executor.updateTable('attachments').set({ state: 'deleted' }).where('message_id', '=', messageId).where('state', '!=', 'deleted').returning('id').execute();
      return rows.length;
    },

    /** Up to `limit` rows whose bytes should go: deleted, stuck uploading, or never attached. */
    sweepable: (now: number, limit: number) =>
      db
        .selectFrom('attachments')
        .select(['id', 'storage_key', 'state'])
        .where((eb) => sweepableAt(eb, now))
        .limit(limit)
        .execute(),

    /**
     * Marks a row the sweeper found `deleted`, if it still is sweepable (a message may have taken it since):
     * answers its storage key then, else undefined. From here no message can take it.
     */
    async condemn(id: string, now: number): Promise<string | undefined> {
      const row = await db
        .updateTable('attachments')
        .set({ state: 'deleted' })
        .where('id', '=', id)
        .where((eb) => sweepableAt(eb, now))
        .returning('storage_key')
        .executeTakeFirst();
      return row?.storage_key;
    },
  };
}

export type AttachmentRepository = ReturnType<typeof createAttachmentRepository>;
