/**
 * Per-request session check for the API: a bearer token (widget, SDK) or the hosted page's cookie. The
 * factory takes its dependencies once; the returned preHandler attaches `request.session` or throws a coded
 * error. Cookie sessions on unsafe methods must come from Parley's own origin (CSRF).
 */
import type { FastifyRequest } from 'fastify';
import { ParleyError } from '../errors.js';
import { isSameOriginRequest } from './csrf.js';
import type { Sessions } from './sessions.js';
import type { SeenConversation } from '../store/conversations.js';
import type { UserRow } from '../store/users.js';

export const SESSION_COOKIE = 'parley_session';

export interface RequestSession {
  id: string;
  token: string;
  user: UserRow;
  expiresAt: number;
  via: 'bearer' | 'cookie' | 'api_key';
  /** Set when an admin API key stands for the user (see admin/admin-auth.ts). */
  apiKey?: { id: string; name: string };
  /** The conversation of the route's `:id`, read with the session (routes with `config.readsConversation`). */
  conversation?: SeenConversation;
}

declare module 'fastify' {
  interface FastifyRequest {
    session: RequestSession | null;
  }
  interface FastifyContextConfig {
    /**
     * The route is about the conversation of its `:id`: the session's check reads it in the same round trip
     * where it can (PostgreSQL), and hands it on as `request.session.conversation`.
     */
    readsConversation?: boolean;
  }
}

/** The shape of a conversation id (routes' IdParams); anything else is not read ahead, and the route refuses it. */
const CONVERSATION_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The route's conversation id, when it reads its conversation with the session and the id has its shape. */
function conversationIdOf(request: FastifyRequest): string | undefined {
  if (request.routeOptions.config.readsConversation !== true) return undefined;
  const id = (request.params as { id?: unknown } | undefined)?.id;
  return typeof id === 'string' && CONVERSATION_ID.test(id) ? id : undefined;
}

const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The token a request carries, and how; a malformed Authorization header is an invalid session. */
export function readSessionToken(request: FastifyRequest): { token: string; via: 'bearer' | 'cookie' } | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer ([A-Za-z0-9_-]{1,128})$/.exec(header);
    if (!match) throw new ParleyError('session_invalid', 'The Authorization header must be "Bearer <session token>".');
    return { token: match[1] as string, via: 'bearer' };
  }
  const cookie = request.cookies[SESSION_COOKIE];
  return cookie ? { token: cookie, via: 'cookie' } : undefined;
}

export function createSessionAuth(options: { sessions: Sessions; now: () => number; ownOrigin: () => string }) {
  const { sessions, now, ownOrigin } = options;
  if (typeof sessions?.findValid !== 'function') throw new TypeError('createSessionAuth needs a session repository');

  return async function requireSession(request: FastifyRequest): Promise<void> {
    const carried = readSessionToken(request);
    if (!carried) throw new ParleyError('session_missing');
    if (carried.via === 'cookie' && !SAFE_METHODS.has(request.method) && !isSameOriginRequest(request, ownOrigin())) {
      throw new ParleyError('csrf_rejected');
    }
    const found = await sessions.findValid(carried.token, now(), conversationIdOf(request));
    // A deactivated account's sessions end at once (docs/external-auth.md, Sessions), and say why.
    if (!found) throw new ParleyError((await sessions.endedByDeactivation(carried.token, now())) ? 'user_deactivated' : 'session_invalid');
    if (!found.user.active) throw new ParleyError('user_deactivated');
    request.session = { id: found.id, token: carried.token, user: found.user, expiresAt: found.expiresAt, via: carried.via, ...(found.conversation ? { conversation: found.conversation } : {}) };
  };
}
