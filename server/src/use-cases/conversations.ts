/**
 * What administrators change about a conversation: its title, status (open, resolved, snoozed until a time)
 * and assignee. The change, its audit entry and its `conversation.updated` event share one transaction; the
 * event reaches the participants and the organization's administrators after the commit, so their lists
 * follow. A snooze that has run out ends by itself (`wakeSnoozed`, run by chat/snooze-waker.ts).
 */
import type { Conversation } from '#shared/api.js';
import { EVENT } from '#shared/constants.js';
import type { EventBus } from '../chat/event-bus.js';
import { presentConversation } from '../chat/present.js';
import { ParleyError } from '../errors.js';
import { isAdministrator, isInstanceAdministrator } from '../chat/access.js';
import { createConversationRepository, type ConversationRepository, type ConversationRow } from '../store/conversations.js';
import type { Store } from '../store/database.js';
import type { ConversationStatus } from '../store/schema.js';
import { inTransaction } from '../store/transaction.js';
import { createUserRepository } from '../store/users.js';
import { createEventRepository, type EventRow } from '../store/events.js';
import { createMessageRepository } from '../store/messages.js';
import { actingUserOf, rightsOf, type Context } from './actor.js';
import type { Audited } from './audited.js';
import { assistantLookup } from '../assistant/directory.js';

/**
 * The fields an administrator may change, each already read by its rule (shared/src/fields.ts,
 * shared/src/inbox-fields.ts). `snoozedUntil` goes with `status: 'snoozed'`, and only with it.
 */
export interface ConversationPatch {
  title?: string;
  status?: ConversationStatus;
  snoozedUntil?: number;
  /** An owner's or admin's id of the conversation's organization, or null to unassign. */
  assigneeId?: string | null;
}

/** Checks the combination of fields that no single field's rule can: a snooze needs its end, and only a snooze has one. */
function checkSnooze(patch: ConversationPatch): void {
  if (patch.status === 'snoozed' && patch.snoozedUntil === undefined) throw new ParleyError('bad_request', 'snoozedUntil is required with status snoozed');
  if (patch.snoozedUntil !== undefined && patch.status !== 'snoozed') throw new ParleyError('bad_request', 'snoozedUntil goes with status snoozed');
}

/** The row's new columns for `patch`. */
function columnsOf(patch: ConversationPatch): Parameters<ConversationRepository['update']>[2] {
  const columns: Parameters<ConversationRepository['update']>[2] = {};
  if (patch.title !== undefined) columns.title = patch.title;
  if (patch.status !== undefined) {
    columns.status = patch.status;
    columns.snoozed_until = patch.status === 'snoozed' ? patch.snoozedUntil! : null;
  }
  if (patch.assigneeId !== undefined) columns.assignee_id = patch.assigneeId;
  return columns;
}

export function createConversationUseCases(deps: { audited: Audited; store: Store; bus: EventBus; now: () => number }) {
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
      checkSnooze(patch);
      const { row, event, participantIds } = await audited(ctx, `conversation.update.${fields.join(',')}`, id, async (tx) => {
        if (rightsOf(ctx.actor) === 'member') throw new ParleyError('admin_required');
        const conversations = createConversationRepository(tx);
        const before = await conversations.findById(id);
        const acting = actingUserOf(ctx.actor);
        if (!before || (acting !== null && before.organization_id !== acting.organization_id)) throw new ParleyError('conversation_not_found');
        if (patch.assigneeId !== undefined && patch.assigneeId !== null) {
          const assignee = await createUserRepository(tx).findById(patch.assigneeId);
          if (!assignee || !assignee.active || !isAdministrator(assignee) || (assignee.organization_id !== before.organization_id && !isInstanceAdministrator(assignee))) {
            throw new ParleyError('bad_request', 'assigneeId must be an active owner or admin of the conversation’s organization');
          }
        }
        const row = (await conversations.update(tx.db, id, columnsOf(patch))) ?? before;
        const last = await createMessageRepository(tx).lastOf([id]);
        const conversation: Conversation = presentConversation(row, last.get(id), await assistantLookup(tx));
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

    /**
     * Opens again every snoozed conversation whose snooze has ended by `now` (Parley itself acting), each with
     * its `conversation.updated`; answers how many. One conditional UPDATE per conversation, so that two
     * instances waking at once announce each conversation once.
     */
    async wakeSnoozed(now: number = deps.now()): Promise<number> {
      const store = deps.store;
      const due = await store.db.selectFrom('conversations').select('id').where('status', '=', 'snoozed').where('snoozed_until', '<=', now).limit(500).execute();
      let woken = 0;
      for (const { id } of due) {
        const published = await inTransaction(store, async (tx) => {
          const row = await tx.db
            .updateTable('conversations')
            .set({ status: 'open', snoozed_until: null })
            .where('id', '=', id)
            .where('status', '=', 'snoozed')
            .where('snoozed_until', '<=', now)
            .returningAll()
            .executeTakeFirst();
          if (!row) return undefined;
          const last = await createMessageRepository(tx).lastOf([id]);
          const event = await createEventRepository(tx).append(
            tx.db,
            { conversationId: id, organizationId: row.organization_id, documentId: row.document_id, type: EVENT.conversationUpdated, payload: { conversation: presentConversation(row, last.get(id), await assistantLookup(tx)) } },
            now,
          );
          return { event, participantIds: await createConversationRepository(tx).participantIds(id) };
        });
        if (published) {
          bus.publish(published);
          woken++;
        }
      }
      return woken;
    },
  };
}

export type ConversationUseCases = ReturnType<typeof createConversationUseCases>;
