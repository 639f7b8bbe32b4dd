/**
 * Assistants (docs/admin-api.md, Assistants; docs/assistant.md): list, create, change, delete, the day's
 * usage, a test call; and taking a conversation over from its assistant. The API key is accepted, never
 * answered (only `apiKeyHint`: see `keyHint`).
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ConversationResponseSchema } from '#shared/api.js';
import {
  AssistantCreateBodySchema,
  AssistantListSchema,
  AssistantParamsSchema,
  AssistantPatchBodySchema,
  AssistantResponseSchema,
  AssistantTestSchema,
  AssistantUsageQuerySchema,
  AssistantUsageSchema,
  ErrorSchema,
  type Assistant,
} from '#shared/admin-api.js';
import { NO_LIMITS, type AssistantPatch, type AssistantRow } from '../../store/assistants.js';
import { AssistantUnavailable } from '../../use-cases/assistants.js';
import { contextOf } from '../context.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** A key at least this long shows its last four characters in its hint; a shorter one shows none. */
export const KEY_HINT_MIN_LENGTH = 12;

/**
 * What an administrator is shown of a stored key: `…` and its last four characters, so that two keys can be
 * told apart; for a key under KEY_HINT_MIN_LENGTH characters only `…`, since four of its characters would be
 * much of it (all of a key of four or fewer).
 */
export const keyHint = (apiKey: string) => (apiKey.length >= KEY_HINT_MIN_LENGTH ? `…${apiKey.slice(-4)}` : '…');

export const presentAssistant = (row: AssistantRow): Assistant => ({
  id: row.id,
  name: row.name,
  baseUrl: row.baseUrl,
  model: row.model,
  apiKeyHint: keyHint(row.apiKey),
  systemPrompt: row.systemPrompt,
  temperature: row.temperature,
  answers: row.answers,
  organizationIds: row.organizationIds === null ? null : [...row.organizationIds],
  documentRooms: row.documentRooms,
  shareTokenMetadata: row.shareTokenMetadata,
  allowPrivateAddress: row.allowPrivateAddress,
  contextTokens: row.contextTokens,
  limits: { ...row.limits },
  createdAt: iso(row.createdAt),
  updatedAt: iso(row.updatedAt),
});

/** The defaults of a new assistant's optional fields (docs/assistant.md, Configuration). */
export const ASSISTANT_DEFAULTS = { temperature: 0.7, contextTokens: 4000 } as const;

const ConversationParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }) });

export async function assistantRoutes(parent: FastifyInstance) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const assistants = app.services.assistant.useCases;

  app.get('/assistants', { schema: { response: { 200: AssistantListSchema } } }, async (request) => ({
    assistants: (await assistants.list(contextOf(request))).map(presentAssistant),
  }));

  app.post('/assistants', { schema: { body: AssistantCreateBodySchema, response: { 201: AssistantResponseSchema } } }, async (request, reply) => {
    const b = request.body;
    const row = await assistants.create(contextOf(request), {
      name: b.name.trim(),
      baseUrl: b.baseUrl.trim(),
      model: b.model.trim(),
      apiKey: b.apiKey,
      systemPrompt: b.systemPrompt,
      answers: b.answers,
      temperature: b.temperature ?? ASSISTANT_DEFAULTS.temperature,
      organizationIds: b.organizationIds ?? null,
      documentRooms: b.documentRooms ?? false,
      shareTokenMetadata: b.shareTokenMetadata ?? false,
      allowPrivateAddress: b.allowPrivateAddress ?? false,
      contextTokens: b.contextTokens ?? ASSISTANT_DEFAULTS.contextTokens,
      limits: { ...NO_LIMITS, ...b.limits },
    });
    return reply.code(201).send({ assistant: presentAssistant(row) });
  });

  app.patch('/assistants/:id', { schema: { params: AssistantParamsSchema, body: AssistantPatchBodySchema, response: { 200: AssistantResponseSchema } } }, async (request) => {
    const b = request.body;
    const patch: AssistantPatch = {};
    if (b.name !== undefined) patch.name = b.name.trim();
    if (b.baseUrl !== undefined) patch.baseUrl = b.baseUrl.trim();
    if (b.model !== undefined) patch.model = b.model.trim();
    if (b.apiKey !== undefined) patch.apiKey = b.apiKey;
    if (b.systemPrompt !== undefined) patch.systemPrompt = b.systemPrompt;
    if (b.answers !== undefined) patch.answers = b.answers;
    if (b.temperature !== undefined) patch.temperature = b.temperature;
    if (b.organizationIds !== undefined) patch.organizationIds = b.organizationIds;
    if (b.documentRooms !== undefined) patch.documentRooms = b.documentRooms;
    if (b.shareTokenMetadata !== undefined) patch.shareTokenMetadata = b.shareTokenMetadata;
    if (b.allowPrivateAddress !== undefined) patch.allowPrivateAddress = b.allowPrivateAddress;
    if (b.contextTokens !== undefined) patch.contextTokens = b.contextTokens;
    const ctx = contextOf(request);
    // Limits not named keep their value.
    if (b.limits !== undefined) patch.limits = { ...(await assistants.list(ctx)).find((a: AssistantRow) => a.id === request.params.id)?.limits ?? NO_LIMITS, ...b.limits };
    return { assistant: presentAssistant(await assistants.update(ctx, request.params.id, patch)) };
  });

  app.delete('/assistants/:id', { schema: { params: AssistantParamsSchema } }, async (request, reply) => {
    await assistants.delete(contextOf(request), request.params.id);
    return reply.code(204).send();
  });

  app.get('/assistants/:id/usage', { schema: { params: AssistantParamsSchema, querystring: AssistantUsageQuerySchema, response: { 200: AssistantUsageSchema } } }, async (request) =>
    assistants.usage(contextOf(request), request.params.id, request.query.day),
  );

  app.post('/assistants/:id/test', { schema: { params: AssistantParamsSchema, response: { 200: AssistantTestSchema, '5xx': ErrorSchema } } }, async (request, reply) => {
    try {
      return await assistants.test(contextOf(request), request.params.id);
    } catch (error) {
      if (!(error instanceof AssistantUnavailable)) throw error;
      return reply.code(error.statusCode).send({ error: { code: 'assistant_unavailable', message: error.message } });
    }
  });

  app.post('/conversations/:id/take-over', { schema: { params: ConversationParams, response: { 200: ConversationResponseSchema } } }, async (request) => ({
    conversation: await assistants.takeOver(contextOf(request), request.params.id),
  }));
}
