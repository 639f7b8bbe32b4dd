/** The messages of the inbox's conversations: reading, answering, internal notes. */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { MessagePageQuerySchema, MessagePageSchema, MessageResponseSchema, PostMessageBodySchema } from '../../../../shared/src/api.js';

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }) });

export async function inboxMessageRoutes(parent: FastifyInstance) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const { chat } = app.services;

  app.get('/conversations/:id/messages', { schema: { params: IdParams, querystring: MessagePageQuerySchema, response: { 200: MessagePageSchema } } }, async (request) =>
    chat.listMessages(request.session!.user, request.params.id, request.query.before, request.query.limit ?? 50),
  );

  app.post('/conversations/:id/messages', { schema: { params: IdParams, body: PostMessageBodySchema, response: { 200: MessageResponseSchema, 201: MessageResponseSchema } } }, async (request, reply) => {
    const { message, created } = await chat.postMessage(request.session!.user, request.params.id, request.body.text, request.body.clientMessageId);
    return reply.code(created ? 201 : 200).send({ message });
  });
}
