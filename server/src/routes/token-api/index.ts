/**
 * The token API (PRODUCT.md §6): `POST /v1/auth/token/get` and `POST /v2/auth/generate_token` mint a
 * 48-hour token for a user, signed with Parley's own key, that the widget, `Parley.identify` and the hosted
 * page accept like an external token. Any body gets an answer in the API's own envelope, never a 5xx.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { mintToken } from '../../auth/minted-tokens.js';
import { parseResources, type ResourceGrant } from '../../permissions/resources.js';
import { createCredentialCheck, isObject, unwrap } from './credentials.js';
import { invalid, sendResult, sendTokenApiError, TokenApiError } from './reply.js';
import { userApiRoutes } from './users.js';

const isId = (v: unknown): v is string => typeof v === 'string' && v.length >= 1 && v.length <= 256 && v.isWellFormed() && !/[\u0000-\u001f]/.test(v);
const isEmail = (v: unknown): v is string => typeof v === 'string' && v.length <= 320 && /^[^\s@]+@[^\s@]+$/.test(v);

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
  if (!isId(userId)) throw invalid(`${prefix}userId must be a string of 1 to 256 characters.`);
  let organizationId: string | undefined;
  let email: string | undefined;
  let name: string | undefined;
  let isAdmin: boolean | undefined;
  if (userProperties !== undefined) {
    if (!isObject(userProperties)) throw invalid(`${prefix}userProperties must be an object.`);
    const p = userProperties;
    if (p['organizationId'] !== undefined && !isId(p['organizationId'])) throw invalid(`${prefix}userProperties.organizationId must be a string of 1 to 256 characters.`);
    if (p['email'] !== undefined && !isEmail(p['email'])) throw invalid(`${prefix}userProperties.email must be an email address.`);
    if (p['name'] !== undefined && (typeof p['name'] !== 'string' || p['name'].length > 200)) throw invalid(`${prefix}userProperties.name must be a string of at most 200 characters.`);
    if (p['isAdmin'] !== undefined && typeof p['isAdmin'] !== 'boolean') throw invalid(`${prefix}userProperties.isAdmin must be true or false.`);
    organizationId = p['organizationId'] as string | undefined;
    email = p['email'] as string | undefined;
    name = p['name'] as string | undefined;
    isAdmin = p['isAdmin'] as boolean | undefined;
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
  return { userId, organizationId, email, name, isAdmin, resources };
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

  async function mint(request: TokenRequest): Promise<string> {
    if (!(await settings.get()).externalAuthEnabled) throw new TokenApiError('PERMISSION_DENIED', 'Sign-in from tokens is turned off on this instance.');
    return mintToken(await mintKeys.current(app.now()), app.publicUrl.value, request, app.now());
  }

  // A body that is malformed, too large or of another media type still gets the API's envelope.
  app.setErrorHandler((error: { statusCode?: number; code?: string }, _request, reply) => {
    const tooLarge = error.code === 'FST_ERR_CTP_BODY_TOO_LARGE';
    const message = tooLarge ? 'The body is too large.' : error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'Send the body as application/json.' : 'The body is not valid JSON.';
    if ((error.statusCode ?? 500) < 500) return sendTokenApiError(reply, invalid(message));
    return reply.code(500).header('cache-control', 'no-store').send({ error: { message: 'Something went wrong on our side.', status: 'INTERNAL' } });
  });

  app.post(
    '/v1/auth/token/get',
    handle(async (request, reply) => {
      const data = unwrap(request.body, true);
      await checkCredentials(request, data, false);
      const token = await mint(readTokenRequest(data, 'data.', false));
      return sendResult(reply, 'Token generated successfully.', { token });
    }),
  );

  app.post(
    '/v2/auth/generate_token',
    handle(async (request, reply) => {
      const data = unwrap(request.body ?? {}, false);
      await checkCredentials(request, data, true);
      const token = await mint(readTokenRequest(data, '', true));
      return sendResult(reply, 'Token generated successfully.', { token });
    }),
  );

  await app.register(userApiRoutes, { checkCredentials, handle });
}
