/**
 * The user's side of the assistant (docs/assistant.md): stop the reply in progress, and "Talk to a person".
 * Both take the right to write in the conversation.
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ConversationResponseSchema } from '#shared/api.js';

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }) });

export async function assistantChatRoutes(parent: FastifyInstance) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const assistants = app.services.assistant.useCases;

  app.post('/conversations/:id/assistant/stop', { schema: { params: IdParams } }, async (request, reply) => {
    await assistants.stop(request.session!.user, request.params.id);
    return reply.code(204).send();
  });

  app.post('/conversations/:id/handoff', { schema: { params: IdParams, response: { 200: ConversationResponseSchema } } }, async (request) => ({
    conversation: await assistants.handOff(request.session!.user, request.params.id),
  }));
}
