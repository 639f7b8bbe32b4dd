/**
 * `GET /healthz`: 200 once the database answers (migrations ran before the app was built), 503
 * `database_unavailable` with a Retry-After while it does not: refused, failing, or silent for longer than a
 * load balancer should wait.
 */
import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { sendError } from '../errors.js';
import type { Database } from '../store/schema.js';
import { DATABASE_RETRY_AFTER_SECONDS } from '../store/unavailable.js';

/** A database that takes longer than this to answer `select 1` counts as down. */
const HEALTH_TIMEOUT_MS = 2000;

/** Whether `select 1` succeeds within `timeoutMs`; never rejects. */
async function databaseAnswers(db: Kysely<Database>, timeoutMs: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const silent = new Promise<false>((resolve) => {
    timer = setTimeout(resolve, timeoutMs, false);
  });
  try {
    return await Promise.race([sql`select 1`.execute(db).then(() => true, () => false), silent]);
  } finally {
    clearTimeout(timer);
  }
}

export async function healthRoutes(app: FastifyInstance) {
  app.get('/healthz', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
    if (!(await databaseAnswers(app.store.db, HEALTH_TIMEOUT_MS))) {
      return sendError(reply.header('retry-after', String(DATABASE_RETRY_AFTER_SECONDS)), 'database_unavailable', 'The database is not reachable.');
    }
    return reply.send({ status: 'ok' });
  });
}
