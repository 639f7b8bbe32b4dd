/**
 * The token API (docs/token-api.md): `POST /v1/auth/token/get` and `POST /v2/auth/generate_token` mint a
 * 48-hour token for a user, signed with Parley's own key, that the widget, `Parley.identify` and the hosted
 * page accept like an external token. Every field is read by the rule sign-in applies to it
 * (shared/src/fields.ts), so a token minted here always signs in, and an input that could not is a 400
 * naming the field. Any body gets an answer in the API's own envelope, never a 5xx.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { mintToken } from '../../auth/minted-tokens.js';
import { MAX_TOKEN_BYTES } from '../../auth/jws.js';
import { parseResources, type ResourceGrant } from '../../permissions/resources.js';
import { CONTROL_REASON, parseEmail, parseFlag, parseId, parseName, type Field } from '#shared/fields.js';
import { createCredentialCheck, isObject, unwrap } from './credentials.js';
import { field, invalid, sendResult, sendTokenApiError, TokenApiError } from './reply.js';
import { userApiRoutes } from './users.js';
import { DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from '../../store/unavailable.js';

interface TokenRequest {
  userId: string;
  organizationId: string | undefined;
  email: string | undefined;
  name: string | undefined;
  isAdmin: boolean | undefined;
  resources: ResourceGrant[] | undefined;
}

/** Reads `userId`, `userProperties` and (v2) `permissions`, naming the first wrong field. */
export function readTokenRequest(data: Record<string, unknown>, prefix: string, withPermissions: boolean): TokenRequest {
  const { userId, userProperties, permissions } = data;
  if (userId === undefined) throw invalid(`${prefix}userId is required.`);
  const id = field(`${prefix}userId`, parseId(userId));
  let organizationId: string | undefined;
  let email: string | undefined;
  let name: string | undefined;
  let isAdmin: boolean | undefined;
  if (userProperties !== undefined) {
    if (!isObject(userProperties)) throw invalid(`${prefix}userProperties must be an object.`);
    const read = <T>(key: string, parse: (value: unknown) => Field<T>) =>
      userProperties[key] === undefined ? undefined : field(`${prefix}userProperties.${key}`, parse(userProperties[key]));
    organizationId = read('organizationId', parseId);
    email = read('email', parseEmail);
    name = read('name', parseName);
    isAdmin = read('isAdmin', parseFlag);
  }
  let resources: ResourceGrant[] | undefined;
  if (withPermissions && permissions !== undefined) {
    if (!isObject(permissions)) throw invalid(`${prefix}permissions must be an object.`);
    const parsed = parseResources(permissions['resources'] ?? [], `${prefix}permissions.resources`);
    if (typeof parsed === 'string') throw invalid(`${parsed}.`);
    resources = parsed;
    // A token for one organization: resources elsewhere would grant nothing the user can reach.
    const orgs = new Set(resources.map((r) => r.organizationId));
    if (organizationId === undefined && orgs.size === 1) organizationId = [...orgs][0];
    if (organizationId !== undefined && [...orgs].some((o) => o !== organizationId)) {
      throw invalid(`${prefix}permissions.resources must all belong to the user's organization (${organizationId}).`);
    }
  }
  return { userId: id, organizationId, email, name, isAdmin, resources };
}

/**
 * Where a parsed JSON body holds a NUL, as a field path (`userProperties.name`, `users[2].userId`), or
 * undefined. Walks with its own stack: the body limit allows nesting deep enough to overflow recursion.
 */
export function nulPath(body: unknown): string | undefined {
  const stack: [unknown, string][] = [[body, '']];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const [value, path] = item;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return path || 'the body';
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push([value[i], `${path}[${i}]`]);
    } else if (typeof value === 'object' && value !== null) {
      const entries = Object.entries(value);
      for (const [key] of entries) if (key.includes('\u0000')) return `${path ? `${path}.` : ''}${JSON.stringify(key)} (a member name)`;
      for (let i = entries.length - 1; i >= 0; i--) stack.push([entries[i]![1], path ? `${path}.${entries[i]![0]}` : entries[i]![0]]);
    }
  }
  return undefined;
}

