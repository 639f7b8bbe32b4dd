/**
 * Read markers: how far each participant has read each conversation, as the `seq` of the last message they
 * have read. A marker only moves forward, and a user's own messages never count as unread; nor, for anyone,
 * do internal notes (a user never sees them, and an administrator reads them as part of the thread) or
 * deleted messages (nothing is left to read).
 */
import type { Kysely } from 'kysely';
import type { Store } from './database.js';
import type { Database } from './schema.js';

/** Where one user stands in one conversation. */
export interface ReadState {
  unreadCount: number;
  lastReadMessageId: string | null;
}

export function createReadMarkerRepository({ db }: Store) {
  return {
    /**
     * Moves `userId`'s marker in the conversation to `seq` if that is further than it was (or it had none);
     * answers whether it moved. One statement, so that two tabs marking at once keep the furthest.
     */
    async advance(executor: Kysely<Database>, conversationId: string, userId: string, seq: number, now: number): Promise<boolean> {
      const moved = await executor
        .insertInto('read_markers')
        .values({ conversation_id: conversationId, user_id: userId, seq, updated_at: now })
        .onConflict((oc) =>
          oc
            .columns(['conversation_id', 'user_id'])
            .doUpdateSet({ seq, updated_at: now })
            .where('read_markers.seq', '<', seq),
        )
        .returning('seq')
        .executeTakeFirst();
      return moved !== undefined;
    },

    /**
     * The read state of `userId` in each conversation given, in one grouped query: for each conversation,
     * its marker and the messages after it whose author is someone else (or no one: a deleted account, the
     * assistant), neither notes nor deleted, counted through the (conversation_id, seq) index from the marker on.
     */
    async readStateOf(userId: string, conversationIds: readonly string[], executor: Kysely<Database> = db): Promise<Map<string, ReadState>> {
      if (conversationIds.length === 0) return new Map();
      const rows = await executor
        .selectFrom('conversations as c')
        .leftJoin('read_markers as r', (join) => join.onRef('r.conversation_id', '=', 'c.id').on('r.user_id', '=', userId))
        .leftJoin('messages as m', (join) =>
          join
            .onRef('m.conversation_id', '=', 'c.id')
            .on((eb) => eb('m.seq', '>', eb.fn.coalesce('r.seq', eb.lit(0))))
            .on((eb) => eb.or([eb('m.author_id', 'is', null), eb('m.author_id', '<>', userId)]))
            .on('m.internal', '=', 0)
            .on('m.deleted_at', 'is', null),
        )
        .select((eb) => [
          'c.id as conversation_id',
          eb.selectFrom('messages as read').select('read.id').whereRef('read.seq', '=', 'r.seq').as('last_read_message_id'),
          eb.fn.count<number | string>('m.seq').as('unread'),
        ])
        .where('c.id', 'in', conversationIds)
        .groupBy(['c.id', 'r.seq'])
        .execute();
      return new Map(rows.map((r) => [r.conversation_id, { unreadCount: Number(r.unread), lastReadMessageId: r.last_read_message_id ?? null }]));
    },
  };
}

export type ReadMarkerRepository = ReturnType<typeof createReadMarkerRepository>;
