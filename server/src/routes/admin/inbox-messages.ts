/**
 * The messages of the inbox's conversations (docs/admin-api.md): reading (notes included), answering,
 * internal notes, editing one's own message within 15 minutes, deleting any message at any time (audited
 * when it is someone else's), typing, and reading up to a message, which the user sees as "Seen". Marking
 * read and typing count against the account's limits like the user routes' (chat/account-limits.ts).
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  EditMessageBodySchema,
  MarkReadBodySchema,
  MarkReadResponseSchema,
  MessagePageQuerySchema,
  MessagePageSchema,
  MessageParamsSchema,
  MessageResponseSchema,
} from '#shared/api.js';
import { AdminPostMessageBodySchema } from '#shared/admin-api.js';
import { accountLimitsOf, enforceLimit } from '../../chat/account-limits.js';
import { contextOf } from '../context.js';

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }) });

export async function inboxMessageRoutes(parent: FastifyInstance) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const { chat, useCases } = app.services;
  const limits = accountLimitsOf(app);

  // Notes included: administrators see the whole thread.
  app.get('/conversations/:id/messages', { schema: { params: IdParams, querystring: MessagePageQuerySchema, response: { 200: MessagePageSchema } } }, async (request) =>
    chat.listMessages(request.session!.user, request.params.id, request.query.before, request.query.limit ?? 50),
  );

  // An answer, or with `internal: true` a note that the conversation's users never see.
  app.post('/conversations/:id/messages', { schema: { params: IdParams, body: AdminPostMessageBodySchema, response: { 200: MessageResponseSchema, 201: MessageResponseSchema } } }, async (request, reply) => {
    const { text, clientMessageId, internal, attachmentIds } = request.body;
    const { message, created } = await chat.postMessage(request.session!.user, request.params.id, text, clientMessageId, undefined, { internal: internal === true, ...(attachmentIds ? { attachmentIds } : {}) });
    return reply.code(created ? 201 : 200).send({ message });
  });

  app.post('/conversations/:id/read', { schema: { params: IdParams, body: MarkReadBodySchema, response: { 200: MarkReadResponseSchema } } }, async (request) => {
    enforceLimit(await limits.read(request.session!.user.id));
    return chat.markRead(request.session!.user, request.params.id, request.body.messageId);
  });

  app.patch('/conversations/:id/messages/:messageId', { schema: { params: MessageParamsSchema, body: EditMessageBodySchema, response: { 200: MessageResponseSchema } } }, async (request) => ({
    message: await useCases.messages.editMessage(contextOf(request), request.params.id, request.params.messageId, request.body.text),
  }));

  app.delete('/conversations/:id/messages/:messageId', { schema: { params: MessageParamsSchema } }, async (request, reply) => {
    await useCases.messages.deleteMessage(contextOf(request), request.params.id, request.params.messageId);
    return reply.code(204).send();
  });

  app.post('/conversations/:id/typing', { schema: { params: IdParams } }, async (request, reply) => {
    const user = request.session!.user;
    enforceLimit(await limits.typing(user.id, request.params.id));
    await chat.typing(user, request.params.id);
    return reply.code(204).send();
  });
}
