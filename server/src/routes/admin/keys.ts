/** External-auth keys in the admin panel: list, create (secret shown once), retire, signing examples. */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ENV_KID } from '../../auth/key-ring.js';
import { signingExamples } from '../../admin/examples.js';
import { ParleyError } from '../../errors.js';
import { contextOf } from '../context.js';
import type { KeyRow } from '../../store/keys.js';
import { CreatedKeySchema, ExamplesSchema, KeyListSchema, KeyResponseSchema } from '#shared/admin-api.js';

const KidParams = Type.Object({ kid: Type.String({ minLength: 1, maxLength: 128 }) });
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function presentKey(row: KeyRow) {
  return { kid: row.kid, alg: row.alg, source: 'database' as const, jwksUrl: row.jwks_url, createdAt: iso(row.created_at), lastUsedAt: iso(row.last_used_at), retiredAt: iso(row.retired_at) };
}

export async function keyRoutes(parent: FastifyInstance) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const { keys, settings, useCases } = app.services;

  app.get('/keys', { schema: { response: { 200: KeyListSchema } } }, async () => {
    const rows = await keys.listAll();
    const env = app.config.externalAuthSecret
      ? [{ kid: ENV_KID, alg: 'HS256', source: 'environment' as const, jwksUrl: null, createdAt: null, lastUsedAt: null, retiredAt: null }]
      : [];
    return { enabled: (await settings.get()).externalAuthEnabled, keys: [...env, ...rows.map(presentKey)] };
  });

  app.post('/keys', { schema: { response: { 201: CreatedKeySchema } } }, async (request, reply) =>
    reply.code(201).send(await useCases.keys.createKey(contextOf(request))),
  );

  app.post('/keys/:kid/retire', { schema: { params: KidParams, response: { 200: KeyResponseSchema } } }, async (request) => ({
    key: presentKey(await useCases.keys.retireKey(contextOf(request), request.params.kid)),
  }));

  app.get('/keys/:kid/examples', { schema: { params: KidParams, response: { 200: ExamplesSchema } } }, async (request) => {
    const { kid } = request.params;
    const row = kid === ENV_KID ? undefined : await keys.find(kid);
    if (kid === ENV_KID ? !app.config.externalAuthSecret : !row || row.alg !== 'HS256' || row.retired_at !== null) throw new ParleyError('key_not_found');
    const { tokenMaxLifetimeSeconds } = await settings.get();
    return { examples: signingExamples({ kid, publicUrl: app.publicUrl.value, maxLifetimeSeconds: tokenMaxLifetimeSeconds }) };
  });
}
