/** Admin API keys: list, create (the key shown once), revoke. */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { parseName } from '#shared/fields.js';
import { readField } from './read-field.js';
import { contextOf } from '../context.js';
import type { AdminApiKeyRow } from '../../store/admin-api-keys.js';
import type { UserRow } from '../../store/users.js';
import { AdminApiKeyListSchema, AdminApiKeyResponseSchema, CreatedAdminApiKeySchema } from '#shared/admin-api.js';

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }) });
const CreateBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false });
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export async function apiKeyRoutes(parent: FastifyInstance) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const { adminApiKeys, users, useCases } = app.services;

  async function present(row: AdminApiKeyRow, creator?: UserRow) {
    const by = creator ?? (await users.findById(row.created_by));
    return {
      id: row.id,
      name: row.name,
      createdAt: iso(row.created_at)!,
      lastUsedAt: iso(row.last_used_at),
      revokedAt: iso(row.revoked_at),
      createdBy: { id: row.created_by, label: by ? (by.email ?? by.name ?? by.id) : null },
    };
  }

  app.get('/api-keys', { schema: { response: { 200: AdminApiKeyListSchema } } }, async () => ({ apiKeys: await Promise.all((await adminApiKeys.list()).map((row) => present(row))) }));

  app.post('/api-keys', { schema: { body: CreateBody, response: { 201: CreatedAdminApiKeySchema } } }, async (request, reply) => {
    const ctx = contextOf(request);
    const { row, key } = await useCases.credentials.createAdminApiKey(ctx, readField('name', parseName(request.body.name)).trim() || 'API key');
    return reply.code(201).send({ apiKey: await present(row, request.session!.user), key });
  });

  app.post('/api-keys/:id/revoke', { schema: { params: IdParams, response: { 200: AdminApiKeyResponseSchema } } }, async (request) => ({
    apiKey: await present(await useCases.credentials.revokeAdminApiKey(contextOf(request), request.params.id)),
  }));
}
