/** Admin API keys: list, create (the key shown once), revoke. */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ParleyError } from '../../errors.js';
import { parseName } from '../../../../shared/src/fields.js';
import { readField } from './read-field.js';
import { requireOwner } from '../../admin/admin-auth.js';
import type { AdminApiKeyRow } from '../../store/admin-api-keys.js';
import type { UserRow } from '../../store/users.js';
import { AdminApiKeyListSchema, AdminApiKeyResponseSchema, CreatedAdminApiKeySchema } from '../../../../shared/src/admin-api.js';

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }) });
const CreateBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false });
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export async function apiKeyRoutes(parent: FastifyInstance) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const { adminApiKeys, users, auditTrail } = app.services;

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

  app.post('/api-keys', { preHandler: requireOwner, schema: { body: CreateBody, response: { 201: CreatedAdminApiKeySchema } } }, async (request, reply) => {
    const actor = request.session!.user;
    const { row, key } = await adminApiKeys.create(readField('name', parseName(request.body.name)).trim() || 'API key', actor.id, app.now());
    await auditTrail.admin(request, 'api_key.create', 'ok', row.id);
    return reply.code(201).send({ apiKey: await present(row, actor), key });
  });

  app.post('/api-keys/:id/revoke', { preHandler: requireOwner, schema: { params: IdParams, response: { 200: AdminApiKeyResponseSchema } } }, async (request) => {
    if (!(await adminApiKeys.revoke(request.params.id, app.now()))) {
      await auditTrail.admin(request, 'api_key.revoke', 'api_key_not_found', request.params.id);
      throw new ParleyError('api_key_not_found');
    }
    await auditTrail.admin(request, 'api_key.revoke', 'ok', request.params.id);
    return { apiKey: await present((await adminApiKeys.find(request.params.id))!) };
  });
}
