/** The inbox: every conversation of the organization, its views and counts; changing one (title, status, assignee). Its messages: inbox-messages.ts. */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ConversationPatchSchema, CustomerResponseSchema, InboxConversationResponseSchema, InboxCountsSchema, InboxListSchema, InboxQuerySchema } from '#shared/admin-api.js';
import { parseAssigneeFilter, parseAssigneeId, parseSnoozedUntil, parseStatus, parseStatusFilter } from '#shared/inbox-fields.js';
import { parseTitle } from '#shared/fields.js';
import type { ConversationPatch } from '../../use-cases/conversations.js';
import { contextOf } from '../context.js';
import { readField, readOptionalField } from './read-field.js';

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }) });

export async function inboxRoutes(parent: FastifyInstance) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const { inbox, customers, useCases } = app.services;

  app.get('/conversations', { schema: { querystring: InboxQuerySchema, response: { 200: InboxListSchema } } }, async (request) => {
    const { query } = request;
    return inbox.list(request.session!.user, {
      status: readOptionalField('status', query.status, parseStatusFilter) ?? 'all',
      ...(query.assignee !== undefined ? { assignee: readField('assignee', parseAssigneeFilter(query.assignee)) } : {}),
      ...(query.q !== undefined && query.q.trim() !== '' ? { q: query.q } : {}),
      ...(query.cursor !== undefined ? { cursor: query.cursor } : {}),
      limit: query.limit ?? 30,
    });
  });

  app.get('/conversations/:id/customer', { schema: { params: IdParams, response: { 200: CustomerResponseSchema } } }, async (request) => ({
    customer: await customers.forConversation(request.session!.user, request.params.id),
  }));

  app.get('/inbox/counts', { schema: { response: { 200: InboxCountsSchema } } }, async (request) => ({ waiting: await inbox.waiting(request.session!.user) }));

  // Each field of the body is read by its rule; the use case checks what goes together.
  app.patch('/conversations/:id', { schema: { params: IdParams, body: ConversationPatchSchema, response: { 200: InboxConversationResponseSchema } } }, async (request) => {
    const patch: ConversationPatch = {};
    const { body } = request;
    const title = readOptionalField('title', body.title, parseTitle);
    if (title !== undefined) patch.title = title;
    const status = readOptionalField('status', body.status, parseStatus);
    if (status !== undefined) patch.status = status;
    const snoozedUntil = readOptionalField('snoozedUntil', body.snoozedUntil, (value) => parseSnoozedUntil(value, app.now()));
    if (snoozedUntil !== undefined) patch.snoozedUntil = snoozedUntil;
    const assigneeId = readOptionalField('assigneeId', body.assigneeId, parseAssigneeId);
    if (assigneeId !== undefined) patch.assigneeId = assigneeId;
    const row = await useCases.conversations.updateConversation(contextOf(request), request.params.id, patch);
    return { conversation: await inbox.one(row) };
  });

}
