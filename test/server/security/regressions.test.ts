/** Regressions found by the attack suite and the route fuzzer, each named after what broke. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { redactUrl } from '../../../server/src/redact.js';
import { createTestApp, type TestApp } from '../../helpers/app.js';

let t: TestApp;
beforeEach(async () => {
  t = await createTestApp();
});
afterEach(async () => {
  await t.close();
});

const leaks = (haystack: string, token: string) => token.split('.').some((part) => part.length > 8 && haystack.includes(part));

describe('security regressions', () => {
  it('a percent-encoded parameter name is still redacted in the logs', async () => {
    const token = await t.sign({ user: { id: 'alice' } });
    const res = await t.app.inject({ method: 'GET', url: `/?externalAuth%43ode=${token}` });
    expect(res.statusCode).toBe(303);
    expect(leaks(t.logs.join('\n'), token)).toBe(false);
    expect(redactUrl('/x?a=1&EXTERNALAUTHCODE=abc&%74oken=def&b=2')).toBe('/x?a=1&EXTERNALAUTHCODE=[redacted]&%74oken=[redacted]&b=2');
    expect(redactUrl('/x?%zz=1&externalAuthCode=abc')).toBe('/x?%zz=1&externalAuthCode=[redacted]');
  });

  it('a malformed URL answers in Parley\'s error shape and never echoes the URL', async () => {
    const token = await t.sign({ user: { id: 'alice' } });
    const res = await t.app.inject({ method: 'GET', url: `/%zz?externalAuthCode=${token}` });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: { code: 'bad_request', message: 'The request is malformed.' } });
    expect(leaks(res.body + JSON.stringify(res.headers), token)).toBe(false);
    const long = await t.app.inject({ method: 'GET', url: `/api/v1/conversations/${'x'.repeat(400)}` , headers: { authorization: 'Bearer pss_x' } });
    expect(long.json()).toEqual({ error: { code: 'not_found', message: 'Not found.' } });
  });

  it('OPTIONS requests use the same error handler (no library message)', async () => {
    const preflightHeaders = {
      'access-control-allow-origin': 'http://127.0.0.1:3000',
      'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE',
      'access-control-allow-headers': 'Authorization, Content-Type, Last-Event-ID',
      'access-control-max-age': '600',
    };
    // A body on a preflight is never parsed: the preflight answers 204 with the CORS headers only.
    const withBody = await t.app.inject({ method: 'OPTIONS', url: '/api/v1/auth/exchange', headers: { 'content-type': 'application/json', origin: 'http://127.0.0.1:3000' }, payload: '{"x":' });
    expect([withBody.statusCode, withBody.body]).toEqual([204, '']);
    expect(withBody.headers).toMatchObject(preflightHeaders);
    const bare = await t.app.inject({ method: 'OPTIONS', url: '/api/v1/me', headers: { origin: 'http://127.0.0.1:3000' } });
    expect([bare.statusCode, bare.body]).toEqual([204, '']);
    expect(bare.headers).toMatchObject(preflightHeaders);
    // Without an Origin it is no preflight: the route has no OPTIONS handler, and the answer is Parley's 404.
    const noOrigin = await t.app.inject({ method: 'OPTIONS', url: '/api/v1/me' });
    expect(noOrigin.statusCode).toBe(404);
    expect(noOrigin.json()).toEqual({ error: { code: 'not_found', message: 'Not found.' } });
    // An origin outside the allowlist gets no CORS headers at all.
    const foreign = await t.app.inject({ method: 'OPTIONS', url: '/api/v1/me', headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } });
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('user.ids with lone surrogates are refused, so two cannot collapse into one account', async () => {
    for (const id of ['victim\ud800', 'victim\udfff']) {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id } }) } });
      expect(res.json().error.code).toBe('token_invalid');
    }
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id: 'victim\ufffd' } }) } })).statusCode).toBe(200);
  });
});

describe('NUL characters (PostgreSQL cannot store them)', () => {
  it('are refused with 400 in bodies and URLs, never a 5xx', async () => {
    const exchange = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id: 'nul' } }) } });
    const auth = { authorization: `Bearer ${exchange.json().session.token}` };
    const title = await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: { ...auth, 'content-type': 'application/json' }, payload: '{"title":"a\\u0000b"}' });
    expect([title.statusCode, title.json().error.code]).toEqual([400, 'bad_request']);
    const doc = await t.app.inject({ method: 'POST', url: '/api/v1/documents/a%00b/open', headers: auth });
    expect([doc.statusCode, doc.json().error.code]).toEqual([400, 'bad_request']);
    const empty = await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: { ...auth, 'content-type': 'application/json' }, payload: '' });
    expect(empty.statusCode).toBe(400);
  });
});
