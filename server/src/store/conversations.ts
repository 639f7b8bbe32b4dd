/** Conversations and their participants. */
import { sql, type Kysely, type Selectable } from 'kysely';
import type { Store } from './database.js';
import type { AccessRole, ConversationStatus, ConversationsTable, Database } from './schema.js';
import { newId } from '../ids.js';

export type ConversationRow = Selectable<ConversationsTable>;
/** A conversation as one account finds it: the row, and whether the account takes part in it. */
export type ConversationWithParticipation = { row: ConversationRow; participant: boolean };
/**
 * A conversation read ahead for a request (with its session): its id, and what the account found there
 * (null: none), with, for a document room, the account's role on its document (null: none) when it was read.
 */
export interface SeenConversation {
  id: string;
  found: (ConversationWithParticipation & { documentRole?: AccessRole | null }) | null;
}

/** What the inbox narrows to: a status, and an assignee (null: unassigned). Absent: any. */
export interface InboxFilter {
  status?: ConversationStatus;
  assigneeId?: string | null;
}

export interface ConversationCursor {
  activity: number;
  id: string;
}

/** Newest activity first: the last message's time, or the creation time for an empty conversation. */
export const activityOf = (c: ConversationRow) => c.last_message_at ?? c.created_at;

export function encodeCursor(c: ConversationRow): string {
  return `${activityOf(c)}.${c.id}`;
}

export function decodeCursor(raw: string): ConversationCursor | undefined {
  const match = /^(\d{1,16})\.([A-Za-z0-9_-]{1,64})$/.exec(raw);
  return match ? { activity: Number(match[1]), id: match[2] as string } : undefined;
}

