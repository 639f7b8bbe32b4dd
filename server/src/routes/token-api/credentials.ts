/**
 * Reading and checking a token API caller's credentials: v1 takes them in `data`, v2 in the `x-api-key` /
 * `x-auth-token` headers (or Velt's names for them, `x-velt-api-key` / `x-velt-auth-token`, so an
 * integrator's existing server code works unchanged) or in the body. Never from the query string (a URL
 * ends up in logs and histories).
 */
import type { FastifyRequest } from 'fastify';
import type { Context } from '../../use-cases/actor.js';
import { contextFrom } from '../context.js';
import type { ApiCredentialRepository } from '../../store/api-credentials.js';
import { invalid, TokenApiError } from './reply.js';

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function refuseQueryCredentials(request: FastifyRequest): void {
  const query = request.query as Record<string, unknown> | undefined;
  for (const name of ['apiKey', 'authToken', 'x-api-key', 'x-auth-token', 'x-velt-api-key', 'x-velt-auth-token', 'api_key', 'auth_token']) {
    if (query && Object.prototype.hasOwnProperty.call(query, name)) throw invalid('Credentials are not accepted in the query string: send them in the headers or the body.');
  }
}

/** The body's `data` object, or the body itself when it has no `data` wrapper (v2 accepts both). */
export function unwrap(body: unknown, wrapperRequired: boolean): Record<string, unknown> {
  if (!isObject(body)) throw invalid('The body must be a JSON object.');
  if (Object.prototype.hasOwnProperty.call(body, 'data')) {
    if (!isObject(body['data'])) throw invalid('data must be an object.');
    return body['data'];
  }
  if (wrapperRequired) throw invalid('data is required.');
  return body;
}

/** A credential from either of its two header names; both at once must agree. */
function fromHeaders(request: FastifyRequest, names: readonly [string, string]): unknown {
  const [own, velt] = names.map((name) => request.headers[name]);
  if (own !== undefined && velt !== undefined && own !== velt) throw invalid(`The ${names[0]} and ${names[1]} headers differ: send one of them.`);
  return own ?? velt;
}

export function createCredentialCheck(credentials: ApiCredentialRepository, now: () => number) {
  /** Checks the request's credential; answers the use-case context it acts in (the credential as actor). */
  return async function check(request: FastifyRequest, data: Record<string, unknown>, headers: boolean): Promise<Context> {
    refuseQueryCredentials(request);
    const apiKey = (headers ? fromHeaders(request, ['x-api-key', 'x-velt-api-key']) : undefined) ?? data['apiKey'];
    const authToken = (headers ? fromHeaders(request, ['x-auth-token', 'x-velt-auth-token']) : undefined) ?? data['authToken'];
    if (apiKey === undefined) throw invalid(headers ? 'apiKey is required (x-api-key or x-velt-api-key header, or apiKey).' : 'data.apiKey is required.');
    if (typeof apiKey !== 'string' || apiKey === '') throw invalid('apiKey must be a non-empty string.');
    if (authToken === undefined) throw invalid(headers ? 'authToken is required (x-auth-token or x-velt-auth-token header, or authToken).' : 'data.authToken is required.');
    if (typeof authToken !== 'string' || authToken === '') throw invalid('authToken must be a non-empty string.');
    if (authToken.length > 4096) throw new TokenApiError('UNAUTHENTICATED', 'Auth token not found.');
    const verdict = await credentials.verify(apiKey, authToken, now());
    if (verdict === 'invalid') throw new TokenApiError('UNAUTHENTICATED', 'Auth token not found.');
    if (verdict === 'revoked') throw new TokenApiError('UNAUTHENTICATED', 'This API credential has been revoked.');
    return contextFrom(request, { kind: 'token_api', credential: { apiKey: verdict.api_key, name: verdict.name } });
  };
}

export type CredentialCheck = ReturnType<typeof createCredentialCheck>;
