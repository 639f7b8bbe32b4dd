/** Limits and event names both sides use. Kept free of dependencies so the browser bundles stay small. */

export const MESSAGE_MAX_CHARS = 10_000;
export const CLIENT_MESSAGE_ID_MAX = 128;

/** Names of the server-sent events on `GET /api/v1/events`. */
export const EVENT = {
  messageCreated: 'message.created',
  conversationCreated: 'conversation.created',
  /** A conversation's title changed (renamed, or given by its first message): `{conversation}`. */
  conversationUpdated: 'conversation.updated',
  /** A participant's read marker moved forward: `{conversationId, userId, messageId}`. */
  conversationRead: 'conversation.read',
  /** A message was edited: `{message}`. */
  messageUpdated: 'message.updated',
  /** A message was deleted: `{message}`, its text empty. */
  messageDeleted: 'message.deleted',
  /** Ephemeral (no id, never replayed): someone is typing, `{conversationId, userId, name, agent, ttlMs}`. */
  typing: 'typing',
  /** Ephemeral: the assistant starts a reply, `{conversationId, replyId}` (docs/assistant.md). */
  assistantReplying: 'assistant.replying',
  /** Ephemeral: the next piece of the reply, `{conversationId, replyId, offset, delta}`; it ends with `message.created`. */
  messageDelta: 'message.delta',
  /** Ephemeral: the reply ended (after its `message.created`, or without one when stopped before any text), `{conversationId, replyId}`. */
  assistantEnded: 'assistant.ended',
  /**
   * The stream resumed from an id whose events retention has deleted (`PARLEY_EVENT_RETENTION`): what was
   * missed is gone, so the client reloads what it shows (conversation list, open thread). `{}`; its id is
   * where the stream goes on from.
   */
  resync: 'resync',
} as const;

/** Files one message may carry. */
export const MAX_ATTACHMENTS_PER_MESSAGE = 10;
/** An author may edit or delete their message for this long; an administrator deletes any at any time. */
export const MESSAGE_EDIT_WINDOW_MS = 15 * 60_000;
/** A `typing` event holds this long unless renewed. */
export const TYPING_TTL_MS = 5_000;
/** Clients send `typing` at most this often while someone types. */
export const TYPING_SEND_INTERVAL_MS = 3_000;
/** The team is online while an administrator had the panel open within this window. */
export const PRESENCE_WINDOW_MS = 2 * 60_000;
export type EventName = (typeof EVENT)[keyof typeof EVENT];
