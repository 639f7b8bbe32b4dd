/** Canned replies (docs/admin-api.md, Canned replies): list (searched by `q`), create, change, delete. */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { CannedReplyBodySchema, CannedReplyListSchema, CannedReplyQuerySchema, CannedReplyResponseSchema } from '#shared/admin-api.js';
import { parseCannedText, parseCannedTitle } from '#shared/inbox-fields.js';
import { ParleyError } from '../../errors.js';
import type { CannedReplyRow } from '../../store/canned-replies.js';
import { createCannedReplyRepository } from '../../store/canned-replies.js';
import { organizationOf } from '../../use-cases/canned-replies.js';
import { contextOf } from '../context.js';
import { readOptionalField } from './read-field.js';

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }) });
/** The composer shows a handful; an organization keeps at most a few hundred. */
const LIST_LIMIT = 200;
const iso = (ms: number) => new Date(ms).toISOString();

const present = (row: CannedReplyRow) => ({ id: row.id, title: row.title, text: row.text, createdAt: iso(row.created_at), updatedAt: iso(row.updated_at) });

export async function cannedReplyRoutes(parent: FastifyInstance) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const { useCases } = app.services;
  const cannedReplies = createCannedReplyRepository(app.store);

  /** The body's fields, each read by its rule. */
  const fieldsOf = (body: { title?: unknown; text?: unknown }) => {
    const title = readOptionalField('title', body.title, parseCannedTitle);
    const text = readOptionalField('text', body.text, parseCannedText);
    return { ...(title !== undefined ? { title } : {}), ...(text !== undefined ? { text } : {}) };
  };

  app.get('/canned-replies', { schema: { querystring: CannedReplyQuerySchema, response: { 200: CannedReplyListSchema } } }, async (request) => ({
    cannedReplies: (await cannedReplies.list(organizationOf(contextOf(request)), request.query.q, LIST_LIMIT)).map(present),
  }));

  app.post('/canned-replies', { schema: { body: CannedReplyBodySchema, response: { 201: CannedReplyResponseSchema } } }, async (request, reply) => {
    const fields = fieldsOf(request.body);
    if (fields.title === undefined || fields.text === undefined) throw new ParleyError('bad_request', 'title and text are required');
    const row = await useCases.cannedReplies.create(contextOf(request), { title: fields.title, text: fields.text });
    return reply.code(201).send({ cannedReply: present(row) });
  });

  app.patch('/canned-replies/:id', { schema: { params: IdParams, body: CannedReplyBodySchema, response: { 200: CannedReplyResponseSchema } } }, async (request) => ({
    cannedReply: present(await useCases.cannedReplies.update(contextOf(request), request.params.id, fieldsOf(request.body))),
  }));

  app.delete('/canned-replies/:id', { schema: { params: IdParams } }, async (request, reply) => {
    await useCases.cannedReplies.delete(contextOf(request), request.params.id);
    return reply.code(204).send();
  });
}
