/**
 * The request and response shapes of Parley's REST API and event stream, as TypeBox schemas. The server
 * validates and serialises with them; the browser code imports only their `Static` types.
 */
import { Type, type Static } from '@sinclair/typebox';

import { CLIENT_MESSAGE_ID_MAX } from './constants.js';

const IsoDate = Type.String({ description: 'ISO 8601 timestamp' });

export const UserSchema = Type.Object({
  id: Type.String(),
  externalId: Type.Union([Type.String(), Type.Null()]),
  email: Type.Union([Type.String(), Type.Null()]),
  name: Type.Union([Type.String(), Type.Null()]),
  avatarUrl: Type.Union([Type.String(), Type.Null()]),
  role: Type.Union([Type.Literal('owner'), Type.Literal('admin'), Type.Literal('member')]),
  organizationId: Type.String(),
  createdAt: IsoDate,
});
export type User = Static<typeof UserSchema>;

export const SessionSchema = Type.Object({
  token: Type.String(),
  expiresAt: IsoDate,
  fileToken: Type.String({ description: "Reads the files this account may read, as `?token=` on an attachment's url (an <img> cannot send the bearer header); ends with the session" }),
});

// The code is optional here so that an absent one answers 401 token_missing, not a 400
// (docs/external-auth.md, Outcomes).
export const ExchangeBodySchema = Type.Object(
  {
    externalAuthCode: Type.Optional(Type.String()),
    page: Type.Optional(Type.String({ maxLength: 2048, description: 'The page where the widget opened (an http or https URL); its origin and path are kept for the inbox, never its query or fragment' })),
  },
  { additionalProperties: false },
);
export const ExchangeResponseSchema = Type.Object({ session: SessionSchema, user: UserSchema });
export type ExchangeResponse = Static<typeof ExchangeResponseSchema>;

export const MeResponseSchema = Type.Object({ user: UserSchema, session: Type.Object({ expiresAt: IsoDate }) });
export type MeResponse = Static<typeof MeResponseSchema>;

export const AuthorSchema = Type.Object({
  type: Type.Union([Type.Literal('user'), Type.Literal('assistant'), Type.Literal('system')]),
  id: Type.Union([Type.String(), Type.Null()]),
  name: Type.Union([Type.String(), Type.Null()], { description: "The author's name; for an agent, the display name of their profile" }),
  avatarUrl: Type.Union([Type.String(), Type.Null()]),
  agent: Type.Boolean({ description: 'Written by an owner or admin: the team' }),
});

export const AttachmentSchema = Type.Object({
  id: Type.String(),
  name: Type.String({ description: 'The file name, made safe; a kind recognised by content adds its extension to a name without one' }),
  type: Type.String({ description: 'The media type its content was recognised as (never the uploader\'s claim)' }),
  size: Type.Integer({ description: 'Bytes' }),
  width: Type.Union([Type.Integer(), Type.Null()], { description: 'An image\'s width in pixels, known before it loads; null for other files' }),
  height: Type.Union([Type.Integer(), Type.Null()]),
  url: Type.String({ description: 'Where it is downloaded, relative to Parley\'s URL: with the session cookie or bearer token, or `?token=` and the session\'s fileToken (for an <img> in the widget)' }),
});
export type Attachment = Static<typeof AttachmentSchema>;
export const AttachmentResponseSchema = Type.Object({ attachment: AttachmentSchema });

export const MessageSchema = Type.Object({
  id: Type.String(),
  conversationId: Type.String(),
  author: AuthorSchema,
  text: Type.String({ description: 'Empty once the message is deleted' }),
  clientMessageId: Type.Union([Type.String(), Type.Null()]),
  createdAt: IsoDate,
  internal: Type.Boolean({ description: "An internal note: only administrators ever see one (never in a user's REST or events)" }),
  editedAt: Type.Union([IsoDate, Type.Null()]),
  deletedAt: Type.Union([IsoDate, Type.Null()], { description: 'Set once deleted: the text is gone from storage and search' }),
  attachments: Type.Array(AttachmentSchema, { description: 'Its files, in the order attached; empty once deleted' }),
});
export type Message = Static<typeof MessageSchema>;

export const ConversationSchema = Type.Object({
  id: Type.String(),
  organizationId: Type.String(),
  /** The document whose shared room this is, or null for an ordinary conversation. */
  documentId: Type.Union([Type.String(), Type.Null()]),
  title: Type.Union([Type.String(), Type.Null()], {
    description:
      'Given when created or renamed; else taken from the first message (its first non-blank line, at most 80 characters); null while a conversation created without one has no message. A document room\'s is its document id.',
  }),
  createdAt: IsoDate,
  lastMessageAt: Type.Union([IsoDate, Type.Null()]),
  lastMessage: Type.Union([MessageSchema, Type.Null()]),
  status: Type.Union([Type.Literal('open'), Type.Literal('resolved'), Type.Literal('snoozed')], {
    description: "open, resolved, or snoozed until snoozedUntil; a user's new message opens it again",
  }),
  snoozedUntil: Type.Union([IsoDate, Type.Null()]),
  assigneeId: Type.Union([Type.String(), Type.Null()], { description: 'The administrator it is assigned to, or null' }),
  assistant: Type.Union([Type.Object({ name: Type.String(), active: Type.Boolean() }), Type.Null()], {
    description: 'The AI assistant that serves it (docs/assistant.md), or null; active false once handed to the team or taken over',
  }),
});
export type Conversation = Static<typeof ConversationSchema>;

