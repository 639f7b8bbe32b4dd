/** The inbox: every conversation of the organization; reading and answering one. */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ConversationPageQuerySchema, MessagePageQuerySchema, PostMessageBodySchema } from '../../../../shared/src/api.js';

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }) });

export async function inboxRoutes(parent: FastifyInstance) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const { inbox, chat } = app.services;

  app.get('/conversations', { schema: { querystring: ConversationPageQuerySchema } }, async (request) =>
    inbox.list(request.session!.user, request.query.cursor, request.query.limit ?? 30),
  );

  app.get('/conversations/:id/messages', { schema: { params: IdParams, querystring: MessagePageQuerySchema } }, async (request) =>
    chat.listMessages(request.session!.user, request.params.id, request.query.before, request.query.limit ?? 50),
  );

  app.post('/conversations/:id/messages', { schema: { params: IdParams, body: PostMessageBodySchema } }, async (request, reply) => {
    const { message, created } = await chat.postMessage(request.session!.user, request.params.id, request.body.text, request.body.clientMessageId);
    return reply.code(created ? 201 : 200).send({ message });
  });
}
