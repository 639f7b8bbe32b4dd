/** `GET /healthz`: 200 once the database answers (migrations ran before the app was built). */
import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { sendError } from '../errors.js';

export async function healthRoutes(app: FastifyInstance) {
  app.get('/healthz', async (_request, reply) => {
    try {
      await sql`select 1`.execute(app.store.db);
    } catch {
      return sendError(reply, 'service_unavailable', 'The database is not reachable.');
    }
    return reply.header('cache-control', 'no-store').send({ status: 'ok' });
  });
}
