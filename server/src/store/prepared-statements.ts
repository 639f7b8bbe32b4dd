/**
 * Prepared statements on PostgreSQL: each parameterised statement a connection runs is named (a hash of its
 * text), so that PostgreSQL parses and plans it once per connection and then only binds and runs it. Kysely
 * sends every query unnamed, which PostgreSQL parses and plans at every execution: in the cluster bench that
 * was about half of PostgreSQL's CPU a message (bench/NOTES.md). pg keeps, per connection, which names it has
 * prepared; this only chooses them.
 *
 * - Only statements with parameters are named: those are single statements sent with the extended protocol
 *   anyway (a text without parameters may hold several statements, as migrations do).
 * - At most MAX_NAMED texts a connection get a name (Kysely's texts are few, but an IN list of n values is a
 *   text of its own); the rest run unnamed, as before.
 * - A prepared statement whose result changed shape (another instance's migration added a column during a
 *   rolling upgrade: "cached plan must not change result type"), or one pg believes prepared that the server
 *   does not have, fails once (with its transaction) on that connection, which then prepares its statements
 *   again under new names; the old ones stay prepared until the connection closes.
 * - Off with PARLEY_DB_PREPARED_STATEMENTS=false, for a pooler that cannot keep a session's prepared
 *   statements (PgBouncer in transaction mode before 1.21).
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';

const MAX_NAMED = 500;
/** SQLSTATE feature_not_supported, as PostgreSQL answers a prepared plan whose result type changed. */
const RESULT_TYPE_CHANGED = '0A000';
/** SQLSTATE invalid_sql_statement_name: a name pg counts as prepared that the server does not have. */
const NOT_PREPARED = '26000';

/** Makes `client` (a pool's, as it connects) run its parameterised statements as prepared ones. */
export function prepareStatements(client: pg.Client): void {
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  const names = new Map<string, string>();
  const nameOf = (text: string): string | undefined => {
    let name = names.get(text);
    if (name === undefined && names.size < MAX_NAMED) {
      name = `parley_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
      names.set(text, name);
    }
    return name;
  };
  let generation = 0;
  client.query = ((...args: unknown[]) => {
    const [text, values] = args;
    // Kysely's form: (text, values), answered by a promise.
    if (args.length !== 2 || typeof text !== 'string' || !Array.isArray(values) || values.length === 0) return query(...args);
    const base = nameOf(text);
    if (base === undefined) return query(...args);
    const name = generation === 0 ? base : `${base}_${generation}`;
    return (query({ name, text, values }) as Promise<unknown>).catch((error: unknown) => {
      const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
      if ((code === RESULT_TYPE_CHANGED && typeof message === 'string' && message.includes('cached plan must not change result type')) || code === NOT_PREPARED) generation++;
      throw error;
    });
  }) as typeof client.query;
}
