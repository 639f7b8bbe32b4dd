/** Token API credentials in the admin panel: list, create (the authToken shown once), revoke. */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { parseName } from '#shared/fields.js';
import { readField } from './read-field.js';
import { contextOf } from '../context.js';
import type { ApiCredentialRow } from '../../store/api-credentials.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const Credential = Type.Object({ apiKey: Type.String(), name: Type.String(), createdAt: Type.String(), lastUsedAt: Type.Union([Type.String(), Type.Null()]), revokedAt: Type.Union([Type.String(), Type.Null()]) });
// Schemas are module constants: the process's schema compilers cache them by object (app.ts).
const ListSchema = Type.Object({ credentials: Type.Array(Credential) });
const CreateBody = Type.Object({ name: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false });
const CreatedSchema = Type.Object({ credential: Credential, apiKey: Type.String(), authToken: Type.String({ description: 'shown this once' }) });
const ApiKeyParams = Type.Object({ apiKey: Type.String({ minLength: 1, maxLength: 100 }) });
const CredentialResponse = Type.Object({ credential: Credential });
const present = (row: ApiCredentialRow) => ({ apiKey: row.api_key, name: row.name, createdAt: iso(row.created_at)!, lastUsedAt: iso(row.last_used_at), revokedAt: iso(row.revoked_at) });

export async function apiCredentialRoutes(parent: FastifyInstance) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const { apiCredentials, useCases } = app.services;

  app.get('/api-credentials', { schema: { response: { 200: ListSchema } } }, async () => ({
    credentials: (await apiCredentials.list()).map(present),
  }));

  app.post(
    '/api-credentials',
    {
      schema: {
        body: CreateBody,
        response: { 201: CreatedSchema },
      },
    },
    async (request, reply) => {
      const { row, authToken } = await useCases.credentials.createApiCredential(contextOf(request), readField('name', parseName(request.body.name)).trim() || 'API credential');
      return reply.code(201).send({ credential: present(row), apiKey: row.api_key, authToken });
    },
  );

  app.post(
    '/api-credentials/:apiKey/revoke',
    { schema: { params: ApiKeyParams, response: { 200: CredentialResponse } } },
    async (request) => ({ credential: present(await useCases.credentials.revokeApiCredential(contextOf(request), request.params.apiKey)) }),
  );
}
