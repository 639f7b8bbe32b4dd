/**
 * What a sign-in door writes into the audit log (administrative changes are written by their use cases,
 * use-cases/audited.ts): each attempt with the actor, the outcome code, the request's origin and address. Labels
 * are ids and names, never tokens or secrets.
 */
import type { FastifyRequest } from 'fastify';
import type { UserRow } from '../store/users.js';
import type { AuditRepository, AuditRow } from '../store/audit.js';
import type { SignInDoor } from '../routes/auth/sign-in-door.js';

const originOf = (request: FastifyRequest) => (typeof request.headers.origin === 'string' ? request.headers.origin.slice(0, 200) : null);

export function createAuditTrail(audit: AuditRepository, now: () => number) {
  return {
    /**
     * A sign-in attempt at a door. The hosted page and the exchange are sign-ins (`sign_in.link`,
     * `sign_in.exchange`, `sign_in.email_code`, `sign_in.email_link`, the account by its external id, else its email); using an admin panel link is an administrative
     * action (`admin_link.use`, the account by its email or name, the account as its target).
     */
    signIn(request: FastifyRequest, door: SignInDoor, result: { ok: true; user: UserRow; asked?: boolean } | { ok: false; code: string }): Promise<void> {
      const user = result.ok ? result.user : null;
      const admin = door === 'admin_link';
      return audit.record({
        at: now(),
        kind: admin ? 'admin' : 'sign_in',
        action: admin ? 'admin_link.use' : `sign_in.${door}`,
        actor_id: user?.id ?? null,
        actor_label: user ? (admin ? (user.email ?? user.name ?? user.id) : (user.external_id ?? user.email ?? user.id)) : null,
        outcome: result.ok ? (result.asked ? 'switch_asked' : 'ok') : result.code,
        origin: originOf(request),
        ip: request.ip,
        target: admin ? (user?.id ?? null) : null,
      });
    },
  };
}

export type AuditTrail = ReturnType<typeof createAuditTrail>;

export function presentAuditEntry(row: AuditRow) {
  return {
    id: String(row.id),
    at: new Date(row.at).toISOString(),
    kind: row.kind,
    action: row.action,
    actor: { id: row.actor_id, label: row.actor_label },
    outcome: row.outcome,
    origin: row.origin,
    ip: row.ip,
    target: row.target,
  };
}
