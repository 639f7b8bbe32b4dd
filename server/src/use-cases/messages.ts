/**
 * Editing and deleting a message (README.md, API; docs/admin-api.md, Messages). The author may edit or
 * delete their message for MESSAGE_EDIT_WINDOW_MS after posting it; an administrator may also delete any
 * message of their organization at any time, and that deletion of someone else's message is audited. A
 * deletion empties the text in storage and keeps the row, so the thread shows where the message was; its
 * files can no longer be read, and their bytes go at the next sweep.
 * The change and its event (`message.updated`, `message.deleted`: the message as it now is; internal for a
 * note) share one transaction, delivered after the commit like `message.created`; so do the rewriting of the
 * message's earlier events and a title that followed its old text (`conversation.updated`).
 */
import type { Message } from '#shared/api.js';
import { EVENT, MESSAGE_EDIT_WINDOW_MS } from '#shared/constants.js';
import { titleFromMessage } from '#shared/fields.js';
import { createAccessControl, isAdministrator } from '../chat/access.js';
import { checkMessageText, visibleTo } from '../chat/chat-service.js';
import type { EventBus } from '../chat/event-bus.js';
import { presentConversation, presentMessage } from '../chat/present.js';
import { ParleyError } from '../errors.js';
import { changesOf } from '../store/changes.js';
import { createConversationRepository, type ConversationRow } from '../store/conversations.js';
import type { Store } from '../store/database.js';
import { createEventRepository } from '../store/events.js';
import { createGrantRepository } from '../store/grants.js';
import { createAttachmentRepository } from '../store/attachments.js';
import { createMessageRepository, type MessageRow } from '../store/messages.js';
import { inTransaction } from '../store/transaction.js';
import type { UserRow } from '../store/users.js';
import { actingUserOf, type Context } from './actor.js';
import type { Audited } from './audited.js';
import { assistantLookup } from '../assistant/directory.js';

/** What each refusal says (codes of shared/src/errors.ts). */
const REFUSALS = {
  message_not_found: 'No such message.',
  message_locked: 'Only the author may change a message, within 15 minutes; an administrator may delete any.',
  message_deleted: 'A deleted message cannot be edited.',
} as const;
const refusal = (code: keyof typeof REFUSALS) => new ParleyError(code, REFUSALS[code]);

