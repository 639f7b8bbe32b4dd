/**
 * The one way a use case changes data: `audited(ctx, action, target, change)` runs `change` in a transaction
 * and writes the audit entry, from the actor, in that same transaction, so a change is never without its
 * entry nor an entry without its change. A refusal (a `ParleyError`: not allowed, not found, no seat) rolls
 * the change back and is recorded with its code, as the admin panel's log shows it.
 */
import { ParleyError } from '../errors.js';
import type { AuditRepository } from '../store/audit.js';
import type { Store } from '../store/database.js';
import { inTransaction } from '../store/transaction.js';
import { actingUserOf, actorLabel, type Context } from './actor.js';

export type Audited = <T>(ctx: Context, action: string, target: string | null, change: (tx: Store) => Promise<T>, targetOf?: (result: T) => string | null) => Promise<T>;

export function createAudited(deps: { store: Store; audit: AuditRepository; now: () => number }): Audited {
  const entry = (ctx: Context, action: string, outcome: string, target: string | null) => ({
    at: deps.now(),
    kind: 'admin' as const,
    action,
    actor_id: actingUserOf(ctx.actor)?.id ?? null,
    actor_label: actorLabel(ctx.actor),
    outcome,
    origin: ctx.origin === null ? null : ctx.origin.slice(0, 200),
    ip: ctx.ip,
    target,
  });

  return async (ctx, action, target, change, targetOf) => {
    try {
      return await inTransaction(deps.store, async (tx) => {
        const result = await change(tx);
        await tx.db.insertInto('audit_log').values(entry(ctx, action, 'ok', targetOf ? targetOf(result) : target)).execute();
        return result;
      });
    } catch (error) {
      if (error instanceof ParleyError) await deps.audit.record(entry(ctx, action, error.code, target));
      throw error;
    }
  };
}