/** A conversation in the caller's list, with where the caller stands in it. */
export const ConversationSummarySchema = Type.Composite(
  [
    ConversationSchema,
    Type.Object({
      unreadCount: Type.Integer({ minimum: 0, description: "Messages by others after the caller's read marker (the caller's own never count)." }),
      lastReadMessageId: Type.Union([Type.String(), Type.Null()], { description: 'The last message the caller has read, or null before any.' }),
    }),
  ],
  { description: 'A conversation with the read state of the caller' },
);
export type ConversationSummary = Static<typeof ConversationSummarySchema>;

/** `POST /api/v1/documents/:documentId/open`: the user's access and the room (null until an editor opens it). */
export const DocumentRoomSchema = Type.Object({
  access: Type.Union([Type.Literal('viewer'), Type.Literal('editor')]),
  conversation: Type.Union([ConversationSchema, Type.Null()]),
});
export type DocumentRoom = Static<typeof DocumentRoomSchema>;


export const PostMessageBodySchema = Type.Object(
  {
    // The length rule is checked by the route so that it answers `message_too_long`, not a schema error.
    text: Type.String(),
    clientMessageId: Type.String({ minLength: 1, maxLength: CLIENT_MESSAGE_ID_MAX, pattern: '^[A-Za-z0-9_.:-]+$' }),
    // The count rule is checked by the use case, so that it answers `too_many_attachments`.
    attachmentIds: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }), { maxItems: 100, description: 'Files uploaded to this conversation (POST …/attachments), at most 10; with them the text may be empty' })),
  },
  { additionalProperties: false },
);
export type PostMessageBody = Static<typeof PostMessageBodySchema>;

export const CreateConversationBodySchema = Type.Object(
  {
    // What a title may contain is the rule of shared/src/fields.ts (parseTitle), checked by the route.
    title: Type.Optional(Type.String({ description: '1 to 200 characters after trimming; blank or absent: taken from the first message' })),
    message: Type.Optional(
      Type.Object(PostMessageBodySchema.properties, {
        additionalProperties: false,
        description: 'The first message, created with the conversation in one transaction. A retry with the same clientMessageId answers 200 with the same conversation.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type CreateConversationBody = Static<typeof CreateConversationBodySchema>;
export const ConversationResponseSchema = Type.Object({ conversation: ConversationSchema });
export const ConversationListSchema = Type.Object({
  conversations: Type.Array(ConversationSummarySchema),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});
export type ConversationList = Static<typeof ConversationListSchema>;

/** `POST /api/v1/conversations/:id/read`: the caller has read up to this message of the conversation. */
export const MarkReadBodySchema = Type.Object(
  { messageId: Type.String({ minLength: 1, maxLength: 64, description: 'A message of this conversation; an older one than the marker changes nothing' }) },
  { additionalProperties: false },
);
export const MarkReadResponseSchema = Type.Object({
  unreadCount: Type.Integer({ minimum: 0, description: "Messages by others still after the caller's read marker" }),
});
export type MarkReadResponse = Static<typeof MarkReadResponseSchema>;
export const MessageResponseSchema = Type.Object({ message: MessageSchema });
/** `PATCH …/messages/:messageId`: the new text (same rules as a new message). */
export const EditMessageBodySchema = Type.Object({ text: Type.String() }, { additionalProperties: false });
export const MessageParamsSchema = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }),
  messageId: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }),
});
/**
 * `GET /api/v1/presence`: whether the team is online (an administrator had the admin panel open in the last
 * 2 minutes). While nobody is, the widget shows the away text of its settings.
 */
export const PresenceSchema = Type.Object({ online: Type.Boolean() });
export type Presence = Static<typeof PresenceSchema>;
export const MessagePageQuerySchema = Type.Object(
  {
    before: Type.Optional(Type.String({ maxLength: 64 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  },
  { additionalProperties: false },
);
export const MessagePageSchema = Type.Object({
  messages: Type.Array(MessageSchema),
  hasMore: Type.Boolean(),
});
export type MessagePage = Static<typeof MessagePageSchema>;

export const ConversationPageQuerySchema = Type.Object(
  {
    cursor: Type.Optional(Type.String({ maxLength: 64 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  },
  { additionalProperties: false },
);

export interface MessageCreatedEvent {
  message: Message;
}
export interface ConversationCreatedEvent {
  conversation: Conversation;
}
/** `conversation.updated`: the conversation as it is now (renamed, or titled by its first message). */
export interface ConversationUpdatedEvent {
  conversation: Conversation;
}
/** `conversation.read`: `userId` (a Parley user id) has read up to `messageId` (their marker moved forward). */
export interface ConversationReadEvent {
  conversationId: string;
  userId: string;
  messageId: string;
}
/** `message.updated` (edited) and `message.deleted` (text emptied, deletedAt set): the message as it is now. */
export interface MessageChangedEvent {
  message: Message;
}
/**
 * `typing` (never stored, never replayed): `userId` is typing in the conversation, for `ttlMs` from now
 * unless another `typing` comes. `agent` is true for an administrator.
 */
export interface TypingEvent {
  conversationId: string;
  userId: string;
  name: string | null;
  agent: boolean;
  ttlMs: number;
}

/** `assistant.replying` and `assistant.ended` (docs/assistant.md): a reply starts, or ends (with a message or without). */
export interface AssistantReplyEvent {
  conversationId: string;
  replyId: string;
}

/** `message.delta` (docs/assistant.md): the next piece of a reply; `offset` is how many characters came before it. */
export interface MessageDeltaEvent {
  conversationId: string;
  replyId: string;
  offset: number;
  delta: string;
}
