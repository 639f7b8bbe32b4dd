/**
 * The question the hosted page asks before it replaces one account's session with another's (a login swap:
 * a page on another site sends a signed-in visitor to `/?externalAuthCode=<the attacker's own code>`).
 *
 * The GET with the code has already verified it and found account B while the cookie holds a live session
 * of account A. It answers a page, "You are signed in as A. Continue as B?", whose form POSTs to
 * `/sign-in/continue` a *pending* sign-in: a session token of B that lasts ten minutes and is spent by the
 * answer (revoked, and exchanged for a fresh 24-hour session in the cookie). The code itself is never put
 * back into the page or a URL, so a one-time code (`jti`) spent by the GET needs nothing more, and any
 * instance sharing the database can take the answer. The answer must be a same-origin POST: `Origin` is
 * Parley's own and `Sec-Fetch-Site`, when the browser sends it, is `same-origin`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_STATUS, type ErrorCode } from '#shared/errors.js';
import { isSameOriginRequest } from '../../auth/csrf.js';
import { SESSION_COOKIE } from '../../auth/session-auth.js';
import { SESSION_TTL_MS } from '../../auth/sign-in.js';
import type { UserRow } from '../../store/users.js';
import { setSessionCookie } from '../auth/session-cookie.js';
import { errorPageHtml, staticPageHtml } from './error-page.js';
import { landingUrl } from './landing-url.js';

export const CONTINUE_PATH = '/sign-in/continue';
const PENDING_TTL_MS = 10 * 60_000;
const TOKEN = /^[A-Za-z0-9_-]{1,128}$/;
const MAX_NEXT_CHARS = 4096;

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** How the question names an account: its name, else its email, else the integrator's id, else Parley's. */
const shownName = (user: UserRow) => escapeHtml(user.name || user.email || user.external_id || user.id);

/** The account of the request's session cookie, if it is a live session of an active account. */
export async function liveCookieAccount(app: FastifyInstance, request: FastifyRequest): Promise<UserRow | undefined> {
  const token = request.cookies[SESSION_COOKIE];
  if (token === undefined || !TOKEN.test(token)) return undefined;
  const found = await app.services.sessions.findValid(token, app.now());
  return found && found.user.active ? found.user : undefined;
}

/** Where the question's form posts, and what it carries: a pending sign-in, or (`/email/open`) the link's token. */
export interface SwitchAnswer {
  action: string;
  fields: ReadonlyMap<string, string>;
}

function questionHtml(current: UserRow, next: UserRow, answer: SwitchAnswer, landing: string): string {
  const a = shownName(current);
  const b = shownName(next);
  return staticPageHtml({
    title: 'Switch account?',
    code: 'switch_account',
    referrer: 'strict-origin',
    content: `<h1>Switch account?</h1>
<p>You are signed in as <strong>${a}</strong>. Continue as <strong>${b}</strong>?</p>
<p>Continue only if you opened this chat link yourself.</p>
<form method="post" action="${escapeHtml(answer.action)}">
${[...answer.fields].map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`).join('\n')}
<button type="submit">Continue as ${b}</button>
</form>
<p><a href="${escapeHtml(landing)}">Stay as ${a}</a></p>`,
  });
}

/**
 * Answers the question page (200, never cached) with a pending sign-in of `next`; the cookie is left alone.
 * Its referrer policy is `strict-origin`, not `no-referrer`: under `no-referrer` a browser sends
 * `Origin: null` with the form's POST (Fetch, "append a request Origin header"), and the answer could not
 * prove where it came from. `strict-origin` still never sends the URL, which holds the code.
 */
export async function askToSwitchAccount(app: FastifyInstance, reply: FastifyReply, options: { current: UserRow; next: UserRow; landing: string }): Promise<void> {
  const pending = await app.services.sessions.create(options.next, app.now(), PENDING_TTL_MS);
  await askBeforeSwitching(reply, { ...options, answer: { action: CONTINUE_PATH, fields: new Map([['pending', pending.token], ['next', options.landing]]) } });
}

/**
 * The same question with the door's own answer: `/email/open` posts its link's token back to itself, so the
 * one-time link is spent only by the answer and stays usable for its owner when the visitor stays.
 */
export async function askBeforeSwitching(reply: FastifyReply, options: { current: UserRow; next: UserRow; landing: string; answer: SwitchAnswer }): Promise<void> {
  await reply
    .code(200)
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'strict-origin')
    .type('text/html; charset=utf-8')
    .send(questionHtml(options.current, options.next, options.answer, options.landing));
}

function refuse(reply: FastifyReply, code: ErrorCode) {
  return reply.code(ERROR_STATUS[code]).header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').type('text/html; charset=utf-8').send(errorPageHtml(code));
}

/** `POST /sign-in/continue`: the answer to the question, as an HTML form post (its own body parser). */
export async function accountSwitchRoutes(app: FastifyInstance) {
  // Form bodies are parsed here only: the API itself keeps accepting application/json alone.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, new URLSearchParams(body as string));
  });

  app.post(CONTINUE_PATH, async (request, reply) => {
    if (!isSameOriginRequest(request, new URL(app.publicUrl.value).origin)) {
      request.log.info({ outcome: 'csrf_rejected' }, 'account switch refused');
      return refuse(reply, 'csrf_rejected');
    }
    const body = request.body ?? new URLSearchParams();
    if (!(body instanceof URLSearchParams)) return refuse(reply, 'unsupported_media_type');
    const pending = body.get('pending');
    const next = body.get('next') ?? '/';
    if (pending === null || !TOKEN.test(pending) || next.length > MAX_NEXT_CHARS) return refuse(reply, 'bad_request');

    const now = app.now();
    const { sessions, bus } = app.services;
    const found = await sessions.findValid(pending, now);
    if (!found || !found.user.active) {
      request.log.info({ outcome: 'session_invalid' }, 'account switch refused');
      return refuse(reply, 'session_invalid');
    }
    // Spent at once: a replayed answer finds a revoked session.
    const spent = await sessions.revoke(pending, now);
    if (spent !== undefined) bus.endSession(spent);
    const session = await sessions.create(found.user, now, SESSION_TTL_MS);
    request.log.info({ outcome: 'ok', userId: found.user.id }, 'hosted-page signed in after switching account');
    await app.services.auditTrail.signIn(request, 'link', { ok: true, user: found.user });
    setSessionCookie(reply, session.token, session.expiresAt, app.publicUrl.value);
    return reply.code(303).header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').header('location', landingUrl(next)).send();
  });
}
