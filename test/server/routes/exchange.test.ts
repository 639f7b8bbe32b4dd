import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, PUBLIC_URL, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';

describe.each(DIALECTS)('sign-in by exchange on %s', (dialect) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ dialect });
  });
  afterEach(async () => {
    await t.close();
  });

  const exchange = (externalAuthCode: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode } as object, headers });
  const expectError = (res: { statusCode: number; json(): unknown }, status: number, code: string) => {
    expect(res.statusCode).toBe(status);
    expect(res.json()).toEqual({ error: { code, message: expect.any(String) } });
  };

  it('answers the session and the user, creating the account on first use', async () => {
    const res = await exchange(await t.sign({ user: { id: 'alice', email: 'Alice@Example.com', name: 'Alice', plan: 'pro' } }));
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json();
    expect(body.session).toEqual({ token: expect.stringMatching(/^pss_[A-Za-z0-9_-]{92}$/), expiresAt: '2026-11-21T12:00:00.000Z', fileToken: expect.stringMatching(/^pss_[A-Za-z0-9_-]{92}$/) });
    // The file token is no session token.
    expect(body.session.fileToken).not.toBe(body.session.token);
    expect(body.user).toEqual({
      id: expect.stringMatching(/^usr_/),
      externalId: 'alice',
      email: 'Alice@Example.com',
      name: 'Alice',
      avatarUrl: null,
      role: 'member',
      organizationId: 'default',
      createdAt: '2026-11-20T12:00:00.000Z',
    });
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${body.session.token}` } });
    expect(me.json()).toEqual({ user: body.user, session: { expiresAt: body.session.expiresAt } });
    const row = await t.db.store.db.selectFrom('users').selectAll().where('external_id', '=', 'alice').executeTakeFirstOrThrow();
    expect(JSON.parse(row.metadata)).toEqual({ plan: 'pro' });
    expect(row.created_via).toBe('external_token');
  });

  it('a known user.id signs into the same account and its signed profile updates it', async () => {
    const first = (await exchange(await t.sign({ user: { id: 'alice', name: 'Alice' } }))).json().user;
    const second = (await exchange(await t.sign({ user: { id: 'alice', name: 'Alice Liddell', email: 'al@x.io' } }))).json().user;
    expect(second.id).toBe(first.id);
    expect(second).toMatchObject({ name: 'Alice Liddell', email: 'al@x.io' });
    const third = (await exchange(await t.sign({ user: { id: 'alice' } }))).json().user;
    expect(third).toMatchObject({ name: 'Alice Liddell', email: 'al@x.io' });
  });

  it('the id form signs into that Parley account and never creates one', async () => {
    const alice = (await exchange(await t.sign({ user: { id: 'alice' } }))).json().user;
    expect((await exchange(await t.sign({ id: alice.id, email: 'ignored@x.io' }))).json().user.id).toBe(alice.id);
    expectError(await exchange(await t.sign({ id: 'usr_unknown' })), 401, 'user_not_found');
  });

  it('the email form compares case-insensitively and never creates an account', async () => {
    const alice = (await exchange(await t.sign({ user: { id: 'alice', email: 'alice@example.com' } }))).json().user;
    expect((await exchange(await t.sign({ email: 'ALICE@example.COM' }))).json().user.id).toBe(alice.id);
    expectError(await exchange(await t.sign({ email: 'nobody@example.com' })), 401, 'user_not_found');
    const count = await t.db.store.db.selectFrom('users').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(1);
  });

  it('email_conflict: a new user.id with another account\'s email creates nothing and merges nothing', async () => {
    await exchange(await t.sign({ user: { id: 'alice', email: 'shared@example.com' } }));
    expectError(await exchange(await t.sign({ user: { id: 'mallory', email: 'SHARED@example.com' } })), 409, 'email_conflict');
    expect(await t.db.store.db.selectFrom('users').select('external_id').execute()).toEqual([{ external_id: 'alice' }]);
    await exchange(await t.sign({ user: { id: 'bob', email: 'bob@example.com' } }));
    expectError(await exchange(await t.sign({ user: { id: 'bob', email: 'shared@example.com' } })), 409, 'email_conflict');
  });

  it('user_deactivated for a deactivated account, in every form', async () => {
    const alice = (await exchange(await t.sign({ user: { id: 'alice', email: 'a@x.io' } }))).json();
    await t.app.services.users.setActive(alice.user.id, false);
    expectError(await exchange(await t.sign({ user: { id: 'alice' } })), 403, 'user_deactivated');
    expectError(await exchange(await t.sign({ id: alice.user.id })), 403, 'user_deactivated');
    expectError(await exchange(await t.sign({ email: 'a@x.io' })), 403, 'user_deactivated');
    // Existing sessions end too, saying why (the widget then tells the person their account was deactivated).
    expectError(await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${alice.session.token}` } }), 403, 'user_deactivated');
  });

  it('stored keys sign in alongside the env key, and a retired key stops working at once', async () => {
    const key = await t.app.services.keys.create(t.clock.now);
    const secret = new TextEncoder().encode(key.secret);
    const signedWithStored = await t.sign({ user: { id: 'alice' } }, { secret, kid: key.kid });
    expect((await exchange(signedWithStored)).statusCode).toBe(200);
    expect((await exchange(await t.sign({ user: { id: 'alice' } }))).statusCode).toBe(200);
    await t.app.services.keys.retire(key.kid, t.clock.now);
    expectError(await exchange(signedWithStored), 401, 'token_invalid');
    const row = await t.db.store.db.selectFrom('auth_keys').selectAll().where('kid', '=', key.kid).executeTakeFirstOrThrow();
    expect(row.last_used_at).toBe(t.clock.now);
  });

  it.each([
    ['RS256 header', () => 'eyJhbGciOiJSUzI1NiJ9.eyJ1c2VyIjp7ImlkIjoiYSJ9LCJleHAiOjk5OTk5OTk5OTl9.c2ln'],
    ['alg none', () => 'eyJhbGciOiJub25lIn0.eyJ1c2VyIjp7ImlkIjoiYSJ9LCJleHAiOjk5OTk5OTk5OTl9.'],
    ['two parts', () => 'eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyIjp7ImlkIjoiYSJ9fQ'],
  ])('token_invalid for %s', async (_name, make) => {
    expectError(await exchange(make()), 401, 'token_invalid');
  });

  it('token_missing for an empty code; bad_request for a body of the wrong shape', async () => {
    expectError(await exchange(''), 401, 'token_missing');
    expectError(await exchange({ token: 'x' }), 400, 'bad_request');
    expectError(await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: {} }), 401, 'token_missing');
    expectError(await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: '{"externalAuthCode":', headers: { 'content-type': 'application/json' } }), 400, 'bad_request');
    expectError(await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: 'x', headers: { 'content-type': 'text/plain' } }), 415, 'unsupported_media_type');
  });

  it('origin_not_allowed for an exchange from an origin outside the allowlist; CORS only for allowed origins', async () => {
    const token = await t.sign({ user: { id: 'alice' } });
    expectError(await exchange(token, { origin: 'https://evil.example' }), 403, 'origin_not_allowed');
    const ok = await exchange(token, { origin: PUBLIC_URL });
    expect(ok.statusCode).toBe(200);
    const preflight = await t.app.inject({
      method: 'OPTIONS',
      url: '/api/v1/me',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('logout ends the session: the next call is 401 session_invalid', async () => {
    const { session } = (await exchange(await t.sign({ user: { id: 'alice' } }))).json();
    const auth = { authorization: `Bearer ${session.token}` };
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: auth })).statusCode).toBe(204);
    expectError(await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: auth }), 401, 'session_invalid');
  });

  it('/me: session_missing without a session, session_invalid for an unknown or malformed one', async () => {
    expectError(await t.app.inject({ method: 'GET', url: '/api/v1/me' }), 401, 'session_missing');
    expectError(await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: 'Bearer pss_nope' } }), 401, 'session_invalid');
    expectError(await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: 'Basic abc' } }), 401, 'session_invalid');
    expectError(await t.app.inject({ method: 'GET', url: '/api/v1/me', cookies: { parley_session: 'x' } }), 401, 'session_invalid');
  });

  it('a session expires after 24 hours', async () => {
    const { session } = (await exchange(await t.sign({ user: { id: 'alice' } }))).json();
    t.clock.now += 24 * 3600 * 1000;
    expectError(await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${session.token}` } }), 401, 'session_invalid');
  });

  it('a cookie session cannot be used for a cross-site POST (CSRF)', async () => {
    const res = await t.app.inject({ method: 'GET', url: `/?externalAuthCode=${await t.sign({ user: { id: 'alice' } })}` });
    const cookie = res.cookies.find((c) => c.name === 'parley_session')!.value;
    const post = (origin?: string) =>
      t.app.inject({ method: 'POST', url: '/api/v1/conversations', payload: {}, cookies: { parley_session: cookie }, headers: origin ? { origin } : {} });
    expectError(await post('https://evil.example'), 403, 'csrf_rejected');
    expectError(await post(), 403, 'csrf_rejected');
    expect((await post(PUBLIC_URL)).statusCode).toBe(201);
  });

  it('a token whose header claims to be minted, on an instance that never minted, is token_invalid (external auth is on)', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'parley-mint+jwt' })).toString('base64url');
    for (const code of [`${header}.`, `${header}.e30`, `${header}.e30.AAAA`]) expectError(await exchange(code), 401, 'token_invalid');
  });

  it('deactivation ends the sessions in the same write that deactivates', async () => {
    const session = (await exchange(await t.sign({ user: { id: 'dora' } }))).json().session.token as string;
    const user = (await t.app.services.users.findByExternalId('dora'))!;
    await t.app.services.users.setActive(user.id, false);
    await t.app.services.users.setActive(user.id, true);
    expect((await t.app.services.users.findById(user.id))?.session_epoch).toBe(user.session_epoch + 1);
    expectError(await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${session}` } }), 401, 'session_invalid');
  });
});

