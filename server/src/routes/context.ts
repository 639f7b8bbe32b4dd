/**
 * The use-case context of a request: who acts (the signed-in account, or the admin API key and the account
 * it belongs to) and where the request came from, as the audit log records it.
 */
import type { FastifyRequest } from 'fastify';
import { ParleyError } from '../errors.js';
import type { Context } from '../use-cases/actor.js';

export function contextOf(request: FastifyRequest): Context {
  const session = request.session;
  if (!session) throw new ParleyError('session_missing');
  const origin = typeof request.headers.origin === 'string' ? request.headers.origin : null;
  const actor = session.apiKey ? { kind: 'admin_api_key' as const, user: session.user, apiKey: session.apiKey } : { kind: 'user' as const, user: session.user };
  return { actor, origin, ip: request.ip };
}
