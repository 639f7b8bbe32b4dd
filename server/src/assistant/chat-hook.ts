/**
 * What a posted message asks of the assistant (chat/chat-service.ts calls it inside the message's
 * transaction, docs/assistant.md "Which messages get an answer"):
 * - a user's message in a conversation an assistant serves and is active in: a reply, as a reply row and an
 *   `assistant_reply` outbox row written in the message's transaction (sent by assistant/runner.ts);
 *   whether the team is online (`when_offline`) and the daily limits are judged when the reply is sent;
 * - an administrator's message there: a take-over (the assistant stops answering, and a reply in progress
 *   ends), announced as `conversation.updated`.
 */
import type { AssistantEffects, ChatAssistant } from '../chat/chat-service.js';
import { isAdministrator } from '../chat/access.js';
import type { Store } from '../store/database.js';
import { createAssistantRepository } from '../store/assistants.js';
import { createOutboxRepository } from '../store/outbox.js';
import { servingAssistant, lookupIn } from './directory.js';
import type { ReplyRegistry } from './registry.js';
import type { AssistantWrites } from './writes.js';

const NOTHING: AssistantEffects = { events: [] };

export const ASSISTANT_REPLY_KIND = 'assistant_reply';
/** A conversation's replies are sent one at a time, in order (store/outbox.ts ordering keys). */
export const replyOrderingKey = (conversationId: string) => `assistant:${conversationId}`;

export function createChatAssistant(deps: { store: Store; writes: AssistantWrites; registry: ReplyRegistry }): ChatAssistant {
  const repository = createAssistantRepository(deps.store);
  const outbox = createOutboxRepository(deps.store);

  return {
    lookup: async () => lookupIn(await repository.list()),

    async messagePosted(trx, { conversation, author, message, assistantOf }, now) {
      // Nothing serves this conversation (the usual case, and then no query at all).
      if (message.internal === 1 || assistantOf(conversation) === null) return NOTHING;
      const assistant = servingAssistant(await repository.listWith(trx), conversation);
      if (!assistant) return NOTHING;
      const current = await trx.selectFrom('conversations').select('assistant_off_at').where('id', '=', conversation.id).executeTakeFirst();
      if (!current || current.assistant_off_at !== null) return NOTHING;
      if (isAdministrator(author)) {
        const stopped = await repository.requestStop(trx, conversation.id, now);
        const { events } = await deps.writes.handOff(trx, conversation.id, { toTeam: false, userId: null, assistantOf }, now);
        // The local reply stops once the take-over has committed; one on another instance at its next check.
        return stopped.length > 0 ? { events, afterCommit: () => deps.registry.stopConversation(conversation.id) } : { events };
      }
      const replyId = await repository.createReply(trx, { conversationId: conversation.id, assistantId: assistant.id, userId: author.id }, now);
      await outbox.enqueue(trx, [{ kind: ASSISTANT_REPLY_KIND, target: conversation.id, orderingKey: replyOrderingKey(conversation.id), payload: { replyId } }], now);
      return NOTHING;
    },
  };
}