describe.each(DIALECTS)('seat limit on %s', (dialect) => {
  it('100 concurrent first sign-ins against a limit of 10 create exactly 10 accounts', async () => {
    const t = await createTestApp({ dialect, env: { PARLEY_SEAT_LIMIT: '10' } });
    try {
      const tokens = await Promise.all(Array.from({ length: 100 }, (_, i) => t.sign({ user: { id: `user-${i}`, email: `user-${i}@x.io` } })));
      const results = await Promise.all(tokens.map((externalAuthCode) => t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode } })));
      const statuses = results.map((r) => (r.statusCode === 200 ? 'ok' : r.json().error.code));
      expect(statuses.filter((s) => s === 'ok')).toHaveLength(10);
      expect(statuses.filter((s) => s === 'seat_limit_reached')).toHaveLength(90);
      expect(await t.app.services.users.countActive()).toBe(10);
      // Existing accounts still sign in; deactivating one frees a seat.
      const again = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: tokens[statuses.indexOf('ok')] } });
      expect(again.statusCode).toBe(200);
      await t.app.services.users.setActive(again.json().user.id, false);
      const newcomer = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id: 'newcomer' } }) } });
      expect(newcomer.statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('the same new user signing in 20 times at once gets one account', async () => {
    const t = await createTestApp({ dialect });
    try {
      const token = await t.sign({ user: { id: 'alice', email: 'alice@x.io' } });
      const results = await Promise.all(Array.from({ length: 20 }, () => t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: token } })));
      expect(results.map((r) => (r.statusCode === 200 ? 200 : r.body))).toEqual(Array(20).fill(200));
      expect(new Set(results.map((r) => r.json().user.id)).size).toBe(1);
      expect(await t.app.services.users.countActive()).toBe(1);
    } finally {
      await t.close();
    }
  });

  it('lowering the limit below the current use blocks new accounts and locks nobody out', async () => {
    const t = await createTestApp({ dialect, env: { PARLEY_SEAT_LIMIT: '3' } });
    try {
      const tokens = await Promise.all(['a', 'b', 'c'].map((id) => t.sign({ user: { id } })));
      for (const externalAuthCode of tokens) {
        expect((await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode } })).statusCode).toBe(200);
      }
      // The configuration is frozen by design: a second app with the lower limit runs over the same database.
      expect(Object.isFrozen(t.config)).toBe(true);
      const { buildApp } = await import('../../../server/src/app.js');
      const { loadConfig } = await import('../../../server/src/config.js');
      const lowered = await buildApp({ config: loadConfig({ PARLEY_EXTERNAL_AUTH_SECRET: 'test-secret-that-is-at-least-32-bytes-long!', PARLEY_SEAT_LIMIT: '1' }), store: t.db.store, now: () => t.clock.now });
      for (const id of ['a', 'b', 'c']) {
        const res = await lowered.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id } }) } });
        expect(res.statusCode).toBe(200);
      }
      const blocked = await lowered.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id: 'd' } }) } });
      expect(blocked.json().error.code).toBe('seat_limit_reached');
      await lowered.close();
    } finally {
      await t.close();
    }
  });
});
