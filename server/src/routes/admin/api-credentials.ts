/** Token API credentials in the admin panel: list, create (the authToken shown once), revoke. */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ParleyError } from '../../errors.js';
import { parseName } from '../../../../shared/src/fields.js';
import { readField } from './read-field.js';
import { requireOwner } from '../../admin/admin-auth.js';
import type { ApiCredentialRow } from '../../store/api-credentials.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const Credential = Type.Object({ apiKey: Type.String(), name: Type.String(), createdAt: Type.String(), lastUsedAt: Type.Union([Type.String(), Type.Null()]), revokedAt: Type.Union([Type.String(), Type.Null()]) });
const present = (row: ApiCredentialRow) => ({ apiKey: row.api_key, name: row.name, createdAt: iso(row.created_at)!, lastUsedAt: iso(row.last_used_at), revokedAt: iso(row.revoked_at) });

export async function apiCredentialRoutes(parent: FastifyInstance) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const { apiCredentials, auditTrail } = app.services;

  app.get('/api-credentials', { schema: { response: { 200: Type.Object({ credentials: Type.Array(Credential) }) } } }, async () => ({
    credentials: (await apiCredentials.list()).map(present),
  }));

  app.post(
    '/api-credentials',
    {
      preHandler: requireOwner,
      schema: {
        body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false }),
        response: { 201: Type.Object({ credential: Credential, apiKey: Type.String(), authToken: Type.String({ description: 'shown this once' }) }) },
      },
    },
    async (request, reply) => {
      const { apiKey, authToken } = await apiCredentials.create(readField('name', parseName(request.body.name)).trim() || 'API credential', app.now());
      await auditTrail.admin(request, 'api_credential.create', 'ok', apiKey);
      return reply.code(201).send({ credential: present((await apiCredentials.find(apiKey))!), apiKey, authToken });
    },
  );

  app.post(
    '/api-credentials/:apiKey/revoke',
    { preHandler: requireOwner, schema: { params: Type.Object({ apiKey: Type.String({ minLength: 1, maxLength: 100 }) }), response: { 200: Type.Object({ credential: Credential }) } } },
    async (request) => {
      if (!(await apiCredentials.revoke(request.params.apiKey, app.now()))) {
        await auditTrail.admin(request, 'api_credential.revoke', 'api_credential_not_found', request.params.apiKey);
        throw new ParleyError('api_credential_not_found');
      }
      await auditTrail.admin(request, 'api_credential.revoke', 'ok', request.params.apiKey);
      return { credential: present((await apiCredentials.find(request.params.apiKey))!) };
    },
  );
}
