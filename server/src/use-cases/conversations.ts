/**
 * What administrators change about a conversation (its title, for now). The change, its audit entry and its
 * `conversation.updated` event share one transaction; the event reaches the participants after the commit,
 * so their conversation lists follow.
 */
import type { Conversation } from '../../../shared/src/api.js';
import { EVENT } from '../../../shared/src/constants.js';
import type { EventBus } from '../chat/event-bus.js';
import { presentConversation } from '../chat/present.js';
import { ParleyError } from '../errors.js';
import { createConversationRepository, type ConversationRow } from '../store/conversations.js';
import { createEventRepository, type EventRow } from '../store/events.js';
import { createMessageRepository } from '../store/messages.js';
import { actingUserOf, rightsOf, type Context } from './actor.js';
import type { Audited } from './audited.js';

/** The fields an administrator may change, each already read by its rule (shared/src/fields.ts). */
export interface ConversationPatch {
  title?: string;
}

export function createConversationUseCases(deps: { audited: Audited; bus: EventBus; now: () => number }) {
  const { audited, bus } = deps;

  return {
    /**
     * Changes the fields of `patch` (at least one). An actor acting as an account reaches the conversations
     * of that account's organization only: another organization's is `conversation_not_found`, as an
     * unknown id. Audited as `conversation.update.<fields>`.
     */
    async updateConversation(ctx: Context, id: string, patch: ConversationPatch): Promise<ConversationRow> {
      const fields = Object.keys(patch).filter((name) => patch[name as keyof ConversationPatch] !== undefined).sort();
      if (fields.length === 0) throw new TypeError('updateConversation needs at least one field');
      const { row, event, participantIds } = await audited(ctx, `conversation.update.${fields.join(',')}`, id, async (tx) => {
        if (rightsOf(ctx.actor) === 'member') throw new ParleyError('admin_required');
        const conversations = createConversationRepository(tx);
        const before = await conversations.findById(id);
        const acting = actingUserOf(ctx.actor);
        if (!before || (acting !== null && before.organization_id !== acting.organization_id)) throw new ParleyError('conversation_not_found');
        const row = (await conversations.update(tx.db, id, patch)) ?? before;
        const last = await createMessageRepository(tx).lastOf([id]);
        const conversation: Conversation = presentConversation(row, last.get(id));
        const event: EventRow = await createEventRepository(tx).append(
          tx.db,
          { conversationId: id, organizationId: row.organization_id, documentId: row.document_id, type: EVENT.conversationUpdated, payload: { conversation } },
          deps.now(),
        );
        return { row, event, participantIds: await conversations.participantIds(id) };
      });
      bus.publish({ event, participantIds });
      return row;
    },
  };
}

export type ConversationUseCases = ReturnType<typeof createConversationUseCases>;
