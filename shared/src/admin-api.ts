/**
 * The shapes of `/api/v1/admin/…` (docs/admin-api.md) as TypeBox schemas: the server validates and
 * serialises with them, and the OpenAPI description at /docs is generated from them.
 */
import { Type, type Static } from '@sinclair/typebox';
import { ConversationSchema, UserSchema } from './api.js';

const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);
const IsoDate = Type.String({ description: 'ISO 8601 timestamp' });

export const AdminUserSchema = Type.Composite([
  UserSchema,
  Type.Object({
    active: Type.Boolean(),
    createdVia: Type.Union([Type.Literal('external_token'), Type.Literal('owner_link'), Type.Literal('admin'), Type.Literal('api')]),
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
  'widgetTeamName',
  'widgetAvatarUrl',
  'widgetTitle',
  'widgetAccentColor',
  'widgetLauncherIconUrl',
  'widgetPosition',
  'widgetGreeting',
  'widgetReplyTime',
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
});
export const SettingsPatchSchema = Type.Object(
  {
    seatLimit: Type.Optional(Type.Unknown({ description: 'a whole number from 0' })),
    allowedOrigins: Type.Optional(Type.Unknown({ description: 'a list of origins, ["*"], or null for the public URL only' })),
    tokenMaxLifetime: Type.Optional(Type.Unknown({ description: 'a duration such as 3600, 30m, 12h or 7d' })),
    externalAuthEnabled: Type.Optional(Type.Unknown({ description: 'true or false' })),
    widgetTeamName: Type.Optional(Type.Unknown({ description: 'at most 60 characters, or null' })),
    widgetAvatarUrl: Type.Optional(Type.Unknown({ description: 'an https URL, or null' })),
    widgetTitle: Type.Optional(Type.Unknown({ description: "the panel's title: at most 60 characters, or null" })),
    widgetAccentColor: Type.Optional(Type.Unknown({ description: '#rrggbb, or null for the widget’s own' })),
    widgetLauncherIconUrl: Type.Optional(Type.Unknown({ description: 'an https URL, the URL of the uploaded icon, or null' })),
    widgetPosition: Type.Optional(Type.Unknown({ description: 'right or left' })),
    widgetGreeting: Type.Optional(Type.Unknown({ description: 'texts by locale (en, fr, ar) of at most 200 characters; {name} is the user’s first name' })),
    widgetReplyTime: Type.Optional(Type.Unknown({ description: 'texts by locale (en, fr, ar) of at most 80 characters' })),
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
  Type.Object({ unanswered: Type.Boolean(), participants: Type.Array(Type.Object({ id: Type.String(), name: Nullable(Type.String()) })) }),
]);
/** `GET /api/v1/admin/inbox/counts`: how many conversations wait for an answer (their last message is not an administrator's). */
export const InboxCountsSchema = Type.Object({ waiting: Type.Integer({ minimum: 0, description: 'Conversations whose last message is not from an owner or admin.' }) });
export type InboxCounts = Static<typeof InboxCountsSchema>;

export const InboxListSchema = Type.Object({ conversations: Type.Array(InboxConversationSchema), nextCursor: Nullable(Type.String()) });
export const InboxConversationResponseSchema = Type.Object({ conversation: InboxConversationSchema });
/** `PATCH /api/v1/admin/conversations/:id`: the fields to change (at least one). */
export const ConversationPatchSchema = Type.Object(
  {
    // What a title may contain is the rule of shared/src/fields.ts (parseTitle), checked by the route.
    title: Type.Optional(Type.String({ description: '1 to 200 characters after trimming, no control characters' })),
  },
  { additionalProperties: false, minProperties: 1, description: 'The fields to change; each absent one stays as it is' },
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
