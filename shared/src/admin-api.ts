/**
 * The shapes of `/api/v1/admin/…` (docs/admin-api.md) as TypeBox schemas: the server validates and
 * serialises with them, and the OpenAPI description at /docs is generated from them.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ConversationSchema, PostMessageBodySchema, UserSchema } from './api.js';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const IsoDate = Type.String({ description: 'ISO 8601 timestamp' });

export const AdminUserSchema = Type.Composite([
  UserSchema,
  Type.Object({
    active: Type.Boolean(),
    createdVia: Type.Union([Type.Literal('external_token'), Type.Literal('owner_link'), Type.Literal('admin'), Type.Literal('api'), Type.Literal('email')]),
    lastSeenAt: Nullable(IsoDate),
  }),
]);
export type AdminUser = Static<typeof AdminUserSchema>;
export const AdminUserResponseSchema = Type.Object({ user: AdminUserSchema });
export const AdminUserListSchema = Type.Object({ users: Type.Array(AdminUserSchema), nextCursor: Nullable(Type.String()), total: Type.Integer() });

export const OverviewSchema = Type.Object({
  seats: Type.Object({ used: Type.Integer(), limit: Type.Integer() }),
  last24h: Type.Object({ accountsCreated: Type.Integer(), signIns: Type.Record(Type.String(), Type.Integer(), { description: 'sign-in attempts by outcome code' }) }),
});

/** Every setting `GET /api/v1/admin/settings` lists, in its order: the instance's, then the widget's. */
export const SETTING_NAMES = [
  'seatLimit',
  'allowedOrigins',
  'tokenMaxLifetime',
  'externalAuthEnabled',
  'smtpUrl',
  'mailFrom',
  'signInMethods',
  'emailSignInDomains',
  'widgetTeamName',
  'widgetAvatarUrl',
  'widgetTitle',
  'widgetAccentColor',
  'widgetLauncherIconUrl',
  'widgetPosition',
  'widgetGreeting',
  'widgetReplyTime',
  'widgetAwayText',
] as const;
export type SettingName = (typeof SETTING_NAMES)[number];

export const SettingsSchema = Type.Object({
  settings: Type.Array(
    Type.Object({
      name: Type.Union(SETTING_NAMES.map((name) => Type.Literal(name))),
      variable: Nullable(Type.String()),
      value: Type.Unknown(),
      locked: Type.Boolean(),
    }),
  ),
  email: Type.Optional(Type.Object({ enabled: Type.Boolean({ description: 'an SMTP server is set: Parley sends email' }) })),
});
export const SettingsPatchSchema = Type.Object(
  {
    seatLimit: Type.Optional(Type.Unknown({ description: 'a whole number from 0' })),
    allowedOrigins: Type.Optional(Type.Unknown({ description: 'a list of origins, ["*"], or null for the public URL only' })),
    tokenMaxLifetime: Type.Optional(Type.Unknown({ description: 'a duration such as 3600, 30m, 12h or 7d' })),
    externalAuthEnabled: Type.Optional(Type.Unknown({ description: 'true or false' })),
    smtpUrl: Type.Optional(Type.Unknown({ description: 'smtp://user:password@host:587 or smtps://…:465 (write-only: read back without its password), or null: no email' })),
    mailFrom: Type.Optional(Type.Unknown({ description: 'the From of every email: Team <team@example.com> or an address, or null for parley@ the public host' })),
    signInMethods: Type.Optional(Type.Unknown({ description: 'what a visitor without a session is offered: ["external"], ["email"] or both; email needs PARLEY_SMTP_URL' })),
    emailSignInDomains: Type.Optional(Type.Unknown({ description: 'domains whose addresses may get a new account by email (example.com); [] or null: any' })),
    widgetTeamName: Type.Optional(Type.Unknown({ description: 'at most 60 characters, or null' })),
    widgetAvatarUrl: Type.Optional(Type.Unknown({ description: 'an https URL, or null' })),
    widgetTitle: Type.Optional(Type.Unknown({ description: "the panel's title: at most 60 characters, or null" })),
    widgetAccentColor: Type.Optional(Type.Unknown({ description: '#rrggbb, or null for the widget’s own' })),
    widgetLauncherIconUrl: Type.Optional(Type.Unknown({ description: 'an https URL, the URL of the uploaded icon, or null' })),
    widgetPosition: Type.Optional(Type.Unknown({ description: 'right or left' })),
    widgetGreeting: Type.Optional(Type.Unknown({ description: 'texts by locale (en, fr, ar) of at most 200 characters; {name} is the user’s first name' })),
    widgetReplyTime: Type.Optional(Type.Unknown({ description: 'texts by locale (en, fr, ar) of at most 80 characters' })),
    widgetAwayText: Type.Optional(Type.Unknown({ description: 'shown while no administrator is online: texts by locale (en, fr, ar) of at most 200 characters' })),
  },
  { additionalProperties: false },
);

