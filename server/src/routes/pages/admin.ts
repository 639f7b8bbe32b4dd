/**
 * The admin panel page (`/admin`, a Preact app built into dist/public like the chat page) and its one-time
 * links (`/admin/setup?token=…`): a sign-in link signs the visitor in and answers 303 to /admin; a set-up
 * link first shows a form asking for the owner's name and email, whose POST creates the owner and signs
 * them in the same way; a used link answers 410 with a page saying so.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import formBody from '@fastify/formbody';
import { ERROR_STATUS, type ErrorCode } from '#shared/errors.js';
import { parseEmail } from '#shared/fields.js';
import { parseDisplayName } from '#shared/inbox-fields.js';
import { isSameOriginRequest } from '../../auth/csrf.js';
import { setSessionCookie } from '../auth/session-cookie.js';
import { signInAtDoor, type DoorAttempt } from '../auth/sign-in-door.js';
import { ADMIN_LINK_PATH } from '../../admin/admin-links.js';
import { errorPageHtml } from './error-page.js';
import { ownerSetupPageHtml } from './owner-setup.js';
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
    const token = (request.query as Record<string, unknown>)['token'];
    // A set-up link asks for the owner's name and email first; anything else (a sign-in link, a link that
    // is used or wrong) goes through the sign-in door at once.
    const link = await useCases.adminLinks.peekLink(token).catch(() => undefined);
    // The form's post must carry this page's origin (Chromium sends `Origin: null` from a no-referrer page);
    // `same-origin` still sends nothing, the link's token least of all, to any other site.
    if (link?.purpose === 'owner_setup') return page(reply.header('referrer-policy', 'same-origin'), 200, ownerSetupPageHtml({ token: token as string, fixedEmail: link.email }));
    return signIn(request, reply, () => useCases.adminLinks.signInWithLink(token));
  });

  // The set-up form: each field read by its rule; a mistake shows the form again with what to correct.
  await app.register(async (form) => {
    await form.register(formBody, { bodyLimit: 4096 });
    form.post(ADMIN_LINK_PATH, async (request, reply) => {
      // Same-origin, as the form's page: a form shown again posts with its origin too.
      reply.header('cache-control', 'no-store').header('referrer-policy', 'same-origin');
      // A form post of Parley's own page only (auth/csrf.ts): another site cannot sign a visitor in with its link.
      if (!isSameOriginRequest(request, new URL(app.publicUrl.value).origin)) return reply.code(ERROR_STATUS.csrf_rejected).type('text/html; charset=utf-8').send(errorPageHtml('csrf_rejected'));
      const body = (request.body ?? {}) as Record<string, unknown>;
      const token = body['token'];
      const link = await useCases.adminLinks.peekLink(token).catch(() => undefined);
      if (link?.purpose !== 'owner_setup') return signIn(request, reply, () => useCases.adminLinks.signInWithLink(token));
      const name = parseDisplayName(body['name']);
      const email = link.email === null ? parseEmail(body['email']) : { ok: true as const, value: link.email };
      const again = (problem: string, status: number) =>
        page(reply, status, ownerSetupPageHtml({ token: token as string, fixedEmail: link.email, name: typeof body['name'] === 'string' ? body['name'] : '', email: typeof body['email'] === 'string' ? body['email'] : '', problem }));
      if (!name.ok) return again(`Your name ${name.reason}.`, 400);
      if (!email.ok) return again(`Email ${email.reason}.`, 400);
      const owner = { name: name.value, email: email.value };
      return signIn(request, reply, () => useCases.adminLinks.signInWithLink(token, owner), (code) => (code === 'email_conflict' ? again('An account with this email exists already: use another one.', 409) : undefined));
    });
  });

  function page(reply: FastifyReply, status: number, html: string) {
    return reply.code(status).type('text/html; charset=utf-8').header('content-security-policy', pageCsp(null)).send(html);
  }

  /** Signs in at the admin-link door: a session cookie and 303 to /admin, or the error page (unless `failed` renders it). */
  async function signIn(request: FastifyRequest, reply: FastifyReply, attempt: DoorAttempt, failed?: (code: ErrorCode) => FastifyReply | undefined) {
    const result = await signInAtDoor(app, request, 'admin_link', attempt);
    if (!result.ok) {
      if (result.retryAfterSeconds !== undefined) reply.header('retry-after', String(result.retryAfterSeconds));
      return failed?.(result.code) ?? reply.code(ERROR_STATUS[result.code]).type('text/html; charset=utf-8').send(errorPageHtml(result.code));
    }
    setSessionCookie(reply, result.session.token, result.session.expiresAt, app.publicUrl.value);
    return reply.code(303).header('location', '/admin').send();
  }
}
