/**
 * `POST /api/v1/auth/email/start` and `POST /api/v1/auth/email/verify` (docs/admin-api.md, Email sign-in).
 * Start answers 202 `{}` whether or not an email went out; verify answers what the exchange answers. Both
 * refuse a page outside the allowed origins as the exchange does; start is limited per client address
 * (PARLEY_EMAIL_SIGNIN_RATE_LIMIT) and per address emailed, verify by the sign-in limits of every door. A
 * verify from Parley's own origin (the hosted page) also sets the session cookie.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ExchangeResponseSchema } from '#shared/api.js';
import { EmailStartBodySchema, EmailStartResponseSchema, EmailVerifyBodySchema } from '#shared/email-sign-in-api.js';
import { parseEmail, type Field } from '#shared/fields.js';
import { parseEmailCode } from '#shared/sign-in-fields.js';
import { ParleyError } from '../../errors.js';
import { presentUser } from '../../chat/present.js';
import { signInAtDoor } from './sign-in-door.js';
import { readField } from '../admin/read-field.js';
import { landingUrl } from '../pages/landing-url.js';
import { isSameOriginRequest } from '../../auth/csrf.js';
import { setSessionCookie } from './session-cookie.js';

/** A path on this server for the link to land on: what the hosted page's own landing rule keeps as it is. */
function parseReturnTo(value: unknown): Field<string> {
  return typeof value === 'string' && value.startsWith('/') && landingUrl(value) === value
    ? { ok: true, value }
    : { ok: false, reason: 'must be a path on this server, such as /' };
}

export async function emailSignInRoutes(parent: FastifyInstance) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const { emailSignIn } = app.services;
  const { max, windowSeconds } = app.config.emailSignInRateLimit;
  const perAddress = max > 0 ? app.createRateLimit({ max, timeWindow: windowSeconds * 1000, keyGenerator: (r) => `email-signin:addr:${r.ip}` }) : null;

  const refuseOrigin = async (request: FastifyRequest) => {
    const origin = request.headers.origin;
    if (origin !== undefined && !(await app.origins.isAllowed(origin))) throw new ParleyError('origin_not_allowed');
  };

  app.post(
    '/auth/email/start',
    { schema: { body: EmailStartBodySchema, response: { 202: EmailStartResponseSchema } } },
    async (request, reply) => {
      const email = readField('email', parseEmail(request.body.email));
      const returnTo = request.body.returnTo === undefined ? null : readField('returnTo', parseReturnTo(request.body.returnTo));
      await refuseOrigin(request);
      if (perAddress) {
        const verdict = await perAddress(request);
        if (!verdict.isAllowed && verdict.isExceeded) {
          reply.header('retry-after', String(Math.max(1, verdict.ttlInSeconds)));
          throw new ParleyError('rate_limited');
        }
      }
      const result = await emailSignIn.start(email, returnTo);
      if (!result.ok) {
        if (result.retryAfterSeconds !== undefined) reply.header('retry-after', String(result.retryAfterSeconds));
        throw new ParleyError(result.code);
      }
      request.log.info({ outcome: 'ok' }, 'email sign-in requested');
      return reply.code(202).header('cache-control', 'no-store').send({});
    },
  );

  app.post(
    '/auth/email/verify',
    { schema: { body: EmailVerifyBodySchema, response: { 200: ExchangeResponseSchema } } },
    async (request, reply) => {
      const email = readField('email', parseEmail(request.body.email));
      const code = readField('code', parseEmailCode(request.body.code));
      const result = await signInAtDoor(app, request, 'email_code', () => emailSignIn.verifyCode(email, code), async () => {
        const origin = request.headers.origin;
        return origin !== undefined && !(await app.origins.isAllowed(origin)) ? 'origin_not_allowed' : null;
      });
      if (!result.ok) {
        if (result.retryAfterSeconds !== undefined) reply.header('retry-after', String(result.retryAfterSeconds));
        throw new ParleyError(result.code);
      }
      reply.header('cache-control', 'no-store');
      // Parley's own hosted page signs in by cookie: a request from its origin gets one too.
      if (isSameOriginRequest(request, new URL(app.publicUrl.value).origin)) setSessionCookie(reply, result.session.token, result.session.expiresAt, app.publicUrl.value);
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
}
