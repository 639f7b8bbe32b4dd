/** The inbox: every conversation of the organization; reading and answering one. */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ConversationPageQuerySchema, MessagePageQuerySchema, MessagePageSchema, MessageResponseSchema, PostMessageBodySchema } from '../../../../shared/src/api.js';
import { InboxListSchema } from '../../../../shared/src/admin-api.js';

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }) });

export async function inboxRoutes(parent: FastifyInstance) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const { inbox, chat } = app.services;

  app.get('/conversations', { schema: { querystring: ConversationPageQuerySchema, response: { 200: InboxListSchema } } }, async (request) =>
    inbox.list(request.session!.user, request.query.cursor, request.query.limit ?? 30),
  );

  app.get('/conversations/:id/messages', { schema: { params: IdParams, querystring: MessagePageQuerySchema, response: { 200: MessagePageSchema } } }, async (request) =>
    chat.listMessages(request.session!.user, request.params.id, request.query.before, request.query.limit ?? 50),
  );

  app.post('/conversations/:id/messages', { schema: { params: IdParams, body: PostMessageBodySchema, response: { 200: MessageResponseSchema, 201: MessageResponseSchema } } }, async (request, reply) => {
    const { message, created } = await chat.postMessage(request.session!.user, request.params.id, request.body.text, request.body.clientMessageId);
    return reply.code(created ? 201 : 200).send({ message });
  });
}
