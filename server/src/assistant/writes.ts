/**
 * The changes the assistant makes to a conversation, each inside the caller's transaction with its event:
 * the assistant's message, a system message (a failure, a limit, a hand-off), and the hand-off itself (the
 * conversation open, unassigned, the assistant off there, the team alerted as for a user's message). The
 * caller publishes the answered events after its commit (`publishAll`).
 */
import type { Kysely } from 'kysely';
import { EVENT } from '#shared/constants.js';
import type { EventBus } from '../chat/event-bus.js';
import { presentConversation, presentMessage, type AssistantLookup } from '../chat/present.js';
import type { NotificationScheduler } from '../outbound/notifications.js';
import type { ConversationRepository, ConversationRow } from '../store/conversations.js';
import type { EventRepository, EventRow } from '../store/events.js';
import type { MessageRow } from '../store/messages.js';
import type { Database } from '../store/schema.js';
import { newId } from '../ids.js';

/** How long a writer waits for the cluster fan-out to deliver its events before it goes on regardless. */
const RELAY_WAIT_MS = 1000;

const scopeOf = (c: Pick<ConversationRow, 'id' | 'organization_id' | 'document_id'>) => ({ conversationId: c.id, organizationId: c.organization_id, documentId: c.document_id });

async function insertMessage(
  trx: Kysely<Database>,
  values: { conversationId: string; authorType: 'assistant' | 'system'; authorId: string | null; assistantName: string | null; text: string; clientMessageId: string | null },
  now: number,
): Promise<MessageRow | undefined> {
  const row = await trx
    .insertInto('messages')
    .values({
      id: newId('msg'),
      conversation_id: values.conversationId,
      author_type: values.authorType,
      author_id: values.authorId,
      assistant_name: values.assistantName,
      text: values.text,
      client_message_id: values.clientMessageId,
      created_at: now,
    })
    // The assistant's reply is stored once per reply id (author and clientMessageId are unique together).
    .onConflict((oc) => oc.columns(['author_id', 'client_message_id']).doNothing())
    .returningAll()
    .executeTakeFirst();
  return row && { ...row, seq: Number(row.seq), author_name: null, author_avatar_url: null, author_role: null };
}

export interface WriteDeps {
  events: EventRepository;
  conversations: ConversationRepository;
  notifications?: NotificationScheduler;
}

export function createAssistantWrites(deps: WriteDeps) {
  const { events } = deps;

  async function announce(trx: Kysely<Database>, conversation: ConversationRow, message: MessageRow, now: number): Promise<EventRow> {
    await trx.updateTable('conversations').set({ last_message_at: now }).where('id', '=', conversation.id).execute();
    return events.append(trx, { ...scopeOf(conversation), type: EVENT.messageCreated, payload: { message: presentMessage(message) } }, now);
  }

  return {
    /** The assistant's reply (clientMessageId = the reply's id); none when this reply was stored already. */
    async assistantMessage(trx: Kysely<Database>, conversation: ConversationRow, input: { assistantId: string; assistantName: string; replyId: string; text: string }, now: number): Promise<EventRow[]> {
      const row = await insertMessage(trx, { conversationId: conversation.id, authorType: 'assistant', authorId: input.assistantId, assistantName: input.assistantName, text: input.text, clientMessageId: input.replyId }, now);
      return row ? [await announce(trx, conversation, row, now)] : [];
    },

    /** A message of Parley itself in the conversation (author type system). */
    async systemMessage(trx: Kysely<Database>, conversation: ConversationRow, text: string, now: number): Promise<EventRow[]> {
      const row = await insertMessage(trx, { conversationId: conversation.id, authorType: 'system', authorId: null, assistantName: null, text, clientMessageId: null }, now);
      return [await announce(trx, conversation, row!, now)];
    },

    /**
     * Turns the assistant off in the conversation; with `toTeam` (a hand-off, a failure, a limit) it is also
     * opened and unassigned, and the team is alerted as for a user's message (`userId`'s). Answers the
     * `conversation.updated` event (none when nothing changed) and the conversation as it now is.
     */
    async handOff(
      trx: Kysely<Database>,
      conversationId: string,
      input: { toTeam: boolean; userId: string | null; assistantOf: AssistantLookup },
      now: number,
    ): Promise<{ events: EventRow[]; conversation: ConversationRow | undefined }> {
      const before = await trx.selectFrom('conversations').selectAll().where('id', '=', conversationId).executeTakeFirst();
      if (!before) return { events: [], conversation: undefined };
      const change = input.toTeam ? { assistant_off_at: before.assistant_off_at ?? now, status: 'open' as const, assignee_id: null, snoozed_until: null } : { assistant_off_at: before.assistant_off_at ?? now };
      const unchanged = before.assistant_off_at !== null && (!input.toTeam || (before.status === 'open' && before.assignee_id === null));
      if (unchanged) return { events: [], conversation: before };
      const row = (await trx.updateTable('conversations').set(change).where('id', '=', conversationId).returningAll().executeTakeFirst())!;
      if (input.toTeam && input.userId !== null && row.document_id === null) {
        await deps.notifications?.messagePosted(trx, { conversationId, author: { id: input.userId, role: 'member' } }, now);
      }
      const last = await trx
        .selectFrom('messages')
        .leftJoin('users', 'users.id', 'messages.author_id')
        .selectAll('messages')
        .select(['users.name as author_name', 'users.avatar_url as author_avatar_url', 'users.role as author_role'])
        .where('messages.conversation_id', '=', conversationId)
        .where('messages.internal', '=', 0)
        .orderBy('messages.seq', 'desc')
        .limit(1)
        .executeTakeFirst();
      const conversation = presentConversation(row, last && { ...last, seq: Number(last.seq) }, input.assistantOf);
      const event = await events.append(trx, { ...scopeOf(row), type: EVENT.conversationUpdated, payload: { conversation } }, now);
      return { events: [event], conversation: row };
    },

    /**
     * Publishes committed events to this instance's streams. Relayed (PostgreSQL), the cluster fan-out does
     * it: this waits (at most RELAY_WAIT_MS) until it has, so that what the caller signals next (a reply's
     * `assistant.ended`) follows the events on this instance's streams.
     */
    async publishAll(bus: EventBus, conversationId: string, published: readonly EventRow[]): Promise<void> {
      if (published.length === 0) return;
      if (bus.relayed) {
        const last = Math.max(...published.map((e) => e.id));
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            unsubscribe();
            resolve();
          };
          const timer = setTimeout(done, RELAY_WAIT_MS);
          const unsubscribe = bus.subscribe((e) => e.event.id >= last && done());
        });
        return;
      }
      const participantIds = await deps.conversations.participantIds(conversationId);
      for (const event of published) bus.publish({ event, participantIds });
    },
  };
}

export type AssistantWrites = ReturnType<typeof createAssistantWrites>;