export async function tokenApiRoutes(app: FastifyInstance) {
  const { apiCredentials, mintKeys, settings } = app.services;
  const checkCredentials = createCredentialCheck(apiCredentials, app.now);

  /** Runs a token API handler: its errors, and any malformed body, answer in the API's envelope. */
  const handle =
    (run: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      try {
        const limit = await app.signInLimiter(request);
        if (limit.limited) {
          reply.header('retry-after', String(limit.retryAfterSeconds));
          return await reply.code(429).header('cache-control', 'no-store').send({ error: { message: 'Too many requests. Try again shortly.', status: 'RESOURCE_EXHAUSTED' } });
        }
        return await run(request, reply);
      } catch (error) {
        if (error instanceof TokenApiError) return sendTokenApiError(reply, error);
        throw error;
      }
    };

  async function mint(request: TokenRequest, prefix: string): Promise<string> {
    if (!(await settings.get()).externalAuthEnabled) throw new TokenApiError('PERMISSION_DENIED', 'Sign-in from tokens is turned off on this instance.');
    const token = mintToken(await mintKeys.current(app.now()), app.publicUrl.value, request, app.now());
    // Sign-in refuses a token over 8 KB before reading it; only many long resources make one that large.
    if (token.length > MAX_TOKEN_BYTES) {
      throw invalid(`${prefix}permissions.resources make the token ${token.length} characters long, and sign-in accepts at most ${MAX_TOKEN_BYTES}: send fewer or shorter resources.`);
    }
    return token;
  }

  // The app refuses a NUL anywhere in a JSON body without saying where (PostgreSQL cannot store one); here
  // the refusal names the field, like that of any other control character sign-in refuses.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    let value: unknown;
    try {
      value = JSON.parse(body as string);
    } catch {
      return done(Object.assign(new Error('The body is not valid JSON.'), { statusCode: 400 }), undefined);
    }
    const at = nulPath(value);
    return at === undefined ? done(null, value) : done(invalid(`${at} ${CONTROL_REASON}.`), undefined);
  });

  // A body that is malformed, too large or of another media type still gets the API's envelope.
  app.setErrorHandler((error: { statusCode?: number; code?: string }, _request, reply) => {
    if (error instanceof TokenApiError) return sendTokenApiError(reply, error);
    const tooLarge = error.code === 'FST_ERR_CTP_BODY_TOO_LARGE';
    const message = tooLarge ? 'The body is too large.' : error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'Send the body as application/json.' : 'The body is not valid JSON.';
    // The database is briefly unreachable: a 503 to retry (with Retry-After), never a 500.
    if (isDatabaseUnavailable(error)) {
      return reply.code(503).header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS)).header('cache-control', 'no-store').send({ error: { message: 'The service is briefly unavailable. Try again shortly.', status: 'UNAVAILABLE' } });
    }
    if ((error.statusCode ?? 500) < 500) return sendTokenApiError(reply, invalid(message));
    return reply.code(500).header('cache-control', 'no-store').send({ error: { message: 'Something went wrong on our side.', status: 'INTERNAL' } });
  });

  app.post(
    '/v1/auth/token/get',
    handle(async (request, reply) => {
      const data = unwrap(request.body, true);
      await checkCredentials(request, data, false);
      const token = await mint(readTokenRequest(data, 'data.', false), 'data.');
      return sendResult(reply, 'Token generated successfully.', { token });
    }),
  );

  app.post(
    '/v2/auth/generate_token',
    handle(async (request, reply) => {
      const data = unwrap(request.body ?? {}, false);
      await checkCredentials(request, data, true);
      const token = await mint(readTokenRequest(data, '', true), '');
      return sendResult(reply, 'Token generated successfully.', { token });
    }),
  );

  await app.register(userApiRoutes, { checkCredentials, handle });
}
