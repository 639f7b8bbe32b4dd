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
    /** Set by `conversationRoute` (createSessionAuth): the session is checked by the route's preHandler. */
    readsConversation?: boolean;
  }
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

  /** The token the request carries; refused when there is none, or when a cookie comes cross-site on an unsafe method. */
  function carriedBy(request: FastifyRequest): { token: string; via: 'bearer' | 'cookie' } {
    const carried = readSessionToken(request);
    if (!carried) throw new ParleyError('session_missing');
    if (carried.via === 'cookie' && !SAFE_METHODS.has(request.method) && !isSameOriginRequest(request, ownOrigin())) {
      throw new ParleyError('csrf_rejected');
    }
    return carried;
  }

  /** The whole check, against the database; with `conversationId`, that conversation is read in the same round trip. */
  async function check(request: FastifyRequest, conversationId?: string): Promise<void> {
    const carried = carriedBy(request);
    const found = await sessions.findValid(carried.token, now(), conversationId);
    // A deactivated account's sessions end at once (docs/external-auth.md, Sessions), and say why.
    if (!found) throw new ParleyError((await sessions.endedByDeactivation(carried.token, now())) ? 'user_deactivated' : 'session_invalid');
    if (!found.user.active) throw new ParleyError('user_deactivated');
    request.session = { id: found.id, token: carried.token, user: found.user, expiresAt: found.expiresAt, via: carried.via, ...(found.conversation ? { conversation: found.conversation } : {}) };
  }

  /**
   * The session check of a request. On a route of `conversationRoute`, only what needs no database here
   * (a token, genuine and unexpired, and the cookie's origin), before the body is read; the rest waits for
   * the route's preHandler, after the body, which also reads the conversation.
   */
  async function requireSession(request: FastifyRequest): Promise<void> {
    if (request.routeOptions.config.readsConversation !== true) return check(request);
    if (!(await sessions.isGenuine(carriedBy(request).token, now()))) throw new ParleyError('session_invalid');
  }

  /**
   * Options of a route about the conversation of its `:id` (posting a message): the session is checked
   * once the body has come, and the same statement reads the conversation where the database allows it
   * (PostgreSQL), handed on as `request.session.conversation`; what the account may do there is decided
   * from it as of that moment, as a separate read then would.
   */
  const conversationRoute = {
    config: { readsConversation: true },
    preHandler: async (request: FastifyRequest): Promise<void> => {
      const id = (request.params as { id?: unknown } | undefined)?.id;
      await check(request, typeof id === 'string' ? id : undefined);
    },
  };

  return Object.assign(requireSession, { conversationRoute });
}
