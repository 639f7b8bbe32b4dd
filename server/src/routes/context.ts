/**
 * The use-case context of a request: who acts (the signed-in account, or the admin API key and the account
 * it belongs to) and where the request came from, as the audit log records it.
 */
import type { FastifyRequest } from 'fastify';
import { ParleyError } from '../errors.js';
import type { Actor, Context } from '../use-cases/actor.js';

/** The context of `actor` acting through `request`: where it came from, as the audit log records it. */
export function contextFrom(request: FastifyRequest, actor: Actor): Context {
  return { actor, origin: typeof request.headers.origin === 'string' ? request.headers.origin : null, ip: request.ip };
}

export function contextOf(request: FastifyRequest): Context {
  const session = request.session;
  if (!session) throw new ParleyError('session_missing');
  return contextFrom(request, session.apiKey ? { kind: 'admin_api_key', user: session.user, apiKey: session.apiKey } : { kind: 'user', user: session.user });
}
