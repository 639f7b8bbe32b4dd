/** `GET`/`PATCH /api/v1/admin/profile`: the signed-in administrator's display name, avatar and alert preferences. */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ProfilePatchSchema, ProfileResponseSchema, type Profile } from '#shared/admin-api.js';
import { parseFlag, parseHttpsUrl } from '#shared/fields.js';
import { parseDisplayName } from '#shared/inbox-fields.js';
import { ParleyError } from '../../errors.js';
import type { UserRow } from '../../store/users.js';
import { preferencesOf, type ProfilePatch } from '../../use-cases/profile.js';
import { contextOf } from '../context.js';
import { readOptionalField } from './read-field.js';

function present(row: UserRow): Profile {
  if (row.role === 'member') throw new ParleyError('admin_required');
  return { id: row.id, name: row.name, email: row.email, avatarUrl: row.avatar_url, role: row.role, preferences: preferencesOf(row) };
}

export async function profileRoutes(parent: FastifyInstance) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const { users, useCases } = app.services;

  app.get('/profile', { schema: { response: { 200: ProfileResponseSchema } } }, async (request) => {
    const row = await users.findById(request.session!.user.id);
    if (!row) throw new ParleyError('account_not_found');
    return { profile: present(row) };
  });

  app.patch('/profile', { schema: { body: ProfilePatchSchema, response: { 200: ProfileResponseSchema } } }, async (request) => {
    const { body } = request;
    const patch: ProfilePatch = {};
    const name = readOptionalField('name', body.name, parseDisplayName);
    if (name !== undefined) patch.name = name;
    const avatarUrl = readOptionalField('avatarUrl', body.avatarUrl, parseHttpsUrl);
    if (avatarUrl !== undefined) patch.avatarUrl = avatarUrl;
    const sound = readOptionalField('sound', body.sound, parseFlag);
    if (sound !== undefined) patch.sound = sound;
    const agentEmails = readOptionalField('agentEmails', body.agentEmails, parseFlag);
    if (agentEmails !== undefined) patch.agentEmails = agentEmails;
    return { profile: present(await useCases.profile.update(contextOf(request), patch)) };
  });
}
