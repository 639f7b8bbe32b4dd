/**
 * One CSRF rule for every cookie-authenticated change (server/src/auth/csrf.ts): the request must come from
 * Parley's own origin, by `Origin` and, where the browser sends it, by `Sec-Fetch-Site`. Bearer sessions are
 * not subject to it (a browser never attaches them by itself).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, PUBLIC_URL, type TestApp } from '../../helpers/app.js';

let t: TestApp;
let cookie: string;
let bearer: string;

beforeAll(async () => {
  t = await createTestApp();
  const page = await t.app.inject({ method: 'GET', url: `/?externalAuthCode=${await t.sign({ user: { id: 'csrf-alice' } })}` });
  cookie = `parley_session=${page.cookies.find((c) => c.name === 'parley_session')!.value}`;
  bearer = (await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id: 'csrf-alice' } }) } })).json().session.token;
});
afterAll(() => t.close());

const REFUSED = { error: { code: 'csrf_rejected', message: 'The request came from another site.' } };
const post = (headers: Record<string, string>) => t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: { 'content-type': 'application/json', ...headers }, payload: { title: 'x' } });

describe('a cookie session changes something only from Parley’s own origin', () => {
  it.each([
    ['no Origin', {}],
    ['another origin', { origin: 'https://evil.example' }],
    ['the origin with a trailing slash', { origin: `${PUBLIC_URL}/` }],
    ['own Origin, but Sec-Fetch-Site same-site', { origin: PUBLIC_URL, 'sec-fetch-site': 'same-site' }],
    ['own Origin, but Sec-Fetch-Site cross-site', { origin: PUBLIC_URL, 'sec-fetch-site': 'cross-site' }],
  ])('%s: 403 csrf_rejected, nothing created', async (_label, headers) => {
    const res = await post({ cookie, ...headers });
    expect([res.statusCode, res.json()]).toEqual([403, REFUSED]);
  });

  it('own Origin, with or without Sec-Fetch-Site same-origin: 201', async () => {
    expect((await post({ cookie, origin: PUBLIC_URL })).statusCode).toBe(201);
    expect((await post({ cookie, origin: PUBLIC_URL, 'sec-fetch-site': 'same-origin' })).statusCode).toBe(201);
  });

  it('a bearer session is not subject to it (the widget on an allowed origin)', async () => {
    expect((await post({ authorization: `Bearer ${bearer}`, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' })).statusCode).toBe(201);
  });

  it('logout with a cookie follows the same rule', async () => {
    const refused = await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { cookie, origin: PUBLIC_URL, 'sec-fetch-site': 'cross-site' } });
    expect([refused.statusCode, refused.json()]).toEqual([403, REFUSED]);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } })).statusCode).toBe(200);
    const done = await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { cookie, origin: PUBLIC_URL, 'sec-fetch-site': 'same-origin' } });
    expect(done.statusCode).toBe(204);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } })).json().error.code).toBe('session_invalid');
  });
});
