/**
 * The audit log (docs/admin-api.md, Audit log): every administrative action and every sign-in attempt, with
 * time, actor, outcome code, origin and address. Never a token or a secret: callers pass labels and ids only.
 */
import { CompiledQuery } from 'kysely';
import type { Store } from './database.js';
import type { AuditLogTable } from './schema.js';

export type AuditEntry = Omit<AuditLogTable, 'id'>;
export type AuditRow = AuditEntry & { id: number };

/** 9 parameters a row: far below SQLite's and PostgreSQL's limits on bound parameters. */
const MAX_ROWS_PER_INSERT = 200;

interface Pending {
  entry: AuditEntry;
  resolve: () => void;
  reject: (error: unknown) => void;
}

const COLUMNS = ['at', 'kind', 'action', 'actor_id', 'actor_label', 'outcome', 'origin', 'ip', 'target'] as const;

export function createAuditRepository({ db, dialect }: Store) {
  let pending: Pending[] = [];
  // Batches are written one after the other, so that ids follow the order of recording on PostgreSQL too.
  let writing: Promise<void> = Promise.resolve();

  // The statement is written out directly (placeholders and values), not built node by node.
  const placeholder = dialect === 'postgres' ? (n: number) => `$${n}` : () => '?';
  const insert = (entries: readonly AuditEntry[]) => {
    const values: unknown[] = [];
    const rows = entries.map((entry) => `(${COLUMNS.map((column) => (values.push(entry[column]), placeholder(values.length))).join(', ')})`);
    return db.executeQuery(CompiledQuery.raw(`insert into audit_log (${COLUMNS.join(', ')}) values ${rows.join(', ')}`, values));
  };

  /**
   * Group commit: the entries recorded in one turn of the event loop (concurrent sign-ins) go in as one
   * multi-row insert, one statement and one commit, written as plain SQL (Kysely's insert builder freezes a
   * node per value: a tenth of a sign-in). Each caller still waits for its entry to be committed. If the
   * batch fails, each entry is tried on its own, so one bad entry fails only itself.
   */
  async function flush(): Promise<void> {
    const batch = pending;
    pending = [];
    for (let i = 0; i < batch.length; i += MAX_ROWS_PER_INSERT) {
      const chunk = batch.slice(i, i + MAX_ROWS_PER_INSERT);
      try {
        await insert(chunk.map((p) => p.entry));
        for (const p of chunk) p.resolve();
      } catch {
        for (const p of chunk) await insert([p.entry]).then(p.resolve, p.reject);
      }
    }
  }

  return {
    /** Resolves once the entry is committed. */
    record(entry: AuditEntry): Promise<void> {
      return new Promise((resolve, reject) => {
        if (pending.push({ entry, resolve, reject }) === 1) setImmediate(() => {
          writing = writing.then(flush);
        });
      });
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
