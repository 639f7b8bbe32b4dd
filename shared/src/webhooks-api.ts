/**
 * The shapes of `/api/v1/admin/webhooks` (docs/admin-api.md, Webhooks) as TypeBox schemas: the server
 * validates and serialises with them, and the OpenAPI description at /docs is generated from them.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { WEBHOOK_EVENT_TYPES } from './webhook-fields.js';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const IsoDate = Type.String({ description: 'ISO 8601 timestamp' });
const EVENTS = `a non-empty list of ${WEBHOOK_EVENT_TYPES.join(', ')}`;

export const WebhookEndpointSchema = Type.Object({
  id: Type.String(),
  url: Type.String(),
  description: Nullable(Type.String()),
  events: Type.Array(Type.String()),
  enabled: Type.Boolean(),
  createdAt: IsoDate,
  updatedAt: IsoDate,
  failingSince: Nullable(IsoDate),
  disabledReason: Nullable(Type.String()),
});
export type WebhookEndpoint = Static<typeof WebhookEndpointSchema>;

export const WebhookEndpointResponseSchema = Type.Object({ endpoint: WebhookEndpointSchema });
export const WebhookCreatedSchema = Type.Object({ endpoint: WebhookEndpointSchema, secret: Type.String({ description: 'whsec_…: shown only here and on rotate' }) });
export const WebhookSecretSchema = Type.Object({ secret: Type.String({ description: 'whsec_…: shown only here' }) });
export const WebhookListSchema = Type.Object({ endpoints: Type.Array(WebhookEndpointSchema) });

export const WebhookCreateBodySchema = Type.Object(
  {
    url: Type.Unknown({ description: 'an http or https URL of at most 2,000 characters, without credentials, on a public address' }),
    events: Type.Unknown({ description: EVENTS }),
    description: Type.Optional(Type.Unknown({ description: 'at most 200 characters, or null' })),
    enabled: Type.Optional(Type.Unknown({ description: 'true (default) or false' })),
  },
  { additionalProperties: false },
);
export const WebhookPatchBodySchema = Type.Object(
  {
    url: Type.Optional(Type.Unknown({ description: 'an http or https URL of at most 2,000 characters, without credentials, on a public address' })),
    events: Type.Optional(Type.Unknown({ description: EVENTS })),
    description: Type.Optional(Type.Unknown({ description: 'at most 200 characters, or null' })),
    enabled: Type.Optional(Type.Unknown({ description: 'true or false; enabling clears the failure and its reason' })),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const WebhookParamsSchema = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }) });
export const WebhookDeliveryParamsSchema = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }),
  deliveryId: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }),
});
export const WebhookDeliveriesQuerySchema = Type.Object(
  {
    cursor: Type.Optional(Type.String({ pattern: '^\\d{1,15}$', description: 'nextCursor of the previous page' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  },
  { additionalProperties: false },
);

export const WebhookAttemptSchema = Type.Object({ at: IsoDate, statusCode: Nullable(Type.Integer()), durationMs: Type.Integer(), error: Nullable(Type.String()) });
export const WebhookDeliverySchema = Type.Object({
  id: Type.String({ description: 'the webhook-id header, the same on every try' }),
  type: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('sending'), Type.Literal('done'), Type.Literal('failed')]),
  attempts: Type.Integer(),
  createdAt: IsoDate,
  nextAttemptAt: Nullable(IsoDate),
  lastError: Nullable(Type.String()),
  tries: Type.Array(WebhookAttemptSchema),
});
export type WebhookDelivery = Static<typeof WebhookDeliverySchema>;
export const WebhookDeliveryListSchema = Type.Object({ deliveries: Type.Array(WebhookDeliverySchema), nextCursor: Nullable(Type.String()) });
