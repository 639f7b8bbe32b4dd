/**
 * Where the hosted-page sign-in sends the browser: only ever a path on Parley's own origin, whatever the
 * request target looked like, and never back to a URL that still holds the code, even when sign-in fails.
 */
import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { landingUrl } from '../../../server/src/routes/pages/sign-in-link.js';
import { createTestApp, type TestApp } from '../../helpers/app.js';

let t: TestApp;
beforeEach(async () => {
  t = await createTestApp();
});
afterEach(async () => {
  await t.close();
});

const ERROR_PAGE_CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'self'";

/** Sends one raw HTTP/1.1 request (the target exactly as written) and answers the status and headers. */
async function rawRequest(port: number, target: string): Promise<{ status: number; headers: Map<string, string[]> }> {
  const head = await new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(received));
    socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/html\r\nConnection: close\r\n\r\n`);
  });
  const [statusLine, ...lines] = head.slice(0, head.indexOf('\r\n\r\n')).split('\r\n');
  const headers = new Map<string, string[]>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine!)?.[1]), headers };
}

describe('an absolute-form request target (GET http://evil.example/phish?externalAuthCode=…)', () => {
  it('lands on the path on Parley\'s own origin, never on the host the target names', async () => {
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (t.app.server.address() as { port: number }).port;
    const token = await t.sign({ user: { id: 'alice' } });
    const cases: [string, string][] = [
      [`http://evil.example/phish?externalAuthCode=${token}`, '/phish'],
      [`https://evil.example/phish?tab=2&externalAuthCode=${token}`, '/phish?tab=2'],
      [`http://evil.example//evil2.example/x?externalAuthCode=${token}`, '/evil2.example/x'],
      [`http://evil.example/%5C%5Cevil2.example?externalAuthCode=${token}`, '/%5C%5Cevil2.example'],
    ];
    for (const [target, location] of cases) {
      const res = await rawRequest(port, target);
      expect([target, res.status, res.headers.get('location')]).toEqual([target, 303, [location]]);
      expect(res.headers.get('set-cookie')?.[0]).toMatch(/^parley_session=pss_[A-Za-z0-9_-]+; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Lax$/);
    }
    // A failed sign-in through such a target lands on the same own path.
    const failed = await rawRequest(port, 'http://evil.example/phish?externalAuthCode=not-a-token');
    expect([failed.status, failed.headers.get('location')]).toEqual([303, ['/phish']]);
  });

  it('landingUrl keeps only a path (and the other parameters) of any request target', () => {
    expect(landingUrl('http://evil.example/phish?externalAuthCode=x')).toBe('/phish');
    expect(landingUrl('http://evil.example?externalAuthCode=x')).toBe('/');
    expect(landingUrl('HTTP://evil.example:8080/a/b?x=1&externalAuthCode=x')).toBe('/a/b?x=1');
    expect(landingUrl('http://evil.example///evil2.example/?externalAuthCode=x')).toBe('/evil2.example/');
    expect(landingUrl('javascript:alert(1)//?externalAuthCode=x')).toBe('/');
    expect(landingUrl('*')).toBe('/');
    expect(landingUrl('/\\evil.example/?externalAuthCode=x')).toBe('/evil.example/');
    expect(landingUrl('//evil.example/?externalAuthCode=x')).toBe('/evil.example/');
    expect(landingUrl('/p?externalAuthCode=x&tab=2')).toBe('/p?tab=2');
  });
});

