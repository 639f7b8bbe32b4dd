/**
 * Users and permissions over the token API's REST (v2 shapes): `/v2/users/add|update|get|delete` and
 * `/v2/auth/permissions/add|remove|get`. Users are named by the integrator's `userId`; every call answers
 * one result per user, so a batch with one bad user still does the rest:
 * `{"result":{"status":"success","message","data":{"<userId>":{"success":true|false,"message",…}}}}`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { presentAdminUser } from '../../admin/users.js';
import { parseResources } from '../../permissions/resources.js';
import { parseEmail, parseFlag, parseId, parseName, type Field } from '#shared/fields.js';
import { ParleyError } from '../../errors.js';
import type { Context } from '../../use-cases/actor.js';
import type { UserRow } from '../../store/users.js';
import type { CredentialCheck } from './credentials.js';
import { isObject, unwrap } from './credentials.js';
import { field, invalid, sendResult } from './reply.js';

type Handle = (run: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>) => (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
type Result = { success: boolean; message: string } & Record<string, unknown>;
/** One user of `/v2/users/add|update`, every field read by its rule. */
interface UserInput {
  userId: string;
  name: string | undefined;
  email: string | undefined;
  organizationId: string | undefined;
  isAdmin: boolean | undefined;
}

const MAX_BATCH = 100;

/** The messages integrators' code already reads for each refusal (the token API's v2 wording). */
const ADD_REFUSALS: ReadonlyMap<string, string> = new Map([
  ['external_id_conflict', 'User already exists.'],
  ['email_conflict', 'This email address belongs to another user.'],
  ['seat_limit_reached', 'Every seat is taken.'],
]);
const UPDATE_REFUSALS: ReadonlyMap<string, string> = new Map([
  ['account_not_found', 'User not found.'],
  ['email_conflict', 'This email address belongs to another user.'],
]);

/** `userIds: [...]` or `userId: "…"`, checked. */
function readUserIds(data: Record<string, unknown>): string[] {
  const ids = data['userIds'] ?? (data['userId'] !== undefined ? [data['userId']] : undefined);
  if (ids === undefined) throw invalid('userIds (or userId) is required.');
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_BATCH) throw invalid(`userIds must be an array of 1 to ${MAX_BATCH} user ids.`);
  const userIds = ids.map((id, i) => field(`userIds[${i}]`, parseId(id)));
  userIds.forEach((id, i) => {
    if (userIds.indexOf(id) !== i) throw invalid(`userIds[${i}] repeats userIds[${userIds.indexOf(id)}]: results are keyed by user id.`);
  });
  return userIds;
}

function readUsers(data: Record<string, unknown>): UserInput[] {
  const users = data['users'];
  if (users === undefined) throw invalid('users is required.');
  if (!Array.isArray(users) || users.length === 0 || users.length > MAX_BATCH) throw invalid(`users must be an array of 1 to ${MAX_BATCH} users.`);
  const read = users.map((u, i): UserInput => {
    if (!isObject(u)) throw invalid(`users[${i}] must be an object.`);
    const optional = <T>(key: string, parse: (value: unknown) => Field<T>) => (u[key] === undefined ? undefined : field(`users[${i}].${key}`, parse(u[key])));
    return {
      userId: field(`users[${i}].userId`, parseId(u['userId'])),
      email: optional('email', parseEmail),
      name: optional('name', parseName),
      organizationId: optional('organizationId', parseId),
      isAdmin: optional('isAdmin', parseFlag),
    };
  });
  read.forEach((u, i) => {
    const first = read.findIndex((other) => other.userId === u.userId);
    if (first !== i) throw invalid(`users[${i}].userId repeats users[${first}]: results are keyed by user id.`);
  });
  return read;
}

