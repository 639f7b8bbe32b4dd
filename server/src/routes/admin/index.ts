/**
 * `/api/v1/admin/…` (docs/admin-api.md): one guard for every route (an owner's or admin's session, or an
 * admin API key), then
 * one plugin per page of the admin panel.
 */
import type { FastifyInstance } from 'fastify';
import { apiKeyRoutes } from './api-keys.js';
import { assistantRoutes } from './assistants.js';
import { apiCredentialRoutes } from './api-credentials.js';
import { auditRoutes } from './audit.js';
import { cannedReplyRoutes } from './canned-replies.js';
import { exportRoutes } from './exports.js';
import { inboxRoutes } from './inbox.js';
import { inboxMessageRoutes } from './inbox-messages.js';
import { keyRoutes } from './keys.js';
import { overviewRoutes } from './overview.js';
import { profileRoutes } from './profile.js';
import { userRoutes } from './users.js';
import { webhookRoutes } from './webhooks.js';

export async function adminRoutes(app: FastifyInstance) {
  app.addHook('onRequest', app.services.requireAdministrator);
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('cache-control', 'no-store');
    return payload;
  });
  await app.register(overviewRoutes);
  await app.register(keyRoutes);
  await app.register(userRoutes);
  await app.register(inboxRoutes);
  await app.register(inboxMessageRoutes);
  await app.register(exportRoutes);
  await app.register(cannedReplyRoutes);
  await app.register(webhookRoutes);
  await app.register(profileRoutes);
  await app.register(auditRoutes);
  await app.register(apiKeyRoutes);
  await app.register(apiCredentialRoutes);
  await app.register(assistantRoutes);
}
