/**
 * The doors of email (README.md, Email):
 * - `GET /email/open?token=` — a notification email's one-time link (24 hours): signs its user in as the
 *   hosted page's sign-in does (the same door: rate limit, audit, cookie) and lands on that conversation.
 *   A browser signed in as another account is asked first (pages/account-switch.ts), as the hosted page's
 *   links do; the link stays unused until the answer, a same-origin `POST /email/open` of its token;
 * - `GET|POST /email/unsubscribe?token=` — RFC 8058: the POST (a mail client's one click, or the
 *   page's button) turns the user's notification emails off; a GET only shows the page with the button;
 * - `PATCH /api/v1/me/email` `{"emailNotifications"}` — the signed-in user turns them off or on;
 * - `POST /api/v1/admin/settings/test-email` — an administrator's test email to their own address (202).
 * Token-bearing URLs travel as `?token=`, which the request log redacts.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import formBody from '@fastify/formbody';
import { Type } from '@sinclair/typebox';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ERROR_STATUS } from '#shared/errors.js';
import { parseFlag } from '#shared/fields.js';
import { ParleyError } from '../errors.js';
import { isSameOriginRequest } from '../auth/csrf.js';
import { SESSION_TTL_MS } from '../auth/sign-in.js';
import { enqueueMail } from '../outbound/mail.js';
import { EMAIL_OPEN_PATH, emailPreferencesOf, UNSUBSCRIBE_PATH } from '../outbound/notifications.js';
import { escapeHtml } from '../outbound/mail-templates.js';
import { UNSUBSCRIBE_SECRET, verifyUnsubscribeToken } from '../outbound/unsubscribe-tokens.js';
import { createEmailLinkRepository } from '../store/email-links.js';
import { createInstanceSecretRepository } from '../store/instance-secrets.js';
import type { UserRow } from '../store/users.js';
import { inTransaction } from '../store/transaction.js';
import { readField } from './admin/read-field.js';
import { setSessionCookie } from './auth/session-cookie.js';
import { signInAtDoor, type DoorAsked, type DoorFailure, type DoorSuccess } from './auth/sign-in-door.js';
import { askBeforeSwitching, liveCookieAccount } from './pages/account-switch.js';
import { errorPageHtml, staticPageHtml } from './pages/error-page.js';
import { pageCsp } from './pages/index.js';

const LINK_TOKEN = /^[A-Za-z0-9_-]{43}$/;
const TOKEN = Type.Object({ token: Type.Optional(Type.String({ maxLength: 400 })) }, { additionalProperties: true });
export const EmailPreferencesSchema = Type.Object({ emailNotifications: Type.Boolean({ description: 'the team’s unread replies are emailed; on by default' }) });

export async function emailRoutes(parent: FastifyInstance) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const { users, sessions, requireSession, requireAdministrator } = app.services;
  const links = createEmailLinkRepository(app.store.db);
  const secrets = createInstanceSecretRepository(app.store);

  const page = (reply: FastifyReply, status: number, html: string) =>
    reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').header('content-security-policy', pageCsp(null)).send(html);

  /** Spends the link of `token` and opens a session of its user (the link's conversation in `landing`). */
  const useLink = async (token: string, landing: { conversationId: string }): Promise<DoorSuccess | DoorFailure> => {
    const used = await links.consume(token, app.now());
    if (!used.ok) return { ok: false, code: used.code };
    const user = await users.findById(used.link.user_id);
    if (!user) return { ok: false, code: 'link_invalid' };
    if (!user.active) return { ok: false, code: 'user_deactivated' };
    landing.conversationId = used.link.conversation_id;
    return { ok: true, user, created: false, session: await sessions.create(user, app.now(), SESSION_TTL_MS) };
  };
  const failed = (reply: FastifyReply, result: DoorFailure & { retryAfterSeconds?: number }) => {
    if (result.retryAfterSeconds !== undefined) reply.header('retry-after', String(result.retryAfterSeconds));
    return page(reply, ERROR_STATUS[result.code], errorPageHtml(result.code));
  };
  const signedIn = (reply: FastifyReply, session: DoorSuccess['session'], conversationId: string) => {
    setSessionCookie(reply, session.token, session.expiresAt, app.publicUrl.value);
    return reply.code(303).header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').header('location', `/?conversation=${encodeURIComponent(conversationId)}`).send();
  };

  app.get(EMAIL_OPEN_PATH, { schema: { hide: true, querystring: TOKEN } }, async (request, reply) => {
    const token = request.query.token;
    const landing = { conversationId: '' };
    let current: UserRow | undefined;
    const result = await signInAtDoor(app, request, 'link', async (): Promise<DoorSuccess | DoorAsked | DoorFailure> => {
      if (typeof token !== 'string' || !LINK_TOKEN.test(token)) return { ok: false, code: 'link_invalid' };
      // Another account's session is open in this browser: ask first, and leave the link unused until the
      // answer (someone may have forwarded the link of their own email to a signed-in visitor).
      current = await liveCookieAccount(app, request);
      if (current) {
        const found = await links.find(token, app.now());
        if (!found.ok) return { ok: false, code: found.code };
        const user = await users.findById(found.link.user_id);
        if (!user) return { ok: false, code: 'link_invalid' };
        if (!user.active) return { ok: false, code: 'user_deactivated' };
        if (user.id !== current.id) return { ok: true, user, created: false, asked: true };
      }
      return useLink(token, landing);
    });
    if (!result.ok) return failed(reply, result);
    if ('asked' in result && result.asked && current) {
      request.log.info({ outcome: 'asked', userId: result.user.id }, 'email link: asks before switching account');
      await askBeforeSwitching(reply, { current, next: result.user, landing: '/', answer: { action: EMAIL_OPEN_PATH, fields: new Map([['token', token as string]]) } });
      return reply;
    }
    return signedIn(reply, (result as DoorSuccess).session, landing.conversationId);
  });

  await app.register(async (unsubscribe) => {
    await unsubscribe.register(formBody, { bodyLimit: 1024 });
    const userOf = async (token: unknown) => {
      const userId = verifyUnsubscribeToken(await secrets.get(UNSUBSCRIBE_SECRET, app.now()), token);
      return userId === null ? undefined : users.findById(userId);
    };
    unsubscribe.get(UNSUBSCRIBE_PATH, { schema: { hide: true, querystring: TOKEN } }, async (request, reply) => {
      const token = (request.query as { token?: string }).token;
      const user = await userOf(token);
      if (!user) return page(reply, 404, errorPageHtml('link_invalid'));
      return page(
        reply,
        200,
        staticPageHtml({
          title: 'Email notifications',
          code: 'unsubscribe',
          referrer: 'no-referrer',
          content: `<h1>Stop email notifications?</h1>
<p>${escapeHtml(user.email ?? '')} will no longer get an email when the team answers.</p>
<form method="post" action="${UNSUBSCRIBE_PATH}?token=${escapeHtml(token!)}">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">Unsubscribe</button>
</form>`,
        }),
      );
    });
    // The answer to the question of GET /email/open: a same-origin form post of the link's token.
    unsubscribe.post(EMAIL_OPEN_PATH, { schema: { hide: true } }, async (request, reply) => {
      if (!isSameOriginRequest(request, new URL(app.publicUrl.value).origin)) {
        request.log.info({ outcome: 'csrf_rejected' }, 'email link: account switch refused');
        return page(reply, ERROR_STATUS.csrf_rejected, errorPageHtml('csrf_rejected'));
      }
      const token = (request.body as Record<string, unknown> | undefined)?.['token'];
      const landing = { conversationId: '' };
      const result = await signInAtDoor(app, request, 'link', async () => (typeof token === 'string' && LINK_TOKEN.test(token) ? useLink(token, landing) : { ok: false, code: 'link_invalid' }));
      if (!result.ok) return failed(reply, result);
      return signedIn(reply, result.session, landing.conversationId);
    });
    // RFC 8058 §3.1: the mail client POSTs `List-Unsubscribe=One-Click` to the URL, with no cookie.
    unsubscribe.post(UNSUBSCRIBE_PATH, { schema: { hide: true, querystring: TOKEN } }, async (request, reply) => {
      const user = await userOf((request.query as { token?: string }).token);
      if (!user) return page(reply, 404, errorPageHtml('link_invalid'));
      await users.updateProfile(user.id, { preferences: { ...safeJson(user.preferences), emailNotifications: false } });
      request.log.info({ userId: user.id }, 'email notifications turned off by unsubscribe');
      return page(reply, 200, staticPageHtml({ title: 'Unsubscribed', code: 'unsubscribed', referrer: 'no-referrer', content: '<h1>Unsubscribed</h1>\n<p>You will no longer get these emails.</p>' }));
    });
  });

  app.patch('/api/v1/me/email', { onRequest: requireSession, schema: { body: Type.Object({ emailNotifications: Type.Unknown() }, { additionalProperties: false }), response: { 200: EmailPreferencesSchema } } }, async (request, reply) => {
    const on = readField('emailNotifications', parseFlag(request.body.emailNotifications));
    const user = request.session!.user;
    const current = (await users.findById(user.id)) ?? user;
    const updated = await users.updateProfile(user.id, { preferences: { ...safeJson(current.preferences), emailNotifications: on } });
    reply.header('cache-control', 'no-store');
    return { emailNotifications: emailPreferencesOf(updated).emailNotifications };
  });

  app.get('/api/v1/me/email', { onRequest: requireSession, schema: { response: { 200: EmailPreferencesSchema } } }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    return { emailNotifications: emailPreferencesOf(request.session!.user).emailNotifications };
  });

  app.post('/api/v1/admin/settings/test-email', { onRequest: requireAdministrator, schema: { response: { 202: Type.Object({ to: Type.String() }) } } }, async (request, reply) => {
    const me = request.session!.user;
    if (!me.email) throw new ParleyError('bad_request', 'Your account has no email address.');
    if ((await app.services.settings.get()).smtp === null) throw new ParleyError('bad_request', 'Email is off: set PARLEY_SMTP_URL or smtpUrl first.');
    await inTransaction(app.store, (tx) =>
      enqueueMail(tx, { to: me.email!, subject: 'Parley test email', text: 'This is a test email from Parley: email works.\n', html: '<p>This is a test email from Parley: email works.</p>', target: me.id }, app.now()),
    );
    app.services.outboundWorker.nudge();
    return reply.code(202).header('cache-control', 'no-store').send({ to: me.email });
  });
}

function safeJson(text: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
