/**
 * Full-text search of an organization's conversations (the inbox's `q`, docs/admin-api.md, Inbox) over the
 * indexes of migration 0008_search: FTS5 tables on SQLite, GIN expression indexes on PostgreSQL. Both answer
 * the same conversations in the same order, because the ranking is computed here from which documents match,
 * not from either engine's own relevance score (bm25 and ts_rank disagree).
 */
import { sql, type RawBuilder } from 'kysely';
import type { Store } from './database.js';
import type { ConversationRow, InboxFilter } from './conversations.js';
import { fts5Prefix, POSTGRES_SEARCH_TEXT, postgresSearchVector, tsqueryPrefix } from './search-query.js';

/**
 * What a word earns a conversation: the title containing it, any participant's name or email containing it,
 * and each message containing it, up to `MESSAGE_HITS_COUNTED` of them.
 */
export const SEARCH_WEIGHTS = { title: 3, participant: 2, message: 1 } as const;
const MESSAGE_HITS_COUNTED = 3;

/** A word's matches, one row per conversation and place: (cid, w, score). */
type Hits = (word: string, w: number) => RawBuilder<unknown>;

const messageScore = sql`case when count(*) > ${sql.lit(MESSAGE_HITS_COUNTED)} then ${sql.lit(MESSAGE_HITS_COUNTED * SEARCH_WEIGHTS.message)} else count(*) * ${sql.lit(SEARCH_WEIGHTS.message)} end`;

const sqliteHits: Hits = (word, w) => {
  const match = fts5Prefix(word);
  return sql`
    select m.conversation_id as cid, ${sql.lit(w)} as w, ${messageScore} as score
      from messages_search join messages m on m.seq = messages_search.rowid
      where messages_search match ${match} and m.deleted_at is null
      group by m.conversation_id
    union all
    select c.id, ${sql.lit(w)}, ${sql.lit(SEARCH_WEIGHTS.title)}
      from conversation_titles_search join conversations c on c.rowid = conversation_titles_search.rowid
      where conversation_titles_search match ${match}
    union all
    select distinct p.conversation_id, ${sql.lit(w)}, ${sql.lit(SEARCH_WEIGHTS.participant)}
      from users_search join users u on u.rowid = users_search.rowid join participants p on p.user_id = u.id
      where users_search match ${match}`;
};

// Each expression is the one its index is built on (unqualified columns, one table with them per branch).
const postgresVector = (table: keyof typeof POSTGRES_SEARCH_TEXT) => sql.raw(postgresSearchVector(POSTGRES_SEARCH_TEXT[table]));

const postgresHits: Hits = (word, w) => {
  const query = sql`to_tsquery('simple'::regconfig, ${tsqueryPrefix(word)})`;
  return sql`
    select conversation_id as cid, ${sql.lit(w)} as w, ${messageScore} as score
      from messages
      where ${postgresVector('messages')} @@ ${query} and deleted_at is null
      group by conversation_id
    union all
    select id, ${sql.lit(w)}, ${sql.lit(SEARCH_WEIGHTS.title)}
      from conversations
      where ${postgresVector('conversations')} @@ ${query}
    union all
    select distinct p.conversation_id, ${sql.lit(w)}, ${sql.lit(SEARCH_WEIGHTS.participant)}
      from users join participants p on p.user_id = users.id
      where ${postgresVector('users')} @@ ${query}`;
};

export function createSearchRepository({ db, dialect }: Store) {
  const hits = dialect === 'postgres' ? postgresHits : sqliteHits;
  return {
    /**
     * A page of the organization's conversations (narrowed by `filter`) in which every word is found, each as
     * the start of a word of a message (internal notes included, deleted messages not), of the title, or of a
     * participant's name or email; a conversation may match different words in different places. Best first:
     * the sum of `SEARCH_WEIGHTS` over the words, then newest activity, then id. `words` come from
     * `searchWords` (never empty).
     */
    async conversations(organizationId: string, words: readonly string[], filter: InboxFilter, offset: number, limit: number): Promise<ConversationRow[]> {
      if (words.length === 0) throw new TypeError('a search needs at least one word');
      const conditions = [sql`c.organization_id = ${organizationId}`];
      if (filter.status !== undefined) conditions.push(sql`c.status = ${filter.status}`);
      if (filter.assigneeId === null) conditions.push(sql`c.assignee_id is null`);
      else if (filter.assigneeId !== undefined) conditions.push(sql`c.assignee_id = ${filter.assigneeId}`);
      const { rows } = await sql<ConversationRow & { score: number }>`
        with hits as (${sql.join(words.map((word, w) => hits(word, w)), sql` union all `)})
        select c.*, sum(h.score) as score
          from hits h join conversations c on c.id = h.cid
          where ${sql.join(conditions, sql` and `)}
          group by c.id
          having count(distinct h.w) = ${sql.lit(words.length)}
          order by sum(h.score) desc, coalesce(c.last_message_at, c.created_at) desc, c.id desc
          limit ${limit} offset ${offset}`.execute(db);
      return rows.map(({ score: _score, ...row }) => row);
    },
  };
}

export type SearchRepository = ReturnType<typeof createSearchRepository>;
