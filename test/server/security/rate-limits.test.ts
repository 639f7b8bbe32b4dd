import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, TEST_SECRET, type TestApp } from '../../helpers/app.js';
import { craftToken } from '../../helpers/jwt.js';
import { openHostedPage, sessionCookieOf } from '../../helpers/hosted-page.js';

describe('sign-in rate limits', () => {
  let t: TestApp;
  afterEach(async () => {
    await t.close();
  });

  it('holds per client address on the exchange and the hosted page, with Retry-After, then releases', async () => {
    t = await createTestApp({ env: { PARLEY_SIGNIN_RATE_LIMIT: '3/1s', PARLEY_SIGNIN_RATE_LIMIT_PER_KEY: '0' } });
    const token = await t.sign({ user: { id: 'a' } });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: token } })).statusCode);
    expect(statuses).toEqual([200, 200, 200]);
    const limited = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: token } });
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toEqual({ error: { code: 'rate_limited', message: 'Too many attempts. Try again shortly.' } });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    const page = await openHostedPage(t.app, `/?externalAuthCode=${token}`);
    expect(page.statusCode).toBe(429);
    expect(page.body).toContain('data-code="rate_limited"');
    expect(page.headers['retry-after']).toBeDefined();
    expect(sessionCookieOf(page)).toBeUndefined();
    // Another address is not affected.
    const other = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: token }, remoteAddress: '10.0.0.9' });
    expect(other.statusCode).toBe(200);
    t.clock.now += 999; // within the window (1 s) on the app's clock: still limited
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: token } })).statusCode).toBe(429);
    t.clock.now += 1; // the window has passed
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: token } })).statusCode).toBe(200);
  });

  it('holds per signing key across addresses', async () => {
    t = await createTestApp({ env: { PARLEY_SIGNIN_RATE_LIMIT: '0', PARLEY_SIGNIN_RATE_LIMIT_PER_KEY: '2/1m' } });
    const token = await t.sign({ user: { id: 'a' } });
    const from = (remoteAddress: string) => t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: token }, remoteAddress });
    expect((await from('10.0.0.1')).statusCode).toBe(200);
    expect((await from('10.0.0.2')).statusCode).toBe(200);
    expect((await from('10.0.0.3')).statusCode).toBe(429);
    // A token naming another kid counts against that kid (and still fails verification on its own).
    const otherKid = await t.sign({ user: { id: 'a' } }, { kid: 'other' });
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: otherKid } })).json().error.code).toBe('token_invalid');
  });

  it('counts bad attempts too: guessing is limited like signing in', async () => {
    t = await createTestApp({ env: { PARLEY_SIGNIN_RATE_LIMIT: '2/1m', PARLEY_SIGNIN_RATE_LIMIT_PER_KEY: '0' } });
    for (let i = 0; i < 2; i++) expect((await openHostedPage(t.app, `/?externalAuthCode=bad-${i}`)).statusCode).toBe(401);
    expect((await openHostedPage(t.app, '/?externalAuthCode=bad-3')).statusCode).toBe(429);
  });

  it("limits the admin panel's one-time links too", async () => {
    t = await createTestApp({ env: { PARLEY_SIGNIN_RATE_LIMIT: '2/1m', PARLEY_SIGNIN_RATE_LIMIT_PER_KEY: '0' } });
    for (let i = 0; i < 2; i++) expect((await t.app.inject({ method: 'GET', url: `/admin/setup?token=${'x'.repeat(43)}` })).statusCode).toBe(404);
    const limited = await t.app.inject({ method: 'GET', url: `/admin/setup?token=${'x'.repeat(43)}` });
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBeDefined();
    expect(limited.body).toContain('data-code="rate_limited"');
  });

  it('requests that name no key share no key bucket (nobody can exhaust one for everybody)', async () => {
    t = await createTestApp({ env: { PARLEY_SIGNIN_RATE_LIMIT: '0', PARLEY_SIGNIN_RATE_LIMIT_PER_KEY: '2/1m' } });
    const creds = await t.app.services.apiCredentials.create('x', t.clock.now);
    for (let i = 0; i < 5; i++) {
      const res = await t.app.inject({ method: 'POST', url: '/v2/auth/generate_token', headers: { 'x-api-key': creds.apiKey, 'x-auth-token': creds.authToken }, payload: { userId: `u${i}` }, remoteAddress: `10.1.0.${i}` });
      expect(res.statusCode).toBe(200);
    }
    const kidless = craftToken({ alg: 'HS256' }, { user: { id: 'a' }, exp: Math.floor(t.clock.now / 1000) + 600 }, TEST_SECRET);
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: kidless }, remoteAddress: '10.2.0.1' });
    expect(res.statusCode).toBe(200);
  });
});
