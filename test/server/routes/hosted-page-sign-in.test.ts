import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { craftToken } from '../../helpers/jwt.js';
import { openHostedPage } from '../../helpers/hosted-page.js';

let t: TestApp;
beforeEach(async () => {
  t = await createTestApp();
});
afterEach(async () => {
  await t.close();
});

const sessionCookie = (res: { cookies: { name: string; value: string }[] }) => res.cookies.find((c) => c.name === 'parley_session');

describe('GET /?externalAuthCode=… (hosted page)', () => {
  it('signs in, sets the session cookie and answers 303 to the same URL without the code', async () => {
    const token = await t.sign({ user: { id: 'alice', name: 'Alice' } });
    const res = await t.app.inject({ method: 'GET', url: `/?externalAuthCode=${token}` });
    expect(res.statusCode).toBe(303);
    expect(res.headers['location']).toBe('/');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['cache-control']).toBe('no-store');
    const cookie = res.cookies.find((c) => c.name === 'parley_session')!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expect((cookie as { secure?: boolean }).secure).toBeUndefined();

    const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', cookies: { parley_session: cookie.value } });
    expect(me.statusCode).toBe(200);
    expect(me.json().user).toMatchObject({ externalId: 'alice', name: 'Alice', role: 'member', organizationId: 'default' });
  });

  it('works on any page path and keeps the other parameters', async () => {
    const token = await t.sign({ user: { id: 'alice' } });
    const res = await t.app.inject({ method: 'GET', url: `/some/page?tab=2&externalAuthCode=${token}&x=y` });
    expect(res.statusCode).toBe(303);
    expect(res.headers['location']).toBe('/some/page?tab=2&x=y');
  });

  it('keeps the parameters after a code that comes first, and drops a code that is the only one', async () => {
    const token = await t.sign({ user: { id: 'alice' } });
    const first = await t.app.inject({ method: 'GET', url: `/p?externalAuthCode=${token}&tab=2` });
    expect(first.headers['location']).toBe('/p?tab=2');
    const only = await t.app.inject({ method: 'GET', url: `/p/q?externalAuthCode=${token}` });
    expect(only.headers['location']).toBe('/p/q');
  });

  it('never redirects off-site from a protocol-relative path', async () => {
    const token = await t.sign({ user: { id: 'alice' } });
    const res = await t.app.inject({ method: 'GET', url: `//evil.example/?externalAuthCode=${token}` });
    expect(res.statusCode).toBe(303);
    expect(res.headers['location']).toBe('/evil.example/');
  });

  it('gives a fresh session id on every sign-in', async () => {
    const token = await t.sign({ user: { id: 'alice' } });
    const a = sessionCookie(await t.app.inject({ method: 'GET', url: `/?externalAuthCode=${token}` }))!.value;
    const b = sessionCookie(await t.app.inject({ method: 'GET', url: `/?externalAuthCode=${token}`, cookies: { parley_session: a } }))!.value;
    expect(a).not.toBe(b);
  });

  it('marks the cookie Secure under https', async () => {
    await t.close();
    t = await createTestApp({ env: { PUBLIC_URL: 'https://chat.example.com' } });
    const res = await t.app.inject({ method: 'GET', url: `/?externalAuthCode=${await t.sign({ user: { id: 'a' } })}` });
    expect(sessionCookie(res)).toMatchObject({ secure: true, httpOnly: true, sameSite: 'Lax' });
  });

  it.each([
    ['token_invalid', 401, async () => 'not-a-token'],
    ['token_invalid', 401, async () => `${await t.sign({ user: { id: 'a' } })},${await t.sign({ user: { id: 'b' } })}`],
    ['token_expired', 401, async () => t.sign({ user: { id: 'a' } }, { iat: Math.floor(t.clock.now / 1000) - 7200, expiresIn: 3600 })],
    ['user_not_found', 401, async () => t.sign({ id: 'usr_nobody' })],
    ['token_missing', 401, async () => ''],
  ])('lands without the code on the %s page with status %i', async (code, status, make) => {
    const redirect = await t.app.inject({ method: 'GET', url: `/?externalAuthCode=${encodeURIComponent(await make())}` });
    expect([redirect.statusCode, redirect.headers['location']]).toEqual([303, '/']);
    const res = await openHostedPage(t.app, `/?externalAuthCode=${encodeURIComponent(await make())}`);
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.body).toContain(`data-code="${code}"`);
    expect(sessionCookie(res)).toBeUndefined();
  });

  it('a repeated externalAuthCode parameter is token_invalid', async () => {
    const token = await t.sign({ user: { id: 'a' } });
    const res = await openHostedPage(t.app, `/?externalAuthCode=${token}&externalAuthCode=${token}`);
    expect(res.statusCode).toBe(401);
    expect(res.body).toContain('data-code="token_invalid"');
  });

  it('the seat_limit_reached page says the instance is full and to contact the administrator', async () => {
    await t.close();
    t = await createTestApp({ env: { PARLEY_SEAT_LIMIT: '1' } });
    await t.app.inject({ method: 'GET', url: `/?externalAuthCode=${await t.sign({ user: { id: 'first' } })}` });
    const res = await openHostedPage(t.app, `/?externalAuthCode=${await t.sign({ user: { id: 'second' } })}`);
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('This chat is full');
    expect(res.body).toContain('Contact your administrator');
    expect(res.body).toContain('data-code="seat_limit_reached"');
  });

  it('external_auth_disabled (403) when no key is configured', async () => {
    await t.close();
    t = await createTestApp({ env: { PARLEY_EXTERNAL_AUTH_SECRET: '' } });
    const res = await openHostedPage(t.app, `/?externalAuthCode=${await t.sign({ user: { id: 'a' } })}`);
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('data-code="external_auth_disabled"');
  });

  it('serves the chat page with a strict CSP when there is no code', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.body).toMatch(/<script type="module" src="\/assets\/page-[A-Z0-9]{8}\.js"><\/script>/);
  });

  it('never logs a token, good or bad', async () => {
    const good = await t.sign({ user: { id: 'alice' } });
    const expired = await t.sign({ user: { id: 'bob' } }, { iat: Math.floor(t.clock.now / 1000) - 7200 });
    const forged = craftToken({ alg: 'HS256' }, { user: { id: 'eve' }, exp: 9e9 }, 'wrong-secret-wrong-secret-wrong-secret');
    const tokens = [good, expired, forged, 'garbage.token.value'];
    for (const token of tokens) {
      await t.app.inject({ method: 'GET', url: `/chat?externalAuthCode=${token}` });
      await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: token } });
    }
    const exchange = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: good } });
    const session = exchange.json().session.token as string;
    await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${session}` } });
    const all = t.logs.join('\n');
    expect(t.logs.length).toBeGreaterThan(10);
    expect(all).toContain('[redacted]');
    for (const token of [...tokens, session]) {
      for (const part of token.split('.')) if (part.length > 8) expect(all).not.toContain(part);
    }
  });
});
