/**
 * What goes into the audit log, in one place: sign-in attempts (from the hosted page and the exchange) and
 * administrative actions, each with the actor, the outcome code, the request's origin and address. Labels
 * are ids and names, never tokens or secrets.
 */
import type { FastifyRequest } from 'fastify';
import type { SignInResult } from '../auth/sign-in.js';
import type { AuditRepository, AuditRow } from '../store/audit.js';

const originOf = (request: FastifyRequest) => (typeof request.headers.origin === 'string' ? request.headers.origin.slice(0, 200) : null);

export function createAuditTrail(audit: AuditRepository, now: () => number) {
  return {
    signIn(request: FastifyRequest, door: 'link' | 'exchange', result: SignInResult | { ok: false; code: string }): Promise<void> {
      const user = result.ok ? result.user : null;
      return audit.record({
        at: now(),
        kind: 'sign_in',
        action: `sign_in.${door}`,
        actor_id: user?.id ?? null,
        actor_label: user ? (user.external_id ?? user.email ?? user.id) : null,
        outcome: result.ok ? 'ok' : result.code,
        origin: originOf(request),
        ip: request.ip,
        target: null,
      });
    },

    admin(request: FastifyRequest, action: string, outcome: string, target: string | null = null): Promise<void> {
      const actor = request.session?.user ?? null;
      const apiKey = request.session?.apiKey;
      const label = actor ? (actor.email ?? actor.name ?? actor.id) : null;
      return audit.record({
        at: now(),
        kind: 'admin',
        action,
        actor_id: actor?.id ?? null,
        actor_label: apiKey ? `API key "${apiKey.name}" of ${label}` : label,
        outcome,
        origin: originOf(request),
        ip: request.ip,
        target,
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