export function createConversationRepository({ db, dialect }: Store) {
  const reopen = (executor: Kysely<Database>, id: string) =>
    executor.updateTable('conversations').set({ status: 'open', snoozed_until: null }).where('id', '=', id).where('status', '!=', 'open').returningAll().executeTakeFirst();

  return {
    async create(
      executor: Kysely<Database>,
      input: { organizationId: string; title: string | null; createdBy: string; participantIds: readonly string[]; documentId?: string },
      now: number,
    ): Promise<ConversationRow> {
      const row: ConversationRow = {
        id: newId('cnv'),
        organization_id: input.organizationId,
        document_id: input.documentId ?? null,
        title: input.title,
        created_by: input.createdBy,
        created_at: now,
        last_message_at: null,
        status: 'open',
        assignee_id: null,
        snoozed_until: null,
        assistant_off_at: null,
      };
      await executor.insertInto('conversations').values(row).execute();
      await executor
        .insertInto('participants')
        .values(input.participantIds.map((user_id) => ({ conversation_id: row.id, user_id, joined_at: now })))
        .execute();
      return row;
    },

    /** The shared conversation of a document, if someone has opened it already. */
    findByDocument: (organizationId: string, documentId: string) =>
      db.selectFrom('conversations').selectAll().where('organization_id', '=', organizationId).where('document_id', '=', documentId).executeTakeFirst(),

    findById: (id: string) => db.selectFrom('conversations').selectAll().where('id', '=', id).executeTakeFirst(),

    /** The conversation and whether `userId` takes part in it, in one query; undefined when it does not exist. */
    async findWithParticipation(id: string, userId: string): Promise<ConversationWithParticipation | undefined> {
      const found = await db
        .selectFrom('conversations')
        .selectAll('conversations')
        .select((eb) =>
          eb.exists(eb.selectFrom('participants').select('participants.user_id').whereRef('participants.conversation_id', '=', 'conversations.id').where('participants.user_id', '=', userId)).as('participant'),
        )
        .where('conversations.id', '=', id)
        .executeTakeFirst();
      if (!found) return undefined;
      // SQLite answers 0 or 1, PostgreSQL a boolean.
      const { participant, ...row } = found;
      return { row, participant: Boolean(participant) };
    },

    participantIds: async (id: string) =>
      (await db.selectFrom('participants').select('user_id').where('conversation_id', '=', id).execute()).map((r) => r.user_id),

    /** The participants of each conversation given (none: an empty list), in one query. */
    async participantIdsOf(ids: readonly string[]): Promise<Map<string, string[]>> {
      const byConversation = new Map<string, string[]>(ids.map((id) => [id, []]));
      if (ids.length === 0) return byConversation;
      const rows = await db.selectFrom('participants').select(['conversation_id', 'user_id']).where('conversation_id', 'in', [...new Set(ids)]).execute();
      for (const row of rows) byConversation.get(row.conversation_id)?.push(row.user_id);
      return byConversation;
    },

    /** Adds a participant unless present (an admin answering joins the conversation). */
    async join(executor: Kysely<Database>, conversationId: string, userId: string, now: number): Promise<boolean> {
      const added = await executor
        .insertInto('participants')
        .values({ conversation_id: conversationId, user_id: userId, joined_at: now })
        .onConflict((oc) => oc.columns(['conversation_id', 'user_id']).doNothing())
        .returning('user_id')
        .executeTakeFirst();
      return added !== undefined;
    },

    /**
     * A page of the conversations the user takes part in within their current organization, newest activity
     * first. Participation outlives a move to another organization; what the user may see does not.
     */
    listForParticipant(user: { id: string; organizationId: string }, cursor: ConversationCursor | undefined, limit: number) {
      const activity = (eb: any) => eb.fn.coalesce('conversations.last_message_at', 'conversations.created_at');
      let query = db
        .selectFrom('conversations')
        .innerJoin('participants', 'participants.conversation_id', 'conversations.id')
        .selectAll('conversations')
        .where('participants.user_id', '=', user.id)
        .where('conversations.organization_id', '=', user.organizationId);
      if (cursor) {
        query = query.where((eb) =>
          eb.or([
            eb(activity(eb), '<', cursor.activity),
            eb.and([eb(activity(eb), '=', cursor.activity), eb('conversations.id', '<', cursor.id)]),
          ]),
        );
      }
      return query
        .orderBy((eb) => activity(eb), 'desc')
        .orderBy('conversations.id', 'desc')
        .limit(limit)
        .execute();
    },

    /**
     * A page of an organization's conversations (the admin inbox), newest activity first, narrowed to a
     * status and an assignee when given.
     */
    listForOrganization(organizationId: string, filter: InboxFilter, cursor: ConversationCursor | undefined, limit: number) {
      const activity = (eb: any) => eb.fn.coalesce('last_message_at', 'created_at');
      let query = db.selectFrom('conversations').selectAll().where('organization_id', '=', organizationId);
      if (filter.status !== undefined) query = query.where('status', '=', filter.status);
      if (filter.assigneeId !== undefined) query = filter.assigneeId === null ? query.where('assignee_id', 'is', null) : query.where('assignee_id', '=', filter.assigneeId);
      if (cursor) {
        query = query.where((eb) => eb.or([eb(activity(eb), '<', cursor.activity), eb.and([eb(activity(eb), '=', cursor.activity), eb('id', '<', cursor.id)])]));
      }
      return query.orderBy((eb) => activity(eb), 'desc').orderBy('id', 'desc').limit(limit).execute();
    },

    /** How many conversations each view of the inbox holds for `adminId`, in one grouped query. */
    async countViews(organizationId: string, adminId: string): Promise<Record<'unassigned' | 'mine' | 'open' | 'snoozed' | 'resolved' | 'all', number>> {
      const rows = await db
        .selectFrom('conversations')
        .select((eb) => [
          'status',
          eb.fn.countAll<number | string>().as('n'),
          eb.fn.sum<number | string | null>(eb.case().when('assignee_id', 'is', null).then(1).else(0).end()).as('unassigned'),
          eb.fn.sum<number | string | null>(eb.case().when('assignee_id', '=', adminId).then(1).else(0).end()).as('mine'),
        ])
        .where('organization_id', '=', organizationId)
        .groupBy('status')
        .execute();
      const counts = { unassigned: 0, mine: 0, open: 0, snoozed: 0, resolved: 0, all: 0 };
      for (const row of rows) {
        const n = Number(row.n);
        counts.all += n;
        if (row.status === 'open' || row.status === 'snoozed' || row.status === 'resolved') counts[row.status] += n;
        if (row.status === 'open') {
          counts.unassigned += Number(row.unassigned ?? 0);
          counts.mine += Number(row.mine ?? 0);
        }
      }
      return counts;
    },

    /**
     * How many of the organization's open conversations wait for an answer: their last message (internal
     * notes aside) is not from an owner or admin, as the inbox marks them. One query, over the
     * (conversation_id, seq) index.
     */
    async countWaiting(organizationId: string): Promise<number> {
      const row = await db
        .selectFrom('conversations as c')
        .innerJoin('messages as m', 'm.conversation_id', 'c.id')
        .leftJoin('users as u', 'u.id', 'm.author_id')
        .where('c.organization_id', '=', organizationId)
        .where('c.status', '=', 'open')
        .where('m.seq', '=', (eb) => eb.selectFrom('messages as l').select((l) => l.fn.max('l.seq').as('s')).whereRef('l.conversation_id', '=', 'c.id').where('l.internal', '=', 0))
        .where((eb) => eb.or([eb('u.role', 'is', null), eb('u.role', 'not in', ['owner', 'admin'])]))
        // Answered by the assistant (docs/assistant.md): not waiting until it hands the conversation over.
        .where('m.author_type', '!=', 'assistant')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirst();
      return Number(row?.n ?? 0);
    },

    /** The participants of these conversations, with their name, role and the last message they have read. */
    async participantsOf(conversationIds: readonly string[]): Promise<{ conversation_id: string; id: string; name: string | null; role: string; last_read_message_id: string | null }[]> {
      if (conversationIds.length === 0) return [];
      const rows = await db
        .selectFrom('participants')
        .innerJoin('users', 'users.id', 'participants.user_id')
        .leftJoin('read_markers as r', (join) => join.onRef('r.conversation_id', '=', 'participants.conversation_id').onRef('r.user_id', '=', 'participants.user_id'))
        .leftJoin('messages as read', (join) => join.onRef('read.conversation_id', '=', 'r.conversation_id').onRef('read.seq', '=', 'r.seq'))
        .select(['participants.conversation_id', 'users.id', 'users.name', 'users.role', 'read.id as last_read_message_id'])
        .where('participants.conversation_id', 'in', conversationIds)
        .orderBy('participants.joined_at')
        .execute();
      return rows.map((r) => ({ ...r, last_read_message_id: r.last_read_message_id ?? null }));
    },

    /**
     * Records a message's time as the conversation's last activity. With `reopen`, a resolved or snoozed
     * conversation is opened again too, decided by the row as it is when this transaction locks it (a resolve
     * committed since it was read counts); answers the updated row when it was reopened. Either way the row
     * stays locked until the transaction ends, so later statements of the transaction (the notification
     * scheduler's look-up) see whatever a concurrent post of the conversation committed.
     */
    async touch(executor: Kysely<Database>, id: string, now: number, options: { reopen?: boolean } = {}): Promise<ConversationRow | undefined> {
      if (!options.reopen) {
        await executor.updateTable('conversations').set({ last_message_at: now }).where('id', '=', id).execute();
        return undefined;
      }
      if (dialect === 'postgres') {
        // One round trip: PostgreSQL before 18 cannot return a column's old value from an UPDATE, so the row is
        // locked and read first in a CTE. In READ COMMITTED, the lock waits for a concurrent writer of the
        // row and answers its committed version, which the UPDATE then changes. FOR NO KEY UPDATE, as the UPDATE
        // itself takes: FOR UPDATE would conflict with the FOR KEY SHARE that inserting a message (its foreign key)
        // took on this row, and two members posting at once would deadlock.
        const { rows } = await sql<ConversationRow & { prior_status: ConversationStatus }>`
          with prior as (select id, status from conversations where id = ${id} for no key update)
          update conversations c
          set last_message_at = ${now}, status = 'open', snoozed_until = case when prior.status = 'open' then c.snoozed_until else null end
          from prior where c.id = prior.id
          returning c.*, prior.status as prior_status`.execute(executor);
        const found = rows[0];
        if (!found || found.prior_status === 'open') return undefined;
        const { prior_status: _prior, ...row } = found;
        return row;
      }
      // SQLite: one writer at a time, so the second statement sees the row the first one wrote.
      await executor.updateTable('conversations').set({ last_message_at: now }).where('id', '=', id).execute();
      return reopen(executor, id);
    },

    /**
     * Gives an untitled conversation its title (from its first message); answers the updated row, or
     * undefined when it had one already (another first message came first).
     */
    titleIfUntitled: (executor: Kysely<Database>, id: string, title: string) =>
      executor.updateTable('conversations').set({ title }).where('id', '=', id).where('title', 'is', null).returningAll().executeTakeFirst(),

    /** Opens a resolved or snoozed conversation again; answers the updated row, or undefined when it was open. */
    reopen,

    /** Changes what an administrator may change; answers the updated row. */
    update: (executor: Kysely<Database>, id: string, patch: { title?: string; status?: ConversationStatus; snoozed_until?: number | null; assignee_id?: string | null }) =>
      executor.updateTable('conversations').set(patch).where('id', '=', id).returningAll().executeTakeFirst(),
  };
}

export type ConversationRepository = ReturnType<typeof createConversationRepository>;
