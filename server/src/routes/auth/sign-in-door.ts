/**
 * The one sign-in path of every door: the hosted page (`?externalAuthCode=`), the exchange
 * (`POST /api/v1/auth/exchange`), the admin panel's one-time links (`/admin/setup?token=`), and email sign-in's
 * code (`POST /api/v1/auth/email/verify`) and link (`/?emailSignIn=`). Each runs, in
 * this order: the sign-in rate limit (before anything is done or written: a flood must not fill the audit
 * log), the door's own check (the exchange's Origin), the attempt, its audit entry (never the token), and its
 * log line. The door only renders the outcome: a redirect with a cookie, JSON, or an error page.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ErrorCode } from '#shared/errors.js';
import type { UserRow } from '../../store/users.js';

export type SignInDoor = 'link' | 'exchange' | 'admin_link' | 'email_code' | 'email_link';

/** A door's attempt signed the account in: a fresh session for it (`created`: on this first visit). */
export interface DoorSuccess {
  ok: true;
  user: UserRow;
  created: boolean;
  session: { token: string; id: string; expiresAt: number };
  /** The door asks the browser first before it signs in (another account's session is open): audited as `switch_asked`. */
  asked?: boolean;
}
/** A door that asks the browser before it signs in, and opens no session until the answer (`/email/open`). */
export interface DoorAsked {
  ok: true;
  user: UserRow;
  created: false;
  asked: true;
}
export type DoorFailure = { ok: false; code: ErrorCode; reason?: string };
export type DoorOutcome = DoorSuccess | (DoorFailure & { retryAfterSeconds?: number });
/** What a door that never asks gives `signInAtDoor`. */
export type DoorAttempt = () => Promise<DoorSuccess | DoorFailure>;

const LOG_LABEL: ReadonlyMap<SignInDoor, string> = new Map([
  ['link', 'hosted-page sign-in'],
  ['exchange', 'exchange sign-in'],
  ['admin_link', 'admin link sign-in'],
  ['email_code', 'email code sign-in'],
  ['email_link', 'email link sign-in'],
]);

/**
 * Signs in at `door`: `attempt` performs the door's kind of sign-in; `refuse`, if given, may stop it first
 * with a code (recorded like any failure). A door that asks before switching accounts without opening a
 * session (`DoorAsked`) is audited as `switch_asked` like the others.
 */
export function signInAtDoor(
  app: FastifyInstance,
  request: FastifyRequest,
  door: SignInDoor,
  attempt: DoorAttempt,
  refuse?: () => Promise<ErrorCode | null>,
): Promise<DoorOutcome>;
export function signInAtDoor(
  app: FastifyInstance,
  request: FastifyRequest,
  door: SignInDoor,
  attempt: () => Promise<DoorSuccess | DoorAsked | DoorFailure>,
  refuse?: () => Promise<ErrorCode | null>,
): Promise<DoorOutcome | DoorAsked>;
export async function signInAtDoor(
  app: FastifyInstance,
  request: FastifyRequest,
  door: SignInDoor,
  attempt: () => Promise<DoorSuccess | DoorAsked | DoorFailure>,
  refuse?: () => Promise<ErrorCode | null>,
): Promise<DoorOutcome | DoorAsked> {
  const label = LOG_LABEL.get(door)!;
  const limit = await app.signInLimiter(request);
  if (limit.limited) {
    app.metrics.signIn(door, 'rate_limited');
    request.log.info({ outcome: 'rate_limited', door }, `${label} refused`);
    return { ok: false, code: 'rate_limited', retryAfterSeconds: limit.retryAfterSeconds };
  }
  const refused = refuse ? await refuse() : null;
  const result = refused ? { ok: false as const, code: refused } : await attempt();
  await app.services.auditTrail.signIn(request, door, result);
  app.metrics.signIn(door, result.ok ? 'ok' : result.code);
  if (result.ok) request.log.info({ outcome: 'ok', door, userId: result.user.id, created: result.created }, `${label}: signed in`);
  else request.log.info({ outcome: result.code, door, reason: result.reason }, `${label} refused`);
  return result;
}