export const KeySchema = Type.Object({
  kid: Type.String(),
  alg: Type.String(),
  source: Type.Union([Type.Literal('environment'), Type.Literal('database')]),
  jwksUrl: Nullable(Type.String()),
  createdAt: Nullable(IsoDate),
  lastUsedAt: Nullable(IsoDate),
  retiredAt: Nullable(IsoDate),
});
export const KeyListSchema = Type.Object({ enabled: Type.Boolean(), keys: Type.Array(KeySchema) });
export const CreatedKeySchema = Type.Object({ kid: Type.String(), secret: Type.String({ description: 'shown this once' }) });
export const KeyResponseSchema = Type.Object({ key: KeySchema });
export const ExamplesSchema = Type.Object({ examples: Type.Object({ node: Type.String(), python: Type.String(), php: Type.String(), go: Type.String() }) });

export const InboxConversationSchema = Type.Composite([
  ConversationSchema,
  Type.Object({
    unanswered: Type.Boolean({ description: 'Open, and its last message (notes aside) is not from an owner or admin, nor from the assistant' }),
    participants: Type.Array(
      Type.Object({
        id: Type.String(),
        name: Nullable(Type.String()),
        agent: Type.Boolean({ description: 'An owner or admin' }),
        lastReadMessageId: Nullable(Type.String({ description: 'The last message they have read, or null' })),
      }),
    ),
  }),
]);
/** `GET /api/v1/admin/inbox/counts`: how many conversations wait for an answer (their last message is not an administrator's). */
export const InboxCountsSchema = Type.Object({ waiting: Type.Integer({ minimum: 0, description: 'Open conversations whose last message (notes aside) is not from an owner or admin, nor from the assistant.' }) });
export type InboxCounts = Static<typeof InboxCountsSchema>;

/** The views of the inbox, each a status and an assignee filter, and how many conversations each holds. */
export const INBOX_VIEWS = ['unassigned', 'mine', 'open', 'snoozed', 'resolved', 'all'] as const;
export type InboxView = (typeof INBOX_VIEWS)[number];
export const InboxViewCountsSchema = Type.Object(
  Object.fromEntries(INBOX_VIEWS.map((view) => [view, Type.Integer({ minimum: 0 })])) as Record<InboxView, ReturnType<typeof Type.Integer>>,
  { description: 'unassigned: open with no assignee; mine: open and assigned to the caller; open, snoozed, resolved: by status; all' },
);
export type InboxViewCounts = Static<typeof InboxViewCountsSchema>;

