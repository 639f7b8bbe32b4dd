/**
 * Full-text search of an organization's conversations (the inbox's `q`, docs/admin-api.md, Inbox) over the
 * indexes of migrations 0008_search and 0009: FTS5 tables on SQLite, GIN expression indexes on PostgreSQL. Both answer
 * the same conversations in the same order, because the ranking is computed here from which documents match,
 * not from either engine's own relevance score (bm25 and ts_rank disagree).
 */
import { sql, type RawBuilder } from 'kysely';
import type { Store } from './database.js';
import type { ConversationRow, InboxFilter } from './conversations.js';
import { fts5Phrase, MESSAGE_SEARCH_CONVERSATION, POSTGRES_SEARCH_TEXT, postgresSearchVector, tsqueryPhrase } from './search-query.js';

/**
 * What a term earns a conversation: the title containing it, any participant's name or email containing it,
 * and each message containing it, up to `MESSAGE_HITS_COUNTED` of them.
 */
export const SEARCH_WEIGHTS = { title: 3, participant: 2, message: 1 } as const;
const MESSAGE_HITS_COUNTED = 3;

/** A term's matches, one row per conversation and place: (cid, w, score). */
type Hits = (words: readonly string[], w: number) => RawBuilder<unknown>;

const messageScore = sql`case when count(*) > ${sql.lit(MESSAGE_HITS_COUNTED)} then ${sql.lit(MESSAGE_HITS_COUNTED * SEARCH_WEIGHTS.message)} else count(*) * ${sql.lit(SEARCH_WEIGHTS.message)} end`;

// A deleted message's text is empty, so it is in neither index.
const sqliteHits: Hits = (words, w) => {
  const match = fts5Phrase(words);
  return sql`
    select c.id as cid, ${sql.lit(w)} as w, m.score
      from (select ${sql.raw(MESSAGE_SEARCH_CONVERSATION('rowid'))} as conversation_rowid, ${messageScore} as score
              from messages_search where messages_search match ${match} group by 1) m
      join conversations c on c.rowid = m.conversation_rowid
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

const postgresHits: Hits = (words, w) => {
  const query = sql`to_tsquery('simple'::regconfig, ${tsqueryPhrase(words)})`;
  return sql`
    select conversation_id as cid, ${sql.lit(w)} as w, ${messageScore} as score
      from messages
      where ${postgresVector('messages')} @@ ${query}
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
     * A page of the organization's conversations (narrowed by `filter`) in which every term is found, as words
     * in a row (the last one as the start of a word) of a message (internal notes included, deleted messages
     * not), of the title, or of a participant's name or email; a conversation may match different terms in
     * different places. Best first: the sum of `SEARCH_WEIGHTS` over the terms, then newest activity, then id.
     * `terms` come from `searchTerms` (never empty).
     */
    async conversations(organizationId: string, terms: readonly (readonly string[])[], filter: InboxFilter, offset: number, limit: number): Promise<ConversationRow[]> {
      if (terms.length === 0) throw new TypeError('a search needs at least one term');
      const conditions = [sql`c.organization_id = ${organizationId}`];
      if (filter.status !== undefined) conditions.push(sql`c.status = ${filter.status}`);
      if (filter.assigneeId === null) conditions.push(sql`c.assignee_id is null`);
      else if (filter.assigneeId !== undefined) conditions.push(sql`c.assignee_id = ${filter.assigneeId}`);
      // The hits are summed per conversation and term, then per conversation, so that only the conversations
      // found meet the table. A conversation has at most one row per term in `per`, so `>=` means `=`; written
      // so, PostgreSQL's planner expects many conversations (not one) and joins them by hash.
      const { rows } = await sql<ConversationRow & { score: number }>`
        with hits as (${sql.join(terms.map((words, w) => hits(words, w)), sql` union all `)}),
          per as (select cid, w, sum(score) as score from hits group by cid, w),
          found as (select cid, sum(score) as score from per group by cid having count(*) >= ${sql.lit(terms.length)})
        select c.*, f.score
          from found f join conversations c on c.id = f.cid
          where ${sql.join(conditions, sql` and `)}
          order by f.score desc, coalesce(c.last_message_at, c.created_at) desc, c.id desc
          limit ${limit} offset ${offset}`.execute(db);
      return rows.map(({ score: _score, ...row }) => row);
    },
  };
}

export type SearchRepository = ReturnType<typeof createSearchRepository>;
