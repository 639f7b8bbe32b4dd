import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../../server/src/app.js';
import { loadConfig } from '../../../server/src/config.js';
import { createTestApp, TEST_SECRET, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';
import { openHostedPage } from '../../helpers/hosted-page.js';

describe.each(DIALECTS)('PARLEY_REQUIRE_JTI on %s', (dialect) => {
  let t: TestApp;
  afterEach(async () => {
    await t.close();
  });
  const exchangeOn = (app: TestApp['app'], externalAuthCode: string) => app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode } });

  it('refuses a token without a jti, and the second use of a (issuer, jti) pair', async () => {
    t = await createTestApp({ dialect, env: { PARLEY_REQUIRE_JTI: 'true' } });
    expect((await exchangeOn(t.app, await t.sign({ user: { id: 'a' } }))).json().error.code).toBe('token_invalid');
    const token = await t.sign({ user: { id: 'a' }, jti: 'once-1' });
    expect((await exchangeOn(t.app, token)).statusCode).toBe(200);
    const again = await exchangeOn(t.app, token);
    expect(again.statusCode).toBe(401);
    expect(again.json().error.code).toBe('token_invalid');
    const hosted = await openHostedPage(t.app, `/?externalAuthCode=${token}`);
    expect(hosted.statusCode).toBe(401);
    expect(hosted.body).toContain('data-code="token_invalid"');
    // Another issuer may use the same jti.
    expect((await exchangeOn(t.app, await t.sign({ user: { id: 'a' }, jti: 'once-1', iss: 'https://other.example' }))).statusCode).toBe(200);
  });

  it('20 parallel uses of one token give exactly one session, across two instances on one database', async () => {
    t = await createTestApp({ dialect, env: { PARLEY_REQUIRE_JTI: 'true' } });
    const second = await buildApp({
      config: loadConfig({ PARLEY_EXTERNAL_AUTH_SECRET: TEST_SECRET, PARLEY_REQUIRE_JTI: 'true', PARLEY_SIGNIN_RATE_LIMIT: '0' }),
      store: t.db.store,
      now: () => t.clock.now,
    });
    try {
      const token = await t.sign({ user: { id: 'racer', email: 'racer@x.io' }, jti: 'race-1' });
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => exchangeOn(i % 2 ? second : t.app, token)));
      expect(results.filter((r) => r.statusCode === 200)).toHaveLength(1);
      expect(results.filter((r) => r.statusCode === 401 && r.json().error.code === 'token_invalid')).toHaveLength(19);
      const signedIn = await t.db.store.db.selectFrom('audit_log').select('id').where('kind', '=', 'sign_in').where('outcome', '=', 'ok').execute();
      expect(signedIn).toHaveLength(1);
    } finally {
      await second.close();
    }
  });

  it('is off by default: the same token signs in again and again', async () => {
    t = await createTestApp({ dialect });
    const token = await t.sign({ user: { id: 'a' }, jti: 'x' });
    expect((await exchangeOn(t.app, token)).statusCode).toBe(200);
    expect((await exchangeOn(t.app, token)).statusCode).toBe(200);
  });
});
