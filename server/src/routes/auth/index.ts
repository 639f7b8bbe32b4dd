/**
 * `/api/v1/auth/exchange`, `/api/v1/me`, `/api/v1/auth/logout` (README.md, API; docs/external-auth.md,
 * Sessions). The exchange is how the widget and SDK turn an externalAuthCode into a bearer session; the code
 * travels only in the body.
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ExchangeBodySchema, ExchangeResponseSchema, MeResponseSchema } from '#shared/api.js';
import { ParleyError } from '../../errors.js';
import { presentUser } from '../../chat/present.js';
import { clearSessionCookie } from './session-cookie.js';
import { readSessionToken } from '../../auth/session-auth.js';
import { isSameOriginRequest } from '../../auth/csrf.js';
import { signInAtDoor } from './sign-in-door.js';
import { parsePage } from '#shared/inbox-fields.js';

export async function authRoutes(parent: FastifyInstance) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const { signIn, sessions, requireSession, bus } = app.services;

  app.post(
    '/auth/exchange',
    { schema: { body: ExchangeBodySchema, response: { 200: ExchangeResponseSchema } } },
    async (request, reply) => {
      const origin = request.headers.origin;
      // Where the widget was opened, for the customer panel: a page that is no http(s) URL (a file, a sandboxed
      // frame's "null" origin, an app's webview) is simply not recorded, and never keeps anyone from signing in.
      const readPage = request.body.page === undefined ? undefined : parsePage(request.body.page);
      const page = readPage?.ok ? readPage.value : undefined;
      const result = await signInAtDoor(
        app,
        request,
        'exchange',
        () => signIn(request.body.externalAuthCode),
        async () => (origin !== undefined && !(await app.origins.isAllowed(origin)) ? 'origin_not_allowed' : null),
      );
      if (!result.ok) {
        if (result.retryAfterSeconds !== undefined) reply.header('retry-after', String(result.retryAfterSeconds));
        throw new ParleyError(result.code);
      }
      reply.header('cache-control', 'no-store');
      if (page !== undefined && page !== result.user.last_page) await app.services.users.setLastPage(result.user.id, page);
      return {
        session: {
          token: result.session.token,
          expiresAt: new Date(result.session.expiresAt).toISOString(),
          fileToken: (await app.services.sessions.fileToken(result.session.token, app.now()))!,
        },
        user: presentUser(result.user),
      };
    },
  );

  app.get('/me', { onRequest: requireSession, schema: { response: { 200: MeResponseSchema } } }, async (request, reply) => {
    const session = request.session!;
    reply.header('cache-control', 'no-store');
    return { user: presentUser(session.user), session: { expiresAt: new Date(session.expiresAt).toISOString() } };
  });

  // Logout is idempotent: an unknown or ended session still clears the cookie and answers 204.
  app.post('/auth/logout', async (request, reply) => {
    const carried = readSessionToken(request);
    if (carried?.via === 'cookie' && !isSameOriginRequest(request, new URL(app.publicUrl.value).origin)) throw new ParleyError('csrf_rejected');
    if (carried) {
      const id = await sessions.revoke(carried.token, app.now());
      if (id !== undefined) bus.endSession(id);
    }
    clearSessionCookie(reply, app.publicUrl.value);
    return reply.code(204).send();
  });
}
