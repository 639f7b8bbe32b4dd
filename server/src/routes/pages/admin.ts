/**
 * The admin panel page (`/admin`, a Preact app built into dist/public like the chat page) and its one-time
 * links (`/admin/setup?token=…`): a good link signs the visitor in (creating the owner on a fresh instance)
 * and answers 303 to /admin; a used one answers 410 with a page saying so.
 */
import type { FastifyInstance } from 'fastify';
import { ERROR_STATUS } from '../../../../shared/src/errors.js';
import { setSessionCookie } from '../auth/session-cookie.js';
import { signInAtDoor } from '../auth/sign-in-door.js';
import { ADMIN_LINK_PATH } from '../../admin/admin-links.js';
import { errorPageHtml } from './error-page.js';
import { pageCsp, shellHtml, type Manifest } from './index.js';

export async function adminPageRoutes(app: FastifyInstance, options: { manifest: Manifest }) {
  const shell = shellHtml(options.manifest, 'admin', 'Parley admin');
  const { useCases } = app.services;

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
    const result = await signInAtDoor(app, request, 'admin_link', () => useCases.adminLinks.signInWithLink((request.query as Record<string, unknown>)['token']));
    if (!result.ok) {
      if (result.retryAfterSeconds !== undefined) reply.header('retry-after', String(result.retryAfterSeconds));
      return reply.code(ERROR_STATUS[result.code]).type('text/html; charset=utf-8').send(errorPageHtml(result.code));
    }
    setSessionCookie(reply, result.session.token, result.session.expiresAt, app.publicUrl.value);
    return reply.code(303).header('location', '/admin').send();
  });
}
