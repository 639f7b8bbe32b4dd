/** Accounts in the admin panel: search, create, deactivate, reactivate, change role, delete. */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { presentAdminUser } from '../../admin/users.js';
import { ParleyError } from '../../errors.js';
import { AdminUserListSchema, AdminUserResponseSchema } from '#shared/admin-api.js';
import { MAX_EMAIL_CHARS, MAX_ID_CHARS, MAX_NAME_CHARS, parseEmail, parseId, parseName } from '#shared/fields.js';
import { readOptionalField } from './read-field.js';
import { contextOf } from '../context.js';

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }) });
const ListQuery = Type.Object(
  {
    q: Type.Optional(Type.String({ maxLength: 200 })),
    cursor: Type.Optional(Type.String({ maxLength: 100 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  },
  { additionalProperties: false },
);
const CreateBody = Type.Object(
  {
    // The shape only; what each may contain is the rule of shared/src/fields.ts, checked in the handler.
    name: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_NAME_CHARS })),
    email: Type.Optional(Type.String({ maxLength: MAX_EMAIL_CHARS, description: 'an email address' })),
    externalId: Type.Optional(Type.String({ maxLength: MAX_ID_CHARS, description: 'the id your backend signs as user.id' })),
    role: Type.Optional(Type.Union([Type.Literal('member'), Type.Literal('admin')])),
  },
  { additionalProperties: false },
);
const RoleBody = Type.Object({ role: Type.Union([Type.Literal('member'), Type.Literal('admin'), Type.Literal('owner')]) }, { additionalProperties: false });

export async function userRoutes(parent: FastifyInstance) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const { userAdmin, useCases } = app.services;

  app.get('/users', { schema: { querystring: ListQuery, response: { 200: AdminUserListSchema } } }, async (request) => userAdmin.list(request.query.q, request.query.cursor, request.query.limit ?? 50));

  app.get('/users/:id', { schema: { params: IdParams, response: { 200: AdminUserResponseSchema } } }, async (request) => {
    const row = await app.services.users.findById(request.params.id);
    if (!row) throw new ParleyError('account_not_found');
    return { user: presentAdminUser(row) };
  });

  app.post('/users', { schema: { body: CreateBody, response: { 201: AdminUserResponseSchema } } }, async (request, reply) => {
    const { body } = request;
    const input = {
      name: readOptionalField('name', body.name, parseName),
      email: readOptionalField('email', body.email, parseEmail),
      externalId: readOptionalField('externalId', body.externalId, parseId),
      role: body.role,
    };
    const row = await useCases.users.createUser(contextOf(request), input);
    return reply.code(201).send({ user: presentAdminUser(row) });
  });

  app.post('/users/:id/deactivate', { schema: { params: IdParams, response: { 200: AdminUserResponseSchema } } }, async (request) => ({
    user: presentAdminUser(await useCases.users.deactivateUser(contextOf(request), request.params.id)),
  }));

  app.post('/users/:id/reactivate', { schema: { params: IdParams, response: { 200: AdminUserResponseSchema } } }, async (request) => ({
    user: presentAdminUser(await useCases.users.reactivateUser(contextOf(request), request.params.id)),
  }));

  app.patch('/users/:id', { schema: { params: IdParams, body: RoleBody, response: { 200: AdminUserResponseSchema } } }, async (request) => ({
    user: presentAdminUser(await useCases.users.setRole(contextOf(request), request.params.id, request.body.role)),
  }));

  app.delete('/users/:id', { schema: { params: IdParams } }, async (request, reply) => {
    await useCases.users.deleteUser(contextOf(request), request.params.id);
    return reply.code(204).send();
  });
}
