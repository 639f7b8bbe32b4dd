/**
 * The widget's sign-in (widget/src/embed/session.ts): the exchange, and the auth provider's refresh when a
 * token expires: one call at a time, backoff between failures (an injected sleep), a limit after which it
 * stops and says so through onError, and never a call after logout. The network is a fake fetch.
 */
import { describe, expect, it, vi } from 'vitest';
import { createSession, type AuthProvider, type SessionOptions, type SessionState } from '../../widget/src/embed/session.js';
import { createFakeFetch, deferred, errorResponse, exchangeOk, TEST_USER, type FakeFetch } from '../helpers/widget-fakes.js';

const BASE = 'https://parley.test';
const EXCHANGE = 'POST /api/v1/auth/exchange';

/** An exchange that answers by code: `good-*` signs in (session `s-<code>`), anything else is expired. */
function exchangeByCode(fake: FakeFetch) {
  fake.on(EXCHANGE, (request) => {
    const code = (request.body as { externalAuthCode: string }).externalAuthCode;
    return code.startsWith('good-') ? exchangeOk(`s-${code}`) : errorResponse(401, 'token_expired');
  });
}

function setup(options: Partial<SessionOptions> = {}) {
  const fake = createFakeFetch();
  exchangeByCode(fake);
  const errors: { code: string; message: string }[] = [];
  const log: string[] = [];
  const sleep = vi.fn(async (ms: number) => {
    log.push(`sleep ${ms}`);
  });
  const session = createSession({ baseUrl: BASE, fetch: fake.fetch, sleep, onError: (e) => errors.push(e), ...options });
  const states: SessionState['status'][] = [];
  session.subscribe((s) => states.push(s.status));
  return { fake, session, errors, log, sleep, states };
}

/** A provider whose answers the test scripts, logging each call. */
function scriptedProvider(log: string[], answers: (() => Promise<string> | string)[]): AuthProvider & { calls: number } {
  const provider = {
    calls: 0,
    generateToken() {
      const answer = answers[provider.calls] ?? answers[answers.length - 1]!;
      provider.calls++;
      log.push(`generateToken ${provider.calls}`);
      return answer();
    },
  };
  return provider;
}