/** `GET /api/v1/admin/conversations`: one view of the inbox, or a search (`q`), a page at a time. */
export const InboxQuerySchema = Type.Object(
  {
    // Each value is read by its rule (server/src/admin/inbox-query.ts), so that a wrong one is a 400 naming it.
    status: Type.Optional(Type.String({ description: 'open, resolved, snoozed or all (the default)' })),
    assignee: Type.Optional(Type.String({ description: 'me, none, or an administrator’s id' })),
    q: Type.Optional(Type.String({ maxLength: 200, description: 'Full-text search over message text, titles and participants’ names and emails; results ranked best first' })),
    cursor: Type.Optional(Type.String({ maxLength: 64 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  },
  { additionalProperties: false },
);
export const InboxListSchema = Type.Object({
  conversations: Type.Array(InboxConversationSchema),
  nextCursor: Nullable(Type.String()),
  counts: InboxViewCountsSchema,
});
export type InboxList = Static<typeof InboxListSchema>;
export const InboxConversationResponseSchema = Type.Object({ conversation: InboxConversationSchema });
/** `PATCH /api/v1/admin/conversations/:id`: the fields to change (at least one). */
export const ConversationPatchSchema = Type.Object(
  {
    // What each field may be is a rule of shared/src/fields.ts, checked by the route.
    title: Type.Optional(Type.String({ description: '1 to 200 characters after trimming, no control characters' })),
    status: Type.Optional(Type.String({ description: 'open, resolved or snoozed (snoozed needs snoozedUntil)' })),
    snoozedUntil: Type.Optional(Type.Unknown({ description: 'With status snoozed: an ISO 8601 time in the future, at most a year ahead' })),
    assigneeId: Type.Optional(Type.Unknown({ description: 'An owner’s or admin’s id of the conversation’s organization, or null to unassign' })),
  },
  { additionalProperties: false, minProperties: 1, description: 'The fields to change; each absent one stays as it is' },
);

/** `POST /api/v1/admin/conversations/:id/messages`: an answer, or with `internal` a note for administrators. */
export const AdminPostMessageBodySchema = Type.Object(
  {
    text: Type.String(),
    clientMessageId: PostMessageBodySchema.properties.clientMessageId,
    internal: Type.Optional(Type.Boolean({ description: 'An internal note: other administrators see it, the conversation’s users never do' })),
    attachmentIds: PostMessageBodySchema.properties.attachmentIds,
  },
  { additionalProperties: false },
);

/** `GET /api/v1/admin/conversations/:id/customer`: who the conversation is with (its creator). */
export const CustomerSchema = Type.Object({
  id: Type.String({ description: 'The Parley id (what a signed { id } payload names)' }),
  externalId: Nullable(Type.String()),
  email: Nullable(Type.String()),
  name: Nullable(Type.String()),
  avatarUrl: Nullable(Type.String()),
  organizationId: Type.String(),
  organizationName: Nullable(Type.String()),
  metadata: Type.Array(Type.Object({ key: Type.String(), value: Type.String() }), { description: 'The other claims of their signed token, as text' }),
  firstSeenAt: IsoDate,
  lastSeenAt: Nullable(IsoDate),
  lastPage: Nullable(Type.String({ description: 'Origin and path of the page where they last opened the widget' })),
  active: Type.Boolean(),
  conversations: Type.Array(
    Type.Object({ id: Type.String(), title: Nullable(Type.String()), status: ConversationSchema.properties.status, lastMessageAt: Nullable(IsoDate) }),
    { description: 'Their other conversations, newest activity first (at most 20)' },
  ),
});
export const CustomerResponseSchema = Type.Object({ customer: Nullable(CustomerSchema) });

/** `GET`/`PATCH /api/v1/admin/profile`: the signed-in administrator as agents and users see them. */
export const ProfileSchema = Type.Object({
  id: Type.String(),
  name: Nullable(Type.String({ description: 'Display name shown on their messages' })),
  email: Nullable(Type.String()),
  avatarUrl: Nullable(Type.String()),
  role: Type.Union([Type.Literal('owner'), Type.Literal('admin')]),
  preferences: Type.Object({
    sound: Type.Boolean({ description: 'A sound on a new conversation or a user’s message; off by default' }),
    agentEmails: Type.Boolean({ description: 'Emails about conversations waiting for an answer while the team is away; on by default' }),
  }),
});
export type Profile = Static<typeof ProfileSchema>;
export const ProfileResponseSchema = Type.Object({ profile: ProfileSchema });
export const ProfilePatchSchema = Type.Object(
  {
    name: Type.Optional(Type.Unknown({ description: '1 to 100 characters' })),
    avatarUrl: Type.Optional(Type.Unknown({ description: 'an https URL, or null' })),
    sound: Type.Optional(Type.Unknown({ description: 'true or false' })),
    agentEmails: Type.Optional(Type.Unknown({ description: 'true or false' })),
  },
  { additionalProperties: false, minProperties: 1 },
);

/** Canned replies: snippets an administrator inserts with `/` in the inbox composer. */
export const CannedReplySchema = Type.Object({ id: Type.String(), title: Type.String(), text: Type.String(), createdAt: IsoDate, updatedAt: IsoDate });
export type CannedReply = Static<typeof CannedReplySchema>;
export const CannedReplyListSchema = Type.Object({ cannedReplies: Type.Array(CannedReplySchema) });
export const CannedReplyResponseSchema = Type.Object({ cannedReply: CannedReplySchema });
export const CannedReplyQuerySchema = Type.Object({ q: Type.Optional(Type.String({ maxLength: 100, description: 'Matches the start of a word of the title or text' })) }, { additionalProperties: false });
export const CannedReplyBodySchema = Type.Object(
  {
    title: Type.Optional(Type.Unknown({ description: '1 to 80 characters' })),
    text: Type.Optional(Type.Unknown({ description: '1 to 10,000 characters' })),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const AuditEntrySchema = Type.Object({
  id: Type.String(),
  at: IsoDate,
  kind: Type.Union([Type.Literal('admin'), Type.Literal('sign_in')]),
  action: Type.String(),
  actor: Type.Object({ id: Nullable(Type.String()), label: Nullable(Type.String()) }),
  outcome: Type.String({ description: '`ok` or an error code' }),
  origin: Nullable(Type.String()),
  ip: Nullable(Type.String()),
  target: Nullable(Type.String()),
});
export const AuditListSchema = Type.Object({ entries: Type.Array(AuditEntrySchema), nextCursor: Nullable(Type.String()) });

export const AdminApiKeySchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  createdAt: IsoDate,
  lastUsedAt: Nullable(IsoDate),
  revokedAt: Nullable(IsoDate),
  createdBy: Type.Object({ id: Type.String(), label: Nullable(Type.String()) }),
});
export const AdminApiKeyListSchema = Type.Object({ apiKeys: Type.Array(AdminApiKeySchema) });
export const AdminApiKeyResponseSchema = Type.Object({ apiKey: AdminApiKeySchema });
export const CreatedAdminApiKeySchema = Type.Object({ apiKey: AdminApiKeySchema, key: Type.String({ description: 'shown this once' }) });

export const ErrorSchema = Type.Object({ error: Type.Object({ code: Type.String(), message: Type.String() }) });

// The assistant (docs/assistant.md). The API key goes in, never out: only its last four characters are shown.
// Null first: with Ajv's type coercion (Fastify's default), an integer first would turn a null ("unlimited") into 0.
const AssistantLimit = Type.Union([Type.Null(), Type.Integer({ minimum: 0, maximum: 1_000_000_000 })]);
export const AssistantLimitsSchema = Type.Object(
  {
    userMessagesPerDay: AssistantLimit,
    userTokensPerDay: AssistantLimit,
    organizationMessagesPerDay: AssistantLimit,
    organizationTokensPerDay: AssistantLimit,
  },
  { additionalProperties: false, description: 'Per UTC day; null: unlimited' },
);
export const ASSISTANT_ANSWERS = ['always', 'when_offline', 'never'] as const;
const AssistantAnswers = Type.Union(ASSISTANT_ANSWERS.map((a) => Type.Literal(a)), { description: 'always; when_offline: only while no administrator of the organization is online; never' });
export const AssistantSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  baseUrl: Type.String(),
  model: Type.String(),
  apiKeyHint: Type.String({ description: '"…" and the last four characters of the API key; "…" alone for a key under 12 characters' }),
  systemPrompt: Type.String(),
  temperature: Type.Number(),
  answers: AssistantAnswers,
  organizationIds: Nullable(Type.Array(Type.String())),
  documentRooms: Type.Boolean(),
  shareTokenMetadata: Type.Boolean(),
  allowPrivateAddress: Type.Boolean(),
  contextTokens: Type.Integer(),
  limits: AssistantLimitsSchema,
  createdAt: IsoDate,
  updatedAt: IsoDate,
});
export type Assistant = Static<typeof AssistantSchema>;
const assistantFields = {
  name: Type.String({ minLength: 1, maxLength: 80, pattern: '\\S' }),
  baseUrl: Type.String({ minLength: 1, maxLength: 2000, description: 'The OpenAI-compatible API root, e.g. https://api.openai.com/v1 (Parley calls {baseUrl}/chat/completions)' }),
  model: Type.String({ minLength: 1, maxLength: 200 }),
  apiKey: Type.String({ minLength: 1, maxLength: 1000, description: 'Sent as Authorization: Bearer; stored, never shown again' }),
  systemPrompt: Type.String({ maxLength: 20_000 }),
  answers: AssistantAnswers,
  temperature: Type.Number({ minimum: 0, maximum: 2 }),
  organizationIds: Nullable(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 1000, description: 'null: every organization' })),
  documentRooms: Type.Boolean(),
  shareTokenMetadata: Type.Boolean(),
  allowPrivateAddress: Type.Boolean(),
  contextTokens: Type.Integer({ minimum: 256, maximum: 128_000 }),
  limits: AssistantLimitsSchema,
};
export const AssistantCreateBodySchema = Type.Object(
  {
    name: assistantFields.name,
    baseUrl: assistantFields.baseUrl,
    model: assistantFields.model,
    apiKey: assistantFields.apiKey,
    systemPrompt: assistantFields.systemPrompt,
    answers: assistantFields.answers,
    temperature: Type.Optional(assistantFields.temperature),
    organizationIds: Type.Optional(assistantFields.organizationIds),
    documentRooms: Type.Optional(assistantFields.documentRooms),
    shareTokenMetadata: Type.Optional(assistantFields.shareTokenMetadata),
    allowPrivateAddress: Type.Optional(assistantFields.allowPrivateAddress),
    contextTokens: Type.Optional(assistantFields.contextTokens),
    limits: Type.Optional(Type.Partial(AssistantLimitsSchema, { additionalProperties: false })),
  },
  { additionalProperties: false },
);
export const AssistantPatchBodySchema = Type.Partial(AssistantCreateBodySchema, { additionalProperties: false });
export const AssistantParamsSchema = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }) });
export const AssistantResponseSchema = Type.Object({ assistant: AssistantSchema });
export const AssistantListSchema = Type.Object({ assistants: Type.Array(AssistantSchema) });
export const AssistantUsageQuerySchema = Type.Object({ day: Type.Optional(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD (UTC); default today' })) }, { additionalProperties: false });
export const AssistantUsageSchema = Type.Object({
  day: Type.String(),
  users: Type.Array(Type.Object({ userId: Type.String(), name: Nullable(Type.String()), email: Nullable(Type.String()), messages: Type.Integer(), tokens: Type.Integer() })),
  organizations: Type.Array(Type.Object({ organizationId: Type.String(), name: Type.String(), messages: Type.Integer(), tokens: Type.Integer() })),
});
export type AssistantUsage = Static<typeof AssistantUsageSchema>;
export const AssistantTestSchema = Type.Object({ reply: Type.String(), firstTokenMs: Type.Number({ description: 'From the request to the first streamed token, in ms' }) });
