/**
 * Conversations and messages over REST (README.md, API), for the signed-in user: reading, posting, editing
 * and deleting their own messages, read markers, typing, and whether the team is online. Posting a message
 * and creating a conversation (a document room's first open included; one created with its first message
 * counts as both), moving a read marker and typing count against the account's limits
 * (chat/account-limits.ts): beyond them, `429 rate_limited` with Retry-After.
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import {
  ConversationListSchema,
  ConversationPageQuerySchema,
  ConversationResponseSchema,
  CreateConversationBodySchema,
  DocumentRoomSchema,
  EditMessageBodySchema,
  MarkReadBodySchema,
  MarkReadResponseSchema,
  MessagePageQuerySchema,
  MessagePageSchema,
  MessageParamsSchema,
  MessageResponseSchema,
  PostMessageBodySchema,
  PresenceSchema,
} from '#shared/api.js';
import { parseTitle } from '#shared/fields.js';
import { accountLimitsOf, enforceLimit as enforce } from '../../chat/account-limits.js';
import { readField } from '../admin/read-field.js';
import { contextOf } from '../context.js';
import { assistantChatRoutes } from './assistant.js';
import { attachmentUploadRoutes } from './attachments.js';

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }) });
const DocumentParams = Type.Object({ documentId: Type.String({ minLength: 1, maxLength: 256 }) });

export async function chatRoutes(parent: FastifyInstance) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const { chat, requireSession, useCases, presence } = app.services;
  const limits = accountLimitsOf(app);
  app.addHook('onRequest', requireSession);
  app.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
  });

  app.get('/conversations', { schema: { querystring: ConversationPageQuerySchema, response: { 200: ConversationListSchema } } }, async (request) =>
    chat.listConversations(request.session!.user, request.query.cursor, request.query.limit ?? 30),
  );

  app.post(
    '/conversations',
    { schema: { body: Type.Optional(CreateConversationBodySchema), response: { 200: ConversationResponseSchema, 201: ConversationResponseSchema } } },
    async (request, reply) => {
      const user = request.session!.user;
      const body = request.body ?? {};
      // A blank title is no title: the first message gives one.
      const title = body.title === undefined || body.title.trim() === '' ? undefined : readField('title', parseTitle(body.title));
      if (body.message) {
        const first = { title, text: body.message.text, clientMessageId: body.message.clientMessageId };
        const { conversation, created } = await chat.startConversation(user, first, async () => enforce(await limits.conversationWithMessage(user.id)));
        return reply.code(created ? 201 : 200).send({ conversation });
      }
      enforce(await limits.conversation(user.id));
      return reply.code(201).send({ conversation: await chat.createConversation(user, title) });
    },
  );

  app.post(
    '/documents/:documentId/open',
    { schema: { params: DocumentParams, response: { 200: DocumentRoomSchema } } },
    async (request) =>
      chat.openDocument(request.session!.user, request.params.documentId, async () => enforce(await limits.conversation(request.session!.user.id))),
  );

  app.get('/conversations/:id', { schema: { params: IdParams, response: { 200: ConversationResponseSchema } } }, async (request) => ({
    conversation: await chat.getConversation(request.session!.user, request.params.id),
  }));

  app.get(
    '/conversations/:id/messages',
    { schema: { params: IdParams, querystring: MessagePageQuerySchema, response: { 200: MessagePageSchema } } },
    async (request) => chat.listMessages(request.session!.user, request.params.id, request.query.before, request.query.limit ?? 50),
  );

  await app.register(attachmentUploadRoutes);
  await app.register(assistantChatRoutes);

  app.post(
    '/conversations/:id/read',
    { schema: { params: IdParams, body: MarkReadBodySchema, response: { 200: MarkReadResponseSchema } } },
    async (request) => {
      enforce(await limits.read(request.session!.user.id));
      return chat.markRead(request.session!.user, request.params.id, request.body.messageId);
    },
  );

  app.post(
    '/conversations/:id/messages',
    // The session is checked after the body, and the conversation read with it in one round trip (auth/session-auth.ts).
    { ...requireSession.conversationRoute, schema: { params: IdParams, body: PostMessageBodySchema, response: { 200: MessageResponseSchema, 201: MessageResponseSchema } } },
    async (request, reply) => {
      const user = request.session!.user;
      const { message, created } = await chat.postMessage(user, request.params.id, request.body.text, request.body.clientMessageId, async () => enforce(await limits.message(user.id)), {
        ...(request.body.attachmentIds ? { attachmentIds: request.body.attachmentIds } : {}),
        ...(request.session!.conversation ? { seen: request.session!.conversation } : {}),
      });
      return reply.code(created ? 201 : 200).send({ message });
    },
  );

  // The author's own message, within 15 minutes of posting it (use-cases/messages.ts has the rules).
  app.patch('/conversations/:id/messages/:messageId', { schema: { params: MessageParamsSchema, body: EditMessageBodySchema, response: { 200: MessageResponseSchema } } }, async (request) => ({
    message: await useCases.messages.editMessage(contextOf(request), request.params.id, request.params.messageId, request.body.text),
  }));

  app.delete('/conversations/:id/messages/:messageId', { schema: { params: MessageParamsSchema } }, async (request, reply) => {
    await useCases.messages.deleteMessage(contextOf(request), request.params.id, request.params.messageId);
    return reply.code(204).send();
  });

  app.post('/conversations/:id/typing', { schema: { params: IdParams } }, async (request, reply) => {
    const user = request.session!.user;
    enforce(await limits.typing(user.id, request.params.id));
    await chat.typing(user, request.params.id);
    return reply.code(204).send();
  });

  // Whether an administrator of the user's organization has the admin panel open (store/presence.ts).
  app.get('/presence', { schema: { response: { 200: PresenceSchema } } }, async (request) => ({
    online: await presence.online(request.session!.user.organization_id, app.now()),
  }));
}
