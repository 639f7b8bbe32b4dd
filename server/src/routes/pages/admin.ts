/**
 * The admin panel page (`/admin`, a Preact app built into dist/public like the chat page) and its one-time
 * links (`/admin/setup?token=…`): a good link signs the visitor in (creating the owner on a fresh instance)
 * and answers 303 to /admin; a used one answers 410 with a page saying so.
 */
import type { FastifyInstance } from 'fastify';
import { ERROR_STATUS } from '../../../../shared/src/errors.js';
import { ParleyError } from '../../errors.js';
import { setSessionCookie } from '../auth/session-cookie.js';
import { SESSION_TTL_MS } from '../../auth/sign-in.js';
import { ADMIN_LINK_PATH } from '../../admin/admin-links.js';
import { errorPageHtml } from './error-page.js';
import { pageCsp, shellHtml, type Manifest } from './index.js';

export async function adminPageRoutes(app: FastifyInstance, options: { manifest: Manifest }) {
  const shell = shellHtml(options.manifest, 'admin', 'Parley admin');
  const { adminLinks, sessions, auditTrail } = app.services;

  for (const path of ['/admin', '/admin/']) {
    app.get(path, async (_request, reply) =>
      reply
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-cache')
        .header('content-security-policy', pageCsp(null))
        .header('referrer-policy', 'no-referrer')
        .send(shell),
    );
  }

  app.get(ADMIN_LINK_PATH, async (request, reply) => {
    reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
    // Admin sign-in is rate limited like every sign-in: per client address.
    const limit = await app.signInLimiter(request);
    if (limit.limited) {
      request.log.info({ outcome: 'rate_limited' }, 'admin link refused');
      return reply.code(429).header('retry-after', String(limit.retryAfterSeconds)).type('text/html; charset=utf-8').send(errorPageHtml('rate_limited'));
    }
    try {
      const user = await adminLinks.use((request.query as Record<string, unknown>)['token']);
      const session = await sessions.create(user, app.now(), SESSION_TTL_MS);
      await app.services.users.touchLastSeen(user.id, app.now());
      setSessionCookie(reply, session.token, session.expiresAt, app.publicUrl.value);
      await auditTrail.admin(Object.assign(request, { session: { id: session.id, token: '', user, expiresAt: session.expiresAt, via: 'cookie' as const } }), 'admin_link.use', 'ok', user.id);
      return reply.code(303).header('location', '/admin').send();
    } catch (error) {
      if (!(error instanceof ParleyError)) throw error;
      await auditTrail.admin(request, 'admin_link.use', error.code);
      return reply.code(ERROR_STATUS[error.code]).type('text/html; charset=utf-8').send(errorPageHtml(error.code));
    }
  });
}
