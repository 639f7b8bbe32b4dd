/** Regressions found by the attack suite and the route fuzzer, each named after what broke. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EMAIL_SIGN_IN_PARAM } from '../../../server/src/auth/email-sign-in.js';
import { EMAIL_OPEN_PATH, UNSUBSCRIBE_PATH } from '../../../server/src/outbound/notifications.js';
import { redactUrl } from '../../../server/src/redact.js';
import { SIGN_IN_PARAM } from '../../../server/src/routes/pages/landing-url.js';
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

  it('no secret-bearing query parameter is logged in clear: email sign-in links, one-time links, refused credentials', async () => {
    const secrets = new Map([
      [`/?${EMAIL_SIGN_IN_PARAM}=`, 'EmailSignInLinkToken0123456789abcdefghijklm'],
      ['/chat?emailsignin=', 'EmailSignInLinkTokenLowercaseName0123456789'],
      [`${EMAIL_OPEN_PATH}?token=`, 'EmailOpenLinkToken0123456789abcdefghijklmno'],
      [`${UNSUBSCRIBE_PATH}?token=`, 'UnsubscribeLinkToken0123456789abcdefghijklm'],
      ['/api/v2/users/get?x-velt-api-key=', 'QueryStringApiKey0123456789abcdefghijklmnop'],
      ['/api/v2/users/get?apiKey=', 'QueryStringApiKeyCamel0123456789abcdefghijk'],
    ]);
    for (const [prefix, secret] of secrets) await t.app.inject({ method: 'GET', url: `${prefix}${secret}` });
    const all = t.logs.join('\n');
    expect(all).toContain(`"url":"/?${EMAIL_SIGN_IN_PARAM}=[redacted]"`);
    expect(all).toContain(`"url":"${EMAIL_OPEN_PATH}?token=[redacted]"`);
    for (const secret of secrets.values()) expect(all, secret).not.toContain(secret);
    expect(redactUrl(`/?returnTo=%2Fchat&${EMAIL_SIGN_IN_PARAM}=abc&emailSign%49n=def`)).toBe(`/?returnTo=%2Fchat&${EMAIL_SIGN_IN_PARAM}=[redacted]&emailSign%49n=[redacted]`);
    expect(redactUrl(`/?${SIGN_IN_PARAM}=a&api_key=b&auth_token=c&x-auth-token=d&x-api-key=e&x-velt-auth-token=f&q=g`)).toBe(
      `/?${SIGN_IN_PARAM}=[redacted]&api_key=[redacted]&auth_token=[redacted]&x-auth-token=[redacted]&x-api-key=[redacted]&x-velt-auth-token=[redacted]&q=g`,
    );
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
