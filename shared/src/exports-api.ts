/**
 * The shapes of the admin exports (docs/admin-api.md, Exports): a conversation's transcript and all the data
 * of one account. The server writes both as a stream, item by item, so these schemas describe the body for
 * the OpenAPI description at /docs; they do not serialise it.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { AdminUserSchema, AuditEntrySchema, InboxConversationSchema } from './admin-api.js';
import { ConversationSchema, MessageSchema } from './api.js';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const IsoDate = Type.String({ description: 'ISO 8601 timestamp' });

export const EXPORT_FORMATS = ['json', 'txt'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Any id is taken here: one that cannot exist answers the same 404 as an unknown one. */
export const ExportParamsSchema = Type.Object({ id: Type.String({ maxLength: 200 }) });

// A string rather than an enum, so that a wrong value answers a 400 that names the parameter and the
// formats (checked in the route).
export const TranscriptQuerySchema = Type.Object(
  { format: Type.Optional(Type.String({ maxLength: 20, description: '`json` (the default) or `txt`' })) },
  { additionalProperties: false },
);

export const ExportParticipantSchema = Type.Object({
  id: Type.String(),
  externalId: Nullable(Type.String()),
  name: Nullable(Type.String()),
  email: Nullable(Type.String()),
  role: Type.Union([Type.Literal('owner'), Type.Literal('admin'), Type.Literal('member')]),
  agent: Type.Boolean({ description: 'An owner or admin' }),
  joinedAt: IsoDate,
});

export const TranscriptExportSchema = Type.Object({
  conversation: InboxConversationSchema,
  participants: Type.Array(ExportParticipantSchema),
  messages: Type.Array(MessageSchema, { description: 'Oldest first, internal notes included (`internal: true`); a deleted message has `deletedAt` and an empty text' }),
});
export type TranscriptExport = Static<typeof TranscriptExportSchema>;

export const UserExportSchema = Type.Object({
  user: Type.Composite([AdminUserSchema, Type.Object({ metadata: Type.Record(Type.String(), Type.Unknown(), { description: 'The other claims of their signed token' }) })]),
  conversations: Type.Array(
    Type.Composite([ConversationSchema, Type.Object({ messages: Type.Array(MessageSchema, { description: 'Oldest first, without internal notes' }) })]),
    { description: 'Every conversation they take part in or started, oldest first' },
  ),
  auditEntries: Type.Array(AuditEntrySchema, { description: 'Entries whose actor or target is the account, oldest first' }),
});
export type UserExport = Static<typeof UserExportSchema>;
