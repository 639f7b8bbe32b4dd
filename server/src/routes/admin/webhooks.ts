/**
 * Webhook endpoints (docs/admin-api.md, Webhooks): list, create (the secret shown once), read, change,
 * delete, rotate the secret, the delivery log, Resend.
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { parseFlag } from '#shared/fields.js';
import { parseWebhookDescription, parseWebhookEvents, parseWebhookUrl } from '#shared/webhook-fields.js';
import {
  WebhookCreateBodySchema,
  WebhookCreatedSchema,
  WebhookDeliveriesQuerySchema,
  WebhookDeliveryListSchema,
  WebhookDeliveryParamsSchema,
  WebhookDeliverySchema,
  WebhookEndpointResponseSchema,
  WebhookListSchema,
  WebhookParamsSchema,
  WebhookPatchBodySchema,
  WebhookSecretSchema,
  type WebhookDelivery,
  type WebhookEndpoint,
} from '#shared/webhooks-api.js';
import { Type } from '@sinclair/typebox';
import type { WebhookEndpointRow } from '../../store/webhook-endpoints.js';
import type { WebhookDeliveryRow } from '../../use-cases/webhooks.js';
import { contextOf } from '../context.js';
import { readField, readOptionalField } from './read-field.js';

const iso = (ms: number) => new Date(ms).toISOString();

export const presentEndpoint = (row: WebhookEndpointRow): WebhookEndpoint => ({
  id: row.id,
  url: row.url,
  description: row.description,
  events: row.events,
  enabled: row.enabled === 1,
  createdAt: iso(row.created_at),
  updatedAt: iso(row.updated_at),
  failingSince: row.failing_since === null ? null : iso(row.failing_since),
  disabledReason: row.disabled_reason,
});

function typeOf(payload: string): string {
  try {
    const type = (JSON.parse(payload) as { type?: unknown }).type;
    return typeof type === 'string' ? type : '';
  } catch {
    return '';
  }
}

export const presentDelivery = ({ row, tries }: WebhookDeliveryRow): WebhookDelivery => ({
  id: row.id,
  type: typeOf(row.payload),
  status: row.status,
  attempts: row.attempts,
  createdAt: iso(row.created_at),
  nextAttemptAt: row.status === 'pending' ? iso(row.next_attempt_at) : null,
  lastError: row.last_error,
  tries: tries.map((t) => ({ at: iso(t.at), statusCode: t.status_code, durationMs: t.duration_ms, error: t.error })),
});

export async function webhookRoutes(parent: FastifyInstance) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const { webhooks } = app.services.useCases;

  app.get('/webhooks', { schema: { response: { 200: WebhookListSchema } } }, async (request) => ({
    endpoints: (await webhooks.list(contextOf(request))).map(presentEndpoint),
  }));

  app.post('/webhooks', { schema: { body: WebhookCreateBodySchema, response: { 201: WebhookCreatedSchema } } }, async (request, reply) => {
    const body = request.body;
    const input = {
      url: readField('url', parseWebhookUrl(body.url)),
      events: readField('events', parseWebhookEvents(body.events)),
      description: readOptionalField('description', body.description, parseWebhookDescription) ?? null,
      enabled: readOptionalField('enabled', body.enabled, parseFlag) ?? true,
    };
    const { endpoint, secret } = await webhooks.create(contextOf(request), input);
    return reply.code(201).send({ endpoint: presentEndpoint(endpoint), secret });
  });

  app.get('/webhooks/:id', { schema: { params: WebhookParamsSchema, response: { 200: WebhookEndpointResponseSchema } } }, async (request) => ({
    endpoint: presentEndpoint(await webhooks.get(contextOf(request), request.params.id)),
  }));

  app.patch('/webhooks/:id', { schema: { params: WebhookParamsSchema, body: WebhookPatchBodySchema, response: { 200: WebhookEndpointResponseSchema } } }, async (request) => {
    const body = request.body;
    const url = readOptionalField('url', body.url, parseWebhookUrl);
    const events = readOptionalField('events', body.events, parseWebhookEvents);
    const description = readOptionalField('description', body.description, parseWebhookDescription);
    const enabled = readOptionalField('enabled', body.enabled, parseFlag);
    const patch = { ...(url !== undefined ? { url } : {}), ...(events !== undefined ? { events } : {}), ...(description !== undefined ? { description } : {}), ...(enabled !== undefined ? { enabled } : {}) };
    return { endpoint: presentEndpoint(await webhooks.update(contextOf(request), request.params.id, patch)) };
  });

  app.delete('/webhooks/:id', { schema: { params: WebhookParamsSchema } }, async (request, reply) => {
    await webhooks.delete(contextOf(request), request.params.id);
    return reply.code(204).send();
  });

  app.post('/webhooks/:id/rotate-secret', { schema: { params: WebhookParamsSchema, response: { 200: WebhookSecretSchema } } }, async (request) => ({
    secret: (await webhooks.rotateSecret(contextOf(request), request.params.id)).secret,
  }));

  app.get('/webhooks/:id/deliveries', { schema: { params: WebhookParamsSchema, querystring: WebhookDeliveriesQuerySchema, response: { 200: WebhookDeliveryListSchema } } }, async (request) => {
    const { cursor, limit = 20 } = request.query;
    const page = await webhooks.deliveries(contextOf(request), request.params.id, limit, cursor === undefined ? undefined : Number(cursor));
    return { deliveries: page.deliveries.map(presentDelivery), nextCursor: page.nextBeforeSeq === null ? null : String(page.nextBeforeSeq) };
  });

  app.post(
    '/webhooks/:id/deliveries/:deliveryId/resend',
    { schema: { params: WebhookDeliveryParamsSchema, response: { 202: Type.Object({ delivery: WebhookDeliverySchema }) } } },
    async (request, reply) => {
      const delivery = await webhooks.resend(contextOf(request), request.params.id, request.params.deliveryId);
      app.services.outboundWorker.nudge();
      return reply.code(202).send({ delivery: presentDelivery(delivery) });
    },
  );
}
