/** The inbox: every conversation of the organization; reading, answering and renaming one. */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ConversationPageQuerySchema, MessagePageQuerySchema, MessagePageSchema, MessageResponseSchema, PostMessageBodySchema } from '../../../../shared/src/api.js';
import { ConversationPatchSchema, InboxConversationResponseSchema, InboxCountsSchema, InboxListSchema } from '../../../../shared/src/admin-api.js';
import { parseTitle } from '../../../../shared/src/fields.js';
import type { ConversationPatch } from '../../use-cases/conversations.js';
import { contextOf } from '../context.js';
import { readOptionalField } from './read-field.js';

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }) });

export async function inboxRoutes(parent: FastifyInstance) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const { inbox, chat, useCases } = app.services;

  app.get('/conversations', { schema: { querystring: ConversationPageQuerySchema, response: { 200: InboxListSchema } } }, async (request) =>
    inbox.list(request.session!.user, request.query.cursor, request.query.limit ?? 30),
  );

  app.get('/inbox/counts', { schema: { response: { 200: InboxCountsSchema } } }, async (request) => ({ waiting: await inbox.waiting(request.session!.user) }));

  app.get('/conversations/:id/messages', { schema: { params: IdParams, querystring: MessagePageQuerySchema, response: { 200: MessagePageSchema } } }, async (request) =>
    chat.listMessages(request.session!.user, request.params.id, request.query.before, request.query.limit ?? 50),
  );

  // Each field of the body is read by its rule; one more field (a status, an assignee) is one more line.
  app.patch('/conversations/:id', { schema: { params: IdParams, body: ConversationPatchSchema, response: { 200: InboxConversationResponseSchema } } }, async (request) => {
    const patch: ConversationPatch = {};
    const title = readOptionalField('title', request.body.title, parseTitle);
    if (title !== undefined) patch.title = title;
    const row = await useCases.conversations.updateConversation(contextOf(request), request.params.id, patch);
    return { conversation: await inbox.one(row) };
  });

  app.post('/conversations/:id/messages', { schema: { params: IdParams, body: PostMessageBodySchema, response: { 200: MessageResponseSchema, 201: MessageResponseSchema } } }, async (request, reply) => {
    const { message, created } = await chat.postMessage(request.session!.user, request.params.id, request.body.text, request.body.clientMessageId);
    return reply.code(created ? 201 : 200).send({ message });
  });
}
