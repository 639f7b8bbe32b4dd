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
} as const;
export type EventName = (typeof EVENT)[keyof typeof EVENT];
