/**
 * `/api/v1/admin/…` (docs/admin-api.md): one guard for every route (a session of an owner or admin), then
 * one plugin per page of the admin panel.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isAdministrator } from '../../chat/access.js';
import { ParleyError } from '../../errors.js';
import { auditRoutes } from './audit.js';
import { inboxRoutes } from './inbox.js';
import { keyRoutes } from './keys.js';
import { overviewRoutes } from './overview.js';
import { userRoutes } from './users.js';

export async function adminRoutes(app: FastifyInstance) {
  const { requireSession } = app.services;
  app.addHook('onRequest', async (request: FastifyRequest) => {
    await requireSession(request);
    if (!isAdministrator(request.session!.user)) throw new ParleyError('admin_required');
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('cache-control', 'no-store');
    return payload;
  });
  await app.register(overviewRoutes);
  await app.register(keyRoutes);
  await app.register(userRoutes);
  await app.register(inboxRoutes);
  await app.register(auditRoutes);
}