describe('a failed hosted-page sign-in', () => {
  const failureCookie = (res: { cookies: { name: string; value: string }[] }) => res.cookies.find((c) => c.name === 'parley_sign_in_error');

  it.each([
    ['token_invalid', 401, async () => 'not-a-token'],
    ['token_expired', 401, async () => t.sign({ user: { id: 'a' } }, { iat: Math.floor(t.clock.now / 1000) - 7200, expiresIn: 3600 })],
    ['user_not_found', 401, async () => t.sign({ id: 'usr_nobody' })],
    ['token_missing', 401, async () => ''],
  ])('%s: 303 to the URL without the code, whose page then answers %i with the error page', async (code, status, make) => {
    const res = await t.app.inject({ method: 'GET', url: `/some/page?tab=2&externalAuthCode=${encodeURIComponent(await make())}` });
    expect(res.statusCode).toBe(303);
    expect(res.headers['location']).toBe('/some/page?tab=2');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['set-cookie']).toBe(`parley_sign_in_error=${code}; Max-Age=60; Path=/; HttpOnly; SameSite=Lax`);
    expect(res.body).toBe('');

    const landed = await t.app.inject({ method: 'GET', url: '/some/page?tab=2', cookies: { parley_sign_in_error: failureCookie(res)!.value } });
    expect(landed.statusCode).toBe(status);
    expect(landed.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(landed.headers['cache-control']).toBe('no-store');
    expect(landed.headers['referrer-policy']).toBe('no-referrer');
    expect(landed.headers['content-security-policy']).toBe(ERROR_PAGE_CSP);
    expect(landed.body).toContain(`<main class="error" data-code="${code}">`);
    // Shown once: the cookie is cleared by the page that shows it.
    expect(landed.headers['set-cookie']).toBe('parley_sign_in_error=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax');
    expect(landed.cookies.find((c) => c.name === 'parley_session')).toBeUndefined();
  });

  it('the chat page shows the failure, then itself once the cookie is gone', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/?externalAuthCode=not-a-token' });
    expect([res.statusCode, res.headers['location']]).toEqual([303, '/']);
    const landed = await t.app.inject({ method: 'GET', url: '/', cookies: { parley_sign_in_error: failureCookie(res)!.value } });
    expect(landed.statusCode).toBe(401);
    expect(landed.body).toContain('data-code="token_invalid"');
    const again = await t.app.inject({ method: 'GET', url: '/' });
    expect(again.statusCode).toBe(200);
    expect(again.body).toContain('<div id="app"></div>');
  });

  it('a rate-limited sign-in lands on a 429 page with Retry-After', async () => {
    await t.close();
    t = await createTestApp({ env: { PARLEY_SIGNIN_RATE_LIMIT: '1/1m' } });
    expect((await t.app.inject({ method: 'GET', url: '/?externalAuthCode=bad-1' })).statusCode).toBe(303);
    const res = await t.app.inject({ method: 'GET', url: '/?externalAuthCode=bad-2' });
    expect([res.statusCode, res.headers['location'], res.headers['set-cookie']]).toEqual([303, '/', 'parley_sign_in_error=rate_limited.60; Max-Age=60; Path=/; HttpOnly; SameSite=Lax']);
    const landed = await t.app.inject({ method: 'GET', url: '/', cookies: { parley_sign_in_error: failureCookie(res)!.value } });
    expect(landed.statusCode).toBe(429);
    expect(landed.headers['retry-after']).toBe('60');
    expect(landed.body).toContain('data-code="rate_limited"');
  });

  it('a failure cookie that is not a sign-in failure code is dropped and the page served as usual', async () => {
    for (const value of ['<script>', 'internal_error', 'token_invalid.5', 'rate_limited.99999999', 'session_invalid']) {
      const res = await t.app.inject({ method: 'GET', url: '/', cookies: { parley_sign_in_error: value } });
      expect([value, res.statusCode]).toEqual([value, 200]);
      expect(res.headers['set-cookie']).toBe('parley_sign_in_error=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax');
    }
  });

  it('a fresh code wins over a pending failure, and the API never looks at the failure cookie', async () => {
    const token = await t.sign({ user: { id: 'alice' } });
    const res = await t.app.inject({ method: 'GET', url: `/?externalAuthCode=${token}`, cookies: { parley_sign_in_error: 'token_expired' } });
    expect(res.statusCode).toBe(303);
    expect(res.cookies.map((c) => [c.name, c.value])).toEqual([
      ['parley_sign_in_error', ''],
      ['parley_session', expect.stringMatching(/^pss_/)],
    ]);
    const api = await t.app.inject({ method: 'GET', url: '/api/v1/me', cookies: { parley_sign_in_error: 'token_expired' } });
    expect([api.statusCode, api.json()]).toEqual([401, { error: { code: 'session_missing', message: 'Sign in first.' } }]);
  });

  it('is Secure under https', async () => {
    await t.close();
    t = await createTestApp({ env: { PUBLIC_URL: 'https://chat.example.com' } });
    const res = await t.app.inject({ method: 'GET', url: '/?externalAuthCode=bad' });
    expect(res.headers['set-cookie']).toBe('parley_sign_in_error=token_invalid; Max-Age=60; Path=/; HttpOnly; Secure; SameSite=Lax');
  });
});
