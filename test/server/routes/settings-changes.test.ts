/**
 * Settings are read at every request and kept in memory exactly (admin/settings.ts): a change made here
 * counts from the next request; one made through another connection to the same SQLite file (the CLI) from
 * the next turn; one made by another PostgreSQL instance as soon as its announcement arrives, at the commit.
 * Nothing waits for a timer: the test's clock never moves.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSettings } from '../../../server/src/admin/settings.js';
import { buildApp, type App } from '../../../server/src/app.js';
import { loadConfig } from '../../../server/src/config.js';
import { createTestApp, TEST_SECRET, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';

/** Polls until `condition` holds (each try is a request to the app), failing after `tries`. */
async function eventually(condition: () => Promise<boolean>, tries = 200): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error('the condition never held');
}

describe.each(DIALECTS)('settings changes, on %s', (dialect) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ dialect });
  });
  afterEach(async () => {
    await t.close();
  });
  const signIn = async (app: App, id: string) =>
    (await app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id } }) } })).json();

  it('a change made here counts from the next request, at the same instant', async () => {
    await t.app.services.settings.update({ externalAuthEnabled: false });
    expect((await signIn(t.app, 'ada')).error.code).toBe('external_auth_disabled');
    await t.app.services.settings.update({ externalAuthEnabled: true });
    expect((await signIn(t.app, 'ada')).user.externalId).toBe('ada');
  });

  it('a change made through another connection (the CLI, another instance) reaches this one without waiting for a timer', async () => {
    expect((await signIn(t.app, 'bob')).user.externalId).toBe('bob');
    const elsewhere = await t.db.elsewhere();
    // On PostgreSQL, a second instance hears the announcement: it runs its own fan-out listener.
    const second: App | null =
      dialect === 'postgres' ? await buildApp({ config: loadConfig({ PARLEY_EXTERNAL_AUTH_SECRET: TEST_SECRET, PARLEY_SIGNIN_RATE_LIMIT: '0' }), store: elsewhere, now: () => t.clock.now }) : null;
    try {
      const settings = second ? second.services.settings : createSettings({ store: elsewhere, config: t.config, now: () => t.clock.now });
      await settings.update({ externalAuthEnabled: false });
      await eventually(async () => (await signIn(t.app, 'bob')).error?.code === 'external_auth_disabled');
      await settings.update({ externalAuthEnabled: true });
      await eventually(async () => (await signIn(t.app, 'bob')).user?.externalId === 'bob');
    } finally {
      await second?.close();
    }
  });
});
