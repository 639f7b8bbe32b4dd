import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../../server/src/app.js';
import { loadConfig } from '../../../server/src/config.js';
import { DEFAULT_MESSAGES } from '../../../server/src/errors.js';
import { createKeyRepository } from '../../../server/src/store/keys.js';
import type { ErrorCode } from '#shared/errors.js';
import { createTestApp, PUBLIC_URL, TEST_SECRET, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';

type App = TestApp['app'];
type Reply = Awaited<ReturnType<App['inject']>>;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Changes that reach a running instance from outside its own request path: the CLI or another instance
 * committing to the same database (over another connection), logout, and the admin path. Each answer is
 * checked exactly, so a cache that answers what the database no longer holds fails here.
 */
describe.each(DIALECTS)('changes made elsewhere reach sign-in and sessions, on %s', (dialect) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ dialect });
  });
  afterEach(async () => {
    await t.close();
  });

  const exchangeOn = (app: App, externalAuthCode: string) => app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode } });
  const exchange = (externalAuthCode: string) => exchangeOn(t.app, externalAuthCode);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const meOn = (app: App, token: string) => app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(token) });
  const me = (token: string) => meOn(t.app, token);
  const expectError = (res: Reply, status: number, code: ErrorCode) => {
    expect([res.statusCode, res.json()]).toEqual([status, { error: { code, message: DEFAULT_MESSAGES.get(code) } }]);
  };
  /** Signs alice in; answers her session token and account id. */
  async function signIn(externalId = 'alice'): Promise<{ token: string; userId: string }> {
    const res = await exchange(await t.sign({ user: { id: externalId, email: `${externalId}@example.com` } }));
    expect(res.statusCode).toBe(200);
    const body = res.json();
    return { token: body.session.token, userId: body.user.id };
  }
  /** A second instance on the same database over its own connection, as another server process has. */
  async function secondInstance(): Promise<App> {
    const app = await buildApp({
      config: loadConfig({ PUBLIC_URL, PARLEY_EXTERNAL_AUTH_SECRET: TEST_SECRET, PARLEY_SEAT_LIMIT: '50', PARLEY_SIGNIN_RATE_LIMIT: '0', PARLEY_SIGNIN_RATE_LIMIT_PER_KEY: '0' }),
      store: await t.db.elsewhere(),
      now: () => t.clock.now,
    });
    await app.ready();
    return app;
  }

  it('a stored key retired elsewhere stops the very token it verified before', async () => {
    const key = await t.app.services.keys.create(t.clock.now);
    // The HMAC key is the UTF-8 bytes of the secret string, as shown to the integrator.
    const token = await t.sign({ user: { id: 'alice' } }, { secret: key.secret, kid: key.kid });
    const envToken = await t.sign({ user: { id: 'alice' } });
    // Twice: the second answer comes from the verified-token cache.
    expect((await exchange(token)).statusCode).toBe(200);
    expect((await exchange(token)).statusCode).toBe(200);

    const elsewhere = await t.db.elsewhere();
    await elsewhere.db.updateTable('auth_keys').set({ retired_at: t.clock.now }).where('kid', '=', key.kid).execute();
    await nextTurn();
    expectError(await exchange(token), 401, 'token_invalid');
    expectError(await exchange(token), 401, 'token_invalid');
    // Only that key: the environment's still signs in.
    expect((await exchange(envToken)).statusCode).toBe(200);
  });

  it('a key retired through the admin API stops the very token at once', async () => {
    const { userId } = await signIn('the-owner');
    await t.app.services.users.setRole(userId, 'owner');
    const owner = bearer((await signIn('the-owner')).token);
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/admin/keys', headers: owner });
    expect(created.statusCode).toBe(201);
    const { kid, secret } = created.json() as { kid: string; secret: string };
    const token = await t.sign({ user: { id: 'alice' } }, { secret, kid });
    expect((await exchange(token)).statusCode).toBe(200);
    expect((await exchange(token)).statusCode).toBe(200);
    const retired = await t.app.inject({ method: 'POST', url: `/api/v1/admin/keys/${kid}/retire`, headers: owner });
    expect(retired.statusCode).toBe(200);
    expectError(await exchange(token), 401, 'token_invalid');
  });

  it('a key created elsewhere signs in here', async () => {
    // A sign-in first, so the (empty) list of stored keys has been read and could be remembered.
    expect((await exchange(await t.sign({ user: { id: 'alice' } }))).statusCode).toBe(200);
    const key = await createKeyRepository(await t.db.elsewhere()).create(t.clock.now);
    const token = await t.sign({ user: { id: 'alice' } }, { secret: key.secret, kid: key.kid });
    await nextTurn();
    expect((await exchange(token)).statusCode).toBe(200);
  });

  it('an account deactivated elsewhere loses its session and cannot sign in again', async () => {
    const alice = await signIn();
    const bob = await signIn('bob');
    // Read once, so the account is in memory where caches are on.
    expect((await me(alice.token)).statusCode).toBe(200);

    const elsewhere = await t.db.elsewhere();
    await elsewhere.db.updateTable('users').set({ active: 0 }).where('id', '=', alice.userId).execute();
    await nextTurn();
    expectError(await me(alice.token), 403, 'user_deactivated');
    expectError(await exchange(await t.sign({ user: { id: 'alice' } })), 403, 'user_deactivated');
    expectError(await exchange(await t.sign({ id: alice.userId })), 403, 'user_deactivated');
    expectError(await exchange(await t.sign({ email: 'alice@example.com' })), 403, 'user_deactivated');
    // Another account is untouched.
    expect((await me(bob.token)).statusCode).toBe(200);
  });

  it('sessions ended elsewhere (the session epoch moved on) end here; a new sign-in works', async () => {
    const alice = await signIn();
    expect((await me(alice.token)).statusCode).toBe(200);
    const elsewhere = await t.db.elsewhere();
    await elsewhere.db.updateTable('users').set((eb) => ({ session_epoch: eb('session_epoch', '+', 1) })).where('id', '=', alice.userId).execute();
    await nextTurn();
    expectError(await me(alice.token), 401, 'session_invalid');
    const again = await signIn();
    expect((await me(again.token)).statusCode).toBe(200);
  });

  it('logout ends that session only, not another session of the same account', async () => {
    const first = await signIn();
    const second = await signIn();
    expect(second.userId).toBe(first.userId);
    expect(second.token).not.toBe(first.token);
    expect((await me(first.token)).statusCode).toBe(200);
    expect((await me(second.token)).statusCode).toBe(200);

    const out = await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer(first.token) });
    expect([out.statusCode, out.body]).toEqual([204, '']);
    expectError(await me(first.token), 401, 'session_invalid');
    const still = await me(second.token);
    expect(still.statusCode).toBe(200);
    expect(still.json().user.id).toBe(first.userId);
    // Logging out again is harmless and changes nothing for the other session.
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer(first.token) })).statusCode).toBe(204);
    expect((await me(second.token)).statusCode).toBe(200);
  });

  it('a logout on another instance ends the session here too', async () => {
    const other = await secondInstance();
    try {
      const first = await signIn();
      const second = await signIn();
      // The other instance shares the session key through the database.
      expect((await meOn(other, first.token)).statusCode).toBe(200);
      expect((await me(first.token)).statusCode).toBe(200);
      expect((await other.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer(first.token) })).statusCode).toBe(204);
      await nextTurn();
      expectError(await me(first.token), 401, 'session_invalid');
      expectError(await meOn(other, first.token), 401, 'session_invalid');
      expect((await me(second.token)).statusCode).toBe(200);
    } finally {
      await other.close();
    }
  });

  it('deactivation by an administrator ends every session; after reactivation a new sign-in works and the old sessions stay ended', async () => {
    const { userId: ownerId } = await signIn('the-owner');
    await t.app.services.users.setRole(ownerId, 'owner');
    const owner = bearer((await signIn('the-owner')).token);
    const one = await signIn();
    const two = await signIn();
    expect((await me(one.token)).statusCode).toBe(200);
    expect((await me(two.token)).statusCode).toBe(200);

    const deactivated = await t.app.inject({ method: 'POST', url: `/api/v1/admin/users/${one.userId}/deactivate`, headers: owner });
    expect(deactivated.statusCode).toBe(200);
    expect(deactivated.json().user).toMatchObject({ id: one.userId, active: false });
    // Ended, and saying why; once reactivated, the old sessions are merely ended.
    expectError(await me(one.token), 403, 'user_deactivated');
    expectError(await me(two.token), 403, 'user_deactivated');
    expectError(await exchange(await t.sign({ user: { id: 'alice' } })), 403, 'user_deactivated');

    const reactivated = await t.app.inject({ method: 'POST', url: `/api/v1/admin/users/${one.userId}/reactivate`, headers: owner });
    expect(reactivated.statusCode).toBe(200);
    expect(reactivated.json().user).toMatchObject({ id: one.userId, active: true });
    expectError(await me(one.token), 401, 'session_invalid');
    expectError(await me(two.token), 401, 'session_invalid');
    const back = await signIn();
    expect(back.userId).toBe(one.userId);
    const meBack = await me(back.token);
    expect(meBack.statusCode).toBe(200);
    expect(meBack.json().user.id).toBe(one.userId);
    // The owner's own session was never touched.
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: owner })).statusCode).toBe(200);
  });

  it('deactivation by an administrator on another instance ends the sessions here', async () => {
    const other = await secondInstance();
    try {
      const { userId: ownerId } = await signIn('the-owner');
      await t.app.services.users.setRole(ownerId, 'owner');
      const owner = bearer((await signIn('the-owner')).token);
      const alice = await signIn();
      expect((await me(alice.token)).statusCode).toBe(200);
      const deactivated = await other.inject({ method: 'POST', url: `/api/v1/admin/users/${alice.userId}/deactivate`, headers: owner });
      expect(deactivated.statusCode).toBe(200);
      await nextTurn();
      expectError(await me(alice.token), 403, 'user_deactivated');
      expectError(await exchange(await t.sign({ user: { id: 'alice' } })), 403, 'user_deactivated');
      // Reactivated there: a new sign-in works here, the old session stays ended.
      expect((await other.inject({ method: 'POST', url: `/api/v1/admin/users/${alice.userId}/reactivate`, headers: owner })).statusCode).toBe(200);
      await nextTurn();
      expectError(await me(alice.token), 401, 'session_invalid');
      const back = await signIn();
      expect((await me(back.token)).statusCode).toBe(200);
    } finally {
      await other.close();
    }
  });
});
