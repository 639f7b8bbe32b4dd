/** Overview (seats, last 24 hours) and settings of the admin panel, the uploaded launcher icon included. */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { OverviewSchema, SettingsPatchSchema, SettingsSchema } from '#shared/admin-api.js';
import { contextOf } from '../context.js';
import { launcherIconRoutes } from './launcher-icon.js';

const DAY_MS = 24 * 3600 * 1000;

export async function overviewRoutes(parent: FastifyInstance) {
  const app = parent.withTypeProvider<TypeBoxTypeProvider>();
  const { users, audit, settings, useCases } = app.services;

  app.get('/overview', { schema: { response: { 200: OverviewSchema } } }, async () => {
    const since = app.now() - DAY_MS;
    const [used, current, accountsCreated, signIns] = await Promise.all([users.countActive(), settings.get(), users.countCreatedSince(since), audit.signInsByOutcome(since)]);
    return { seats: { used, limit: current.seatLimit }, last24h: { accountsCreated, signIns } };
  });

  app.get('/settings', { schema: { response: { 200: SettingsSchema } } }, async () => ({ settings: await settings.describe(app.publicUrl.value), email: { enabled: (await settings.get()).smtp !== null } }));

  app.patch('/settings', { schema: { body: SettingsPatchSchema, response: { 200: SettingsSchema } } }, async (request) => {
    await useCases.settings.changeSettings(contextOf(request), request.body, { publicUrl: app.publicUrl.value });
    return { settings: await settings.describe(app.publicUrl.value), email: { enabled: (await settings.get()).smtp !== null } };
  });

  await app.register(launcherIconRoutes);
}