export function createMessageUseCases(deps: { audited: Audited; store: Store; bus: EventBus; now: () => number }) {
  const { audited, store, bus, now } = deps;
  const conversations = createConversationRepository(store);
  const messages = createMessageRepository(store);
  const access = createAccessControl({ conversations, grants: createGrantRepository(store), changes: changesOf(store), now });

  /** The account acting: messages are changed by accounts (a session, or an admin API key's creator). */
  function accountOf(ctx: Context): UserRow {
    const user = actingUserOf(ctx.actor);
    if (!user) throw new TypeError(`a message is changed by an account, not by ${ctx.actor.kind}`);
    return user;
  }

  /**
   * The conversation, if the account may write in it (else the usual 404 or 403 read_only), and the message,
   * if it is one of that conversation that the account may see (else message_not_found).
   */
  async function reach(user: UserRow, conversationId: string, messageId: string): Promise<{ conversation: ConversationRow; message: MessageRow }> {
    const conversation = await access.requireConversation(user, conversationId, 'write');
    const message = await messages.findById(messageId);
    if (!message || message.conversation_id !== conversation.id || !visibleTo(user, message)) throw refusal('message_not_found');
    return { conversation, message };
  }

  const withinWindow = (message: MessageRow) => now() - message.created_at <= MESSAGE_EDIT_WINDOW_MS;

  /**
   * Writes `change`'s message and its event in `tx`; undefined (nothing announced) when nothing changed. The
   * log's earlier events of the message are rewritten to the message as it now is (a deleted text leaves it
   * too), and a title that came from the message's old text follows it: an edited first message titles the
   * conversation anew, a deleted one leaves the next message's title (or none).
   */
  async function changeAndAnnounce(tx: Store, conversation: ConversationRow, before: MessageRow, type: string, change: (tx: Store) => Promise<MessageRow | undefined>) {
    const row = await change(tx);
    if (!row) return undefined;
    const events = createEventRepository(tx);
    const message = presentMessage(row);
    await events.rewriteMessage(tx.db, conversation.id, message);
    const scope = { conversationId: conversation.id, organizationId: conversation.organization_id, documentId: conversation.document_id };
    const published = [await events.append(tx.db, { ...scope, type, payload: { message }, internal: row.internal === 1 }, now())];
    const retitled = await retitle(tx, conversation, before, row);
    if (retitled) {
      const last = await createMessageRepository(tx).lastOf([conversation.id]);
      published.push(await events.append(tx.db, { ...scope, type: EVENT.conversationUpdated, payload: { conversation: presentConversation(retitled, last.get(conversation.id), await assistantLookup(tx)) } }, now()));
    }
    return { row, published };
  }

  /** The conversation retitled after its first message changed from `before` to `after`, or undefined. */
  async function retitle(tx: Store, conversation: ConversationRow, before: MessageRow, after: MessageRow): Promise<ConversationRow | undefined> {
    if (conversation.document_id !== null || conversation.title === null || conversation.title !== titleFromMessage(before.text)) return undefined;
    // The first message still shown before this change (deleted ones and notes give no title).
    const first = await tx.db
      .selectFrom('messages')
      .select('id')
      .where('conversation_id', '=', conversation.id)
      .where('internal', '=', 0)
      .where((eb) => eb.or([eb('deleted_at', 'is', null), eb('id', '=', before.id)]))
      .orderBy('seq', 'asc')
      .limit(1)
      .executeTakeFirst();
    if (first?.id !== before.id) return undefined;
    let title: string | null;
    if (after.deleted_at === null) title = titleFromMessage(after.text);
    else {
      const next = await tx.db.selectFrom('messages').select('text').where('conversation_id', '=', conversation.id).where('deleted_at', 'is', null).where('internal', '=', 0).orderBy('seq', 'asc').limit(1).executeTakeFirst();
      title = next ? titleFromMessage(next.text) : null;
    }
    if (title === conversation.title) return undefined;
    return tx.db.updateTable('conversations').set({ title }).where('id', '=', conversation.id).returningAll().executeTakeFirst();
  }

  async function publish(conversationId: string, events: Parameters<EventBus['publish']>[0]['event'][]): Promise<void> {
    const participantIds = await conversations.participantIds(conversationId);
    for (const event of events) bus.publish({ event, participantIds });
  }

  return {
    /**
     * Replaces the text of the actor's own message within the edit window (the rules of a new message's
     * text apply). Someone else's message or a passed window is `message_locked`; a deleted message is
     * `message_deleted`. The same text again changes nothing and announces nothing.
     */
    async editMessage(ctx: Context, conversationId: string, messageId: string, text: string): Promise<Message> {
      const user = accountOf(ctx);
      checkMessageText(text);
      const { conversation, message } = await reach(user, conversationId, messageId);
      if (message.deleted_at !== null) throw refusal('message_deleted');
      if (message.author_id !== user.id || !withinWindow(message)) throw refusal('message_locked');
      if (message.text === text) return presentMessage(message);
      const changed = await inTransaction(store, (tx) =>
        changeAndAnnounce(tx, conversation, message, EVENT.messageUpdated, (t) => createMessageRepository(t).edit(t.db, message.id, text, now())),
      );
      // Deleted between the read and the write.
      if (!changed) throw refusal('message_deleted');
      await publish(conversation.id, changed.published);
      return presentMessage(changed.row);
    },

    /**
     * Deletes a message: the author's within the edit window, or any (at any time) by an administrator, whose
     * deletion of someone else's message is audited as `message.delete`. Deleting a deleted message again is
     * no change, and no refusal for whoever could delete it.
     */
    async deleteMessage(ctx: Context, conversationId: string, messageId: string): Promise<void> {
      const user = accountOf(ctx);
      const { conversation, message } = await reach(user, conversationId, messageId);
      const own = message.author_id === user.id;
      if (!isAdministrator(user) && !own) throw refusal('message_locked');
      if (message.deleted_at !== null) return;
      if (!isAdministrator(user) && !withinWindow(message)) throw refusal('message_locked');
      // Its files go with it: unreadable at once, their bytes removed by the next sweep (use-cases/attachments.ts).
      const change = (tx: Store) =>
        changeAndAnnounce(tx, conversation, message, EVENT.messageDeleted, async (t) => {
          const row = await createMessageRepository(t).markDeleted(t.db, message.id, now());
          if (row) await createAttachmentRepository(t).discardOfMessage(t.db, message.id);
          return row;
        });
      const changed = own ? await inTransaction(store, change) : await audited(ctx, 'message.delete', message.id, change);
      if (changed) await publish(conversation.id, changed.published);
    },
  };
}

export type MessageUseCases = ReturnType<typeof createMessageUseCases>;
