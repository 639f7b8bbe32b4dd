/**
 * Group commit of posts (PostgreSQL): the transactions of posts that arrive while others are being written
 * share one transaction, so that a busy instance pays one BEGIN and one COMMIT (and one WAL flush) for a
 * group instead of for each post. A post arriving while fewer than `concurrency` groups are open starts its
 * own at once, so that nothing waits when the instance is not busy.
 *
 * Each post's work runs in the group's transaction one after the other, in the order of their keys (their
 * conversation ids): two groups lock the rows of the conversations they share in the same order, and wait
 * for each other rather than deadlock. A post sees the posts before it in its group as committed, as it would
 * had they committed just before it.
 *
 * A post that may be refused in its transaction (`mayRefuse`: one with files, which may be in use already)
 * gets a savepoint before it; refused with a ParleyError, it is rolled back to it and only that post is
 * refused: the others of its group are written once and commit. (A savepoint is a statement: a post that
 * cannot be refused there goes without, and a refusal of one anyway counts as the failure below.) A database that cannot be reached fails the whole group at once (each post answers 503). Any other
 * failure rolls the whole group back, and each of its posts is then written again alone, one after the other
 * in the group's order: a post's answer is what it alone would have met. So a work may run twice: it does
 * nothing outside the database, and answers what to do after its commit (chat-service.ts: the rate limit is
 * counted before, and the assistant's stop done after).
 */
import { sql, type Kysely } from 'kysely';
import { ParleyError } from '../errors.js';
import { isDatabaseUnavailable } from '../store/unavailable.js';
import type { Store } from '../store/database.js';
import type { Database } from '../store/schema.js';

/** Most posts in one group: a group holds its conversations' rows until its commit. */
const MAX_GROUP = 16;
/**
 * Groups open at once: part of the connection pool, the rest left to reads and other writes. Two rather than
 * four: in the cluster bench (bench/NOTES.md) as many messages a second or more, with delivery p99 about a
 * third lower, since fewer transactions wait on each other's conversation rows and larger groups share a commit.
 */
export const GROUP_CONCURRENCY = 2;

interface Pending {
  key: string;
  mayRefuse: boolean;
  work: (trx: Kysely<Database>) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export interface TransactionGroups {
  /** Runs `work` in a transaction, possibly shared with other posts' (see above); answers what it answers. */
  run<T>(key: string, work: (trx: Kysely<Database>) => Promise<T>, options?: { mayRefuse?: boolean }): Promise<T>;
}

export function createTransactionGroups(store: Pick<Store, 'db'>, options: { maxGroup?: number; concurrency?: number } = {}): TransactionGroups {
  const maxGroup = options.maxGroup ?? MAX_GROUP;
  const concurrency = options.concurrency ?? GROUP_CONCURRENCY;
  const queue: Pending[] = [];
  let open = 0;

  async function alone(item: Pending): Promise<void> {
    try {
      item.resolve(await store.db.transaction().execute(item.work));
    } catch (error) {
      item.reject(error);
    }
  }

  async function write(group: Pending[]): Promise<void> {
    if (group.length === 1) return alone(group[0]!);
    group.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    let outcomes: { ok: boolean; value: unknown }[];
    try {
      outcomes = await store.db.transaction().execute(async (trx) => {
        const out: { ok: boolean; value: unknown }[] = [];
        for (const item of group) {
          // Its own savepoint (a later one of the same name hides it): a refusal undoes that post alone.
          if (item.mayRefuse) await sql`savepoint post`.execute(trx);
          try {
            out.push({ ok: true, value: await item.work(trx) });
          } catch (error) {
            if (!(error instanceof ParleyError) || !item.mayRefuse) throw error;
            await sql`rollback to savepoint post`.execute(trx);
            out.push({ ok: false, value: error });
          }
        }
        return out;
      });
    } catch (error) {
      // The database cannot be reached: every post of the group answers so at once (503, retried by the
      // client), rather than each waiting out the connection's timeout again in turn.
      if (isDatabaseUnavailable(error)) return group.forEach((item) => item.reject(error));
      // Rolled back by another failure (a deadlock, a bug): each again alone, in order (a retry of a post after
      // the post it repeats), so that a failure is only its own post's answer.
      for (const item of group) await alone(item);
      return;
    }
    group.forEach((item, i) => (outcomes[i]!.ok ? item.resolve(outcomes[i]!.value) : item.reject(outcomes[i]!.value)));
  }

  function pump(): void {
    while (open < concurrency && queue.length > 0) {
      const group = queue.splice(0, maxGroup);
      open++;
      void write(group).finally(() => {
        open--;
        pump();
      });
    }
  }

  return {
    run<T>(key: string, work: (trx: Kysely<Database>) => Promise<T>, options: { mayRefuse?: boolean } = {}): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ key, mayRefuse: options.mayRefuse === true, work, resolve: resolve as (value: unknown) => void, reject });
        pump();
      });
    },
  };
}
