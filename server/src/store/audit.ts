/**
 * The audit log (PRODUCT.md §8): every administrative action and every sign-in attempt, with time, actor,
 * outcome code, origin and address. Never a token or a secret: callers pass labels and ids only.
 */
import type { Store } from './database.js';
import type { AuditLogTable } from './schema.js';
import type { WriteBatcher } from './write-batcher.js';

export type AuditEntry = Omit<AuditLogTable, 'id'>;
export type AuditRow = AuditEntry & { id: number };

export function createAuditRepository({ db }: Store, batcher: WriteBatcher) {
  return {
    record(entry: AuditEntry): Promise<void> {
      return batcher.run((executor) => executor.insertInto('audit_log').values(entry).execute());
    },

    /** Newest first; `before` is the id of the last entry of the previous page. */
    async list(kind: AuditEntry['kind'] | undefined, before: number | undefined, limit: number): Promise<AuditRow[]> {
      let query = db.selectFrom('audit_log').selectAll();
      if (kind) query = query.where('kind', '=', kind);
      if (before !== undefined) query = query.where('id', '<', before);
      const rows = await query.orderBy('id', 'desc').limit(limit).execute();
      return rows.map((r) => ({ ...r, id: Number(r.id) }));
    },

    /** Sign-in attempts since `since`, counted by outcome code. */
    async signInsByOutcome(since: number): Promise<Record<string, number>> {
      const rows = await db
        .selectFrom('audit_log')
        .select(['outcome', (eb) => eb.fn.countAll<number>().as('n')])
        .where('kind', '=', 'sign_in')
        .where('at', '>=', since)
        .groupBy('outcome')
        .execute();
      return Object.fromEntries(rows.map((r) => [r.outcome, Number(r.n)]));
    },
  };
}

export type AuditRepository = ReturnType<typeof createAuditRepository>;