describe('createSession', () => {
  it('exchanges the code in a POST body (never the URL), without credentials, and keeps the token in memory', async () => {
    const { fake, session, states, errors } = setup();
    expect(session.state).toEqual({ status: 'idle' });
    await expect(session.signIn('good-1')).resolves.toBe(true);
    expect(session.state).toEqual({ status: 'signed-in', token: 's-good-1', user: TEST_USER });
    expect(states).toEqual(['signing-in', 'signed-in']);
    expect(errors).toEqual([]);
    const [request] = fake.to(EXCHANGE);
    expect(request!.url).toBe(`${BASE}/api/v1/auth/exchange`);
    expect(request!.body).toEqual({ externalAuthCode: 'good-1' });
    expect(request!.credentials).toBe('omit');
    expect(request!.headers['content-type']).toBe('application/json');
    expect(fake.requests.every((r) => !r.url.includes('good-1'))).toBe(true);
  });

  it('reports a refused code through onError and the state, with the server’s code and message', async () => {
    const { fake, session, errors } = setup();
    fake.on(EXCHANGE, () => errorResponse(403, 'seat_limit_reached', 'Every seat is taken.'));
    await expect(session.signIn('any')).resolves.toBe(false);
    expect(session.state).toEqual({ status: 'error', code: 'seat_limit_reached', message: 'Every seat is taken.', retrying: false });
    expect(errors).toEqual([{ code: 'seat_limit_reached', message: 'Every seat is taken.' }]);
  });

  it('says network_error when Parley cannot be reached and internal_error for an answer without a code, trying the same code again with backoff', async () => {
    const { fake, session, errors, log } = setup();
    fake.on(EXCHANGE, () => Promise.reject(new TypeError('Failed to fetch')));
    await expect(session.signIn('good-1')).resolves.toBe(false);
    expect(fake.to(EXCHANGE)).toHaveLength(5);
    expect(log).toEqual(['sleep 1000', 'sleep 2000', 'sleep 4000', 'sleep 8000']);
    // The first failure (retrying) and giving up: not one event per attempt.
    expect(errors.map((e) => e.code)).toEqual(['network_error', 'network_error']);
    expect(session.state).toMatchObject({ status: 'error', code: 'network_error', retrying: false });
    // A proxy's HTML error page: no JSON, no code.
    fake.on(EXCHANGE, () => ({ status: 502, ok: false, body: null, json: () => Promise.reject(new SyntaxError('Unexpected token <')) }) as unknown as Response);
    await session.signIn('good-1');
    expect(errors.map((e) => e.code)).toEqual(['network_error', 'network_error', 'internal_error', 'internal_error']);
    expect(session.state).toMatchObject({ status: 'error', code: 'internal_error', message: 'HTTP 502', retrying: false });
  });

  it('a database briefly down (503 database_unavailable) signs in with the same code once it is back', async () => {
    const { fake, session, errors, log, states } = setup();
    let calls = 0;
    fake.on(EXCHANGE, () => (++calls <= 2 ? errorResponse(503, 'database_unavailable', 'The database is unavailable.') : exchangeOk('s-good-1')));
    await expect(session.signIn('good-1')).resolves.toBe(true);
    expect(fake.to(EXCHANGE).map((r) => r.body)).toEqual([{ externalAuthCode: 'good-1' }, { externalAuthCode: 'good-1' }, { externalAuthCode: 'good-1' }]);
    expect(log).toEqual(['sleep 1000', 'sleep 2000']);
    expect(errors).toEqual([{ code: 'database_unavailable', message: 'The database is unavailable.' }]);
    expect(states).toEqual(['signing-in', 'error', 'error', 'signed-in']);
    expect(session.state).toMatchObject({ status: 'signed-in', token: 's-good-1' });
  });

  it('an expired code without a provider fails for good: token_expired, not retrying', async () => {
    const { session, errors } = setup();
    await expect(session.signIn('old')).resolves.toBe(false);
    expect(session.state).toMatchObject({ status: 'error', code: 'token_expired', retrying: false });
    expect(errors.map((e) => e.code)).toEqual(['token_expired']);
  });

  it('an expired code with a provider: token_expired is reported (retrying), then a fresh code signs in', async () => {
    const { fake, session, errors, log, states } = setup();
    const provider = scriptedProvider(log, [() => 'good-fresh']);
    session.setAuthProvider(provider);
    await expect(session.signIn('old')).resolves.toBe(true);
    expect(errors).toEqual([{ code: 'token_expired', message: 'token_expired (test)' }]);
    expect(states).toEqual(['signing-in', 'error', 'signed-in']);
    expect(session.state).toMatchObject({ status: 'signed-in', token: 's-good-fresh' });
    expect(fake.to(EXCHANGE).map((r) => (r.body as { externalAuthCode: string }).externalAuthCode)).toEqual(['old', 'good-fresh']);
    expect(provider.calls).toBe(1);
  });

  it('asks the provider once when two expiries race, and both callers get the outcome', async () => {
    const { fake, session, log } = setup();
    const answer = deferred<string>();
    const provider = scriptedProvider(log, [() => answer.promise]);
    session.setAuthProvider(provider);
    await session.signIn('good-0');

    const first = session.sessionExpired();
    const second = session.sessionExpired();
    await Promise.resolve();
    expect(provider.calls).toBe(1);
    expect(session.state).toMatchObject({ status: 'error', code: 'token_expired', retrying: true });
    answer.resolve('good-1');
    await expect(Promise.all([first, second])).resolves.toEqual([true, true]);
    expect(provider.calls).toBe(1);
    expect(fake.to(EXCHANGE)).toHaveLength(2); // the first sign-in and one refresh
    expect(session.state).toMatchObject({ status: 'signed-in', token: 's-good-1' });

    // Once settled, a later expiry asks again.
    const again = deferred<string>();
    const later = scriptedProvider(log, [() => again.promise]);
    session.setAuthProvider(later);
    const third = session.sessionExpired();
    again.resolve('good-2');
    await expect(third).resolves.toBe(true);
    expect(later.calls).toBe(1);
  });

  it('backs off between failures (1 s, 2 s, …) with the injected sleep, and only between them', async () => {
    const { session, log, errors } = setup();
    const provider = scriptedProvider(log, [
      () => Promise.reject(new Error('backend down')),
      () => 'expired-too',
      () => '',
      () => 'good-at-last',
    ]);
    session.setAuthProvider(provider);
    await expect(session.sessionExpired()).resolves.toBe(true);
    expect(log).toEqual(['generateToken 1', 'sleep 1000', 'generateToken 2', 'sleep 2000', 'generateToken 3', 'sleep 4000', 'generateToken 4']);
    expect(session.state).toMatchObject({ status: 'signed-in', token: 's-good-at-last' });
    expect(errors.map((e) => e.code)).toEqual(['token_expired']);
  });

  it('gives up after maxRefreshAttempts and says so through onError', async () => {
    const { session, log, errors, fake } = setup({ maxRefreshAttempts: 3 });
    const provider = scriptedProvider(log, [() => Promise.reject(new Error('nope')), () => 'expired-again']);
    session.setAuthProvider(provider);
    await expect(session.sessionExpired()).resolves.toBe(false);
    expect(provider.calls).toBe(3);
    expect(log).toEqual(['generateToken 1', 'sleep 1000', 'generateToken 2', 'sleep 2000', 'generateToken 3']);
    expect(fake.to(EXCHANGE)).toHaveLength(2);
    expect(errors).toEqual([
      { code: 'token_expired', message: 'The session has expired.' },
      { code: 'token_expired', message: 'gave up refreshing the token' },
    ]);
    expect(session.state).toEqual({ status: 'error', code: 'token_expired', message: 'gave up refreshing the token', retrying: false, reason: 'gave_up' });
  });

  it('stops refreshing at once on a refusal no retry can fix (e.g. user_deactivated)', async () => {
    const { session, log, errors, fake } = setup();
    fake.on(EXCHANGE, () => errorResponse(403, 'user_deactivated', 'Deactivated.'));
    const provider = scriptedProvider(log, [() => 'good-1']);
    session.setAuthProvider(provider);
    await expect(session.sessionExpired()).resolves.toBe(false);
    expect(provider.calls).toBe(1);
    expect(log).toEqual(['generateToken 1']);
    expect(errors.map((e) => e.code)).toEqual(['token_expired', 'user_deactivated']);
    expect(session.state).toMatchObject({ status: 'error', code: 'user_deactivated', retrying: false });
  });

  describe('never calls the provider after logout', () => {
    it('an expiry after logout asks nothing and reports nothing', async () => {
      const { session, log, errors, fake } = setup();
      const provider = scriptedProvider(log, [() => 'good-2']);
      session.setAuthProvider(provider);
      await session.signIn('good-1');
      await session.logout();
      expect(session.state).toEqual({ status: 'signed-out' });
      const [logout] = fake.to('POST /api/v1/auth/logout');
      expect(logout!.headers['authorization']).toBe('Bearer s-good-1');
      expect(logout!.credentials).toBe('omit');
      await expect(session.sessionExpired()).resolves.toBe(false);
      expect(provider.calls).toBe(0);
      expect(errors).toEqual([]);
      expect(session.state).toEqual({ status: 'signed-out' });
    });

    it('a logout during the backoff ends the refresh before the next call', async () => {
      const nap = deferred<void>();
      const { session, log } = setup({ sleep: () => nap.promise });
      const provider = scriptedProvider(log, [() => Promise.reject(new Error('down'))]);
      session.setAuthProvider(provider);
      const refreshing = session.sessionExpired();
      await vi.waitFor(() => expect(provider.calls).toBe(1), { timeout: 1000, interval: 5 });
      await session.logout();
      nap.resolve();
      await expect(refreshing).resolves.toBe(false);
      expect(provider.calls).toBe(1);
      expect(session.state).toEqual({ status: 'signed-out' });
    });

    it('a code the provider returns after logout is never exchanged', async () => {
      const { session, log, fake } = setup();
      const answer = deferred<string>();
      const provider = scriptedProvider(log, [() => answer.promise]);
      session.setAuthProvider(provider);
      const refreshing = session.sessionExpired();
      await session.logout();
      answer.resolve('good-late');
      await expect(refreshing).resolves.toBe(false);
      expect(fake.to(EXCHANGE)).toEqual([]);
      expect(session.state).toEqual({ status: 'signed-out' });
    });

    it('a sign-in answer that arrives after logout is dropped', async () => {
      const { session, fake } = setup();
      const answer = deferred<Response>();
      fake.on(EXCHANGE, () => answer.promise);
      const signingIn = session.signIn('good-1');
      await session.logout();
      answer.resolve(exchangeOk('s-late'));
      await expect(signingIn).resolves.toBe(false);
      expect(session.state).toEqual({ status: 'signed-out' });
    });
  });

  it('a newer sign-in wins over an older one whose answer arrives later', async () => {
    const fake = createFakeFetch();
    const slow = deferred<Response>();
    fake.on(EXCHANGE, (request) => ((request.body as { externalAuthCode: string }).externalAuthCode === 'good-A' ? slow.promise : exchangeOk('s-good-B')));
    const session = createSession({ baseUrl: BASE, fetch: fake.fetch, sleep: async () => undefined });
    const first = session.signIn('good-A');
    await session.signIn('good-B');
    slow.resolve(exchangeOk('s-good-A'));
    await expect(first).resolves.toBe(false);
    expect(session.state).toMatchObject({ status: 'signed-in', token: 's-good-B' });
  });

  it('a late 401 for a session already renewed is ignored', async () => {
    const { session, errors } = setup();
    const log: string[] = [];
    session.setAuthProvider(scriptedProvider(log, [() => 'good-2']));
    await session.signIn('good-1');
    await session.sessionExpired('s-good-1');
    expect(session.state).toMatchObject({ status: 'signed-in', token: 's-good-2' });
    await expect(session.sessionExpired('s-good-1')).resolves.toBe(false);
    expect(session.state).toMatchObject({ status: 'signed-in', token: 's-good-2' });
    expect(log).toEqual(['generateToken 1']);
    expect(errors.map((e) => e.code)).toEqual(['token_expired']);
  });

  it('after a logout in the middle of a refresh, the next person\'s refresh starts afresh', async () => {
    const { session } = setup();
    const log: string[] = [];
    const hanging = deferred<string>();
    session.setAuthProvider(scriptedProvider(log, [() => hanging.promise, () => 'good-next']));
    await session.signIn('good-1');
    void session.sessionExpired('s-good-1');
    await session.logout();
    const next = session.signIn('expired-code');
    hanging.resolve('good-old');
    await expect(next).resolves.toBe(true);
    expect(session.state).toMatchObject({ status: 'signed-in', token: 's-good-next' });
    expect(log).toEqual(['generateToken 1', 'generateToken 2']);
  });

  it('asking the provider for the first code (no code on the page) is no error', async () => {
    const { session, errors, states } = setup();
    session.setAuthProvider(scriptedProvider([], [() => 'good-first']));
    await expect(session.startFromProvider()).resolves.toBe(true);
    expect(errors).toEqual([]);
    expect(states).toEqual(['signing-in', 'signed-in']);
  });
});
