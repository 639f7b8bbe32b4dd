/**
 * A member's message on PostgreSQL in one statement: what messages.insertOnce (with the author's read
 * marker), events.append (`message.created`, with its NOTIFY) and conversations.touch (the activity time, and
 * reopening) do one after the other, as data-modifying CTEs of one round trip. PostgreSQL's CPU a message is
 * about proportional to its statements (bench/NOTES.md), and these were three of a post's eight.
 *
 * The same rules as those three, in the same order of effects:
 * - the message is inserted unless its author already sent this clientMessageId (then nothing else is
 *   written, and the caller answers the stored one);
 * - its event is inserted from the inserted row, so after it: the transaction's xid (taken at its first
 *   write) comes before the event's id, which the cluster fan-out's fences rely on (store/events.ts);
 * - the read marker's row is written before the conversation's row is locked (`prior` reads `r`: a CTE nothing
 *   reads runs after the main query), the order every other post takes them in: a post of the same author
 *   written the other way (with files) waits for this one or this one for it, never both (a deadlock);
 * - the conversation's row is locked FOR NO KEY UPDATE and read as committed (in READ COMMITTED a locking
 *   read answers the latest version), then updated: a resolve or snooze committed meanwhile is reopened.
 * The event's payload is built by the caller before the statement, from the row as it will be inserted; its
 * webhook deliveries follow in the same transaction, as events.append's do.
 *
 * The team's alert stays a statement of its own, after this one (outbound/notifications.ts): its "unless one
 * is pending" must be read after the row lock was taken, with a snapshot this statement's start would not give.
 */
import { sql, type Kysely } from 'kysely';
import { enqueueWebhookEvent } from '../outbound/webhook-events.js';
import type { ConversationRow } from './conversations.js';
import type { Store } from './database.js';
import { EVENTS_CHANNEL, type EventRow } from './events.js';
import type { MessageRow } from './messages.js';
import type { Database } from './schema.js';

export interface PostWrite {
  message: { id: string; conversationId: string; authorId: string; text: string; clientMessageId: string };
  event: { organizationId: string; documentId: string | null; type: string; payload: unknown };
}

export interface PostWritten {
  /** The inserted message, its author's fields included; undefined when this clientMessageId was stored already. */
  row: MessageRow | undefined;
  /** Its event as logged (with the row). */
  event: EventRow | undefined;
  /** The conversation as reopened, when it was resolved or snoozed; undefined when it was open. */
  reopened: ConversationRow | undefined;
}

/** Writes `input` in `executor`'s transaction at `now` (PostgreSQL only). */
export async function writePost(store: Store, executor: Kysely<Database>, input: PostWrite, now: number): Promise<PostWritten> {
  const { message: m, event: e } = input;
  const payload = JSON.stringify(e.payload);
  const { rows } = await sql<{ message: MessageRow | null; event_id: number | string | null; conversation: (ConversationRow & { prior_status: string }) | null }>`
    with m as (
      insert into messages (id, conversation_id, author_type, author_id, text, client_message_id, created_at, internal)
      values (${m.id}, ${m.conversationId}, 'user', ${m.authorId}, ${m.text}, ${m.clientMessageId}, ${now}::bigint, 0)
      on conflict (author_id, client_message_id) do nothing
      returning *
    ),
    r as (
      insert into read_markers (conversation_id, user_id, seq, updated_at)
      select m.conversation_id, m.author_id, m.seq, ${now}::bigint from m
      on conflict (conversation_id, user_id) do update set seq = excluded.seq, updated_at = excluded.updated_at
      where read_markers.seq < excluded.seq
      returning 1
    ),
    e as (
      insert into events (conversation_id, organization_id, document_id, type, payload, created_at, internal)
      select m.conversation_id, ${e.organizationId}, ${e.documentId}, ${e.type}, ${payload}, ${now}::bigint, 0 from m
      returning id, pg_notify(${EVENTS_CHANNEL}, '') as notified
    ),
    prior as (
      select c.id, c.status from conversations c
      where c.id = ${m.conversationId} and exists (select 1 from m) and (select count(*) from r) >= 0
      for no key update
    ),
    t as (
      update conversations c
      set last_message_at = ${now}::bigint, status = 'open', snoozed_until = case when prior.status = 'open' then c.snoozed_until else null end
      from prior where c.id = prior.id
      returning c.*, prior.status as prior_status
    )
    select
      (select row_to_json(x) from (select m.*, u.name as author_name, u.avatar_url as author_avatar_url, u.role as author_role from m left join users u on u.id = m.author_id) x) as message,
      (select e.id from e) as event_id,
      (select row_to_json(t) from t) as conversation`.execute(executor);
  const result = rows[0]!;
  const conversation = result.conversation;
  let reopened: ConversationRow | undefined;
  if (conversation && conversation.prior_status !== 'open') {
    const { prior_status: _prior, ...row } = conversation;
    reopened = row;
  }
  if (!result.message || result.event_id === null) return { row: undefined, event: undefined, reopened };
  const event: EventRow = { id: Number(result.event_id), conversation_id: m.conversationId, organization_id: e.organizationId, document_id: e.documentId, type: e.type, payload, created_at: now, internal: 0 };
  await enqueueWebhookEvent(store, executor, { organizationId: e.organizationId, type: e.type, data: e.payload, subject: m.conversationId }, now);
  return { row: result.message, event, reopened };
}