export async function userApiRoutes(app: FastifyInstance, options: { checkCredentials: CredentialCheck; handle: Handle }) {
  const { checkCredentials, handle } = options;
  const { users, grants, useCases } = app.services;

  /** Checks the credentials, unwraps the body, and answers one result per user, acting as the credential. */
  const route = (path: string, message: string, run: (data: Record<string, unknown>, ctx: Context) => Promise<Record<string, Result>>) =>
    app.post(
      path,
      handle(async (request, reply) => {
        const data = unwrap(request.body ?? {}, false);
        const ctx = await checkCredentials(request, data, true);
        return sendResult(reply, message, await run(data, ctx));
      }),
    );

  const byExternalId = (userId: string) => users.findByExternalId(userId);

  /** One result per user id: `run` for each known user, "User not found." for the others. */
  async function eachUser(ids: readonly string[], run: (row: UserRow) => Promise<Result>): Promise<Record<string, Result>> {
    const results: Record<string, Result> = {};
    for (const userId of ids) {
      const row = await byExternalId(userId);
      results[userId] = row ? await run(row) : { success: false, message: 'User not found.' };
    }
    return results;
  }

  /** A refusal of a use case as one user's result (the batch goes on); anything else fails the call. */
  const refusal = (error: unknown, messages: ReadonlyMap<string, string>): Result => {
    if (!(error instanceof ParleyError)) throw error;
    return { success: false, message: messages.get(error.code) ?? error.message };
  };

  route('/v2/users/add', 'Users added.', async (data, ctx) => {
    const results: Record<string, Result> = {};
    for (const u of readUsers(data)) {
      try {
        const created = await useCases.tenantUsers.addUser(ctx, { externalId: u.userId, email: u.email, name: u.name, organizationId: u.organizationId, isAdmin: u.isAdmin });
        results[u.userId] = { success: true, message: 'User added.', user: presentAdminUser(created) };
      } catch (error) {
        results[u.userId] = refusal(error, ADD_REFUSALS);
      }
    }
    return results;
  });

  route('/v2/users/update', 'Users updated.', async (data, ctx) => {
    const results: Record<string, Result> = {};
    for (const u of readUsers(data)) {
      try {
        const updated = await useCases.tenantUsers.updateUser(ctx, { externalId: u.userId, email: u.email, name: u.name, organizationId: u.organizationId, isAdmin: u.isAdmin });
        results[u.userId] = { success: true, message: 'User updated.', user: presentAdminUser(updated) };
      } catch (error) {
        results[u.userId] = refusal(error, UPDATE_REFUSALS);
      }
    }
    return results;
  });

  route('/v2/users/get', 'Users retrieved.', async (data) =>
    eachUser(readUserIds(data), async (row) => ({ success: true, message: 'User found.', user: presentAdminUser(row) })),
  );

  route('/v2/users/delete', 'Users deleted.', async (data, ctx) =>
    eachUser(readUserIds(data), async (row) => {
      try {
        // The credential acts with an admin's rights: it cannot delete an owner.
        await useCases.users.deleteUser(ctx, row.id);
        return { success: true, message: 'User deleted; their messages are kept, anonymised.' };
      } catch (error) {
        return refusal(error, new Map());
      }
    }),
  );

  const readPermissionResources = (data: Record<string, unknown>) => {
    const permissions = data['permissions'];
    if (!isObject(permissions)) throw invalid('permissions must be an object with resources.');
    const parsed = parseResources(permissions['resources'], 'permissions.resources');
    if (typeof parsed === 'string') throw invalid(`${parsed}.`);
    return parsed;
  };

  route('/v2/auth/permissions/add', 'Permissions added.', async (data, ctx) => {
    const ids = readUserIds(data);
    const resources = readPermissionResources(data);
    return eachUser(ids, async (row) => {
      const outside = resources.find((r) => r.organizationId !== row.organization_id);
      if (outside) return { success: false, message: `The user belongs to organization ${row.organization_id}, not ${outside.organizationId}.` };
      await useCases.tenantUsers.grant(ctx, row, resources);
      return { success: true, message: 'Permissions added.' };
    });
  });

  route('/v2/auth/permissions/remove', 'Permissions removed.', async (data, ctx) => {
    const ids = readUserIds(data);
    const resources = readPermissionResources(data);
    return eachUser(ids, async (row) => ({ success: true, message: 'Permissions removed.', removed: await useCases.tenantUsers.revoke(ctx, row, resources) }));
  });

  route('/v2/auth/permissions/get', 'Permissions retrieved.', async (data) =>
    eachUser(readUserIds(data), async (row) => ({
      success: true,
      message: 'Permissions found.',
      organizationId: row.organization_id,
      resources: (await grants.list(row.id)).map((g) => ({
        type: g.resource_type,
        id: g.resource_id,
        organizationId: g.organization_id,
        accessRole: g.access_role,
        ...(g.expires_at === null ? {} : { expiresAt: Math.floor(g.expires_at / 1000) }),
      })),
    })),
  );
}
