/**
 * The admin REST reads ids, emails, names, origins, durations and seat counts by the same rules as sign-in
 * and the token API (shared/src/fields.ts): an account it creates can sign in, and a value it refuses is a
 * 400 bad_request naming the field.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';

describe('admin REST inputs follow the field rules', () => {
  let t: TestApp;
  let owner: Record<string, string>;
  beforeEach(async () => {
    t = await createTestApp({ env: { PARLEY_SEAT_LIMIT: '' } });
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id: 'the-owner' } }) } });
    await t.app.services.users.setRole(res.json().user.id, 'owner');
    owner = { authorization: `Bearer ${res.json().session.token}` };
  });
  afterEach(async () => {
    await t.close();
  });
  const call = (method: 'POST' | 'PATCH', url: string, payload: object) => t.app.inject({ method, url, headers: owner, payload });
  const badRequest = async (method: 'POST' | 'PATCH', url: string, payload: object, message: string) => {
    const res = await call(method, url, payload);
    expect(res.statusCode, JSON.stringify(payload)).toBe(400);
    expect(res.json()).toEqual({ error: { code: 'bad_request', message } });
  };
  const control = 'must not contain control characters (U+0000 to U+001F, U+007F)';

  it('an account: externalId, email and name as sign-in reads them', async () => {
    await badRequest('POST', '/api/v1/admin/users', { externalId: 'victim\u007f' }, `externalId ${control}`);
    await badRequest('POST', '/api/v1/admin/users', { externalId: 'Jose\u0301' }, 'externalId must be in Unicode NFC');
    await badRequest('POST', '/api/v1/admin/users', { email: '\u212Aevin@x' }, 'email must not change under Unicode NFC or NFKC normalisation');
    await badRequest('POST', '/api/v1/admin/users', { email: 'a\u007f@b' }, `email ${control}`);
    await badRequest('POST', '/api/v1/admin/users', { email: 'nope' }, 'email must be an email address');
    await badRequest('POST', '/api/v1/admin/users', { name: 'Ada\nAdmin' }, `name ${control}`);
    const created = await call('POST', '/api/v1/admin/users', { externalId: 'Jos\u00e9', email: 'jos\u00e9@example.com', name: 'José' });
    expect(created.statusCode).toBe(201);
    const signedIn = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id: 'Jos\u00e9' } }) } });
    expect(signedIn.json().user.id).toBe(created.json().user.id);
  });

  it('credential and API key names have no control characters', async () => {
    await badRequest('POST', '/api/v1/admin/api-credentials', { name: 'backend\nrevoked' }, `name ${control}`);
    await badRequest('POST', '/api/v1/admin/api-keys', { name: 'key\u001b[31m' }, `name ${control}`);
    expect((await call('POST', '/api/v1/admin/api-credentials', { name: 'backend é' })).statusCode).toBe(201);
  });

  it('settings: seat counts, origins and durations by their rules, each naming the setting', async () => {
    await badRequest('PATCH', '/api/v1/admin/settings', { seatLimit: 1.5 }, 'seatLimit must be a whole number from 0 to 999,999,999');
    await badRequest('PATCH', '/api/v1/admin/settings', { seatLimit: '5' }, 'seatLimit must be a whole number from 0 to 999,999,999');
    await badRequest('PATCH', '/api/v1/admin/settings', { allowedOrigins: ['https://App.example.com'] }, 'allowedOrigins must be origins like https://app.example.com (scheme, host and port only), and "https://App.example.com" is not one');
    await badRequest('PATCH', '/api/v1/admin/settings', { allowedOrigins: ['*', 'https://a.example'] }, 'allowedOrigins may not combine * with other origins');
    await badRequest('PATCH', '/api/v1/admin/settings', { tokenMaxLifetime: '0s' }, 'tokenMaxLifetime must be at least one second');
    await badRequest('PATCH', '/api/v1/admin/settings', { tokenMaxLifetime: 3600 }, 'tokenMaxLifetime must be a duration such as 3600, 30m, 12h or 7d');
    await badRequest('PATCH', '/api/v1/admin/settings', { externalAuthEnabled: 'false' }, 'externalAuthEnabled must be true or false');
    const res = await call('PATCH', '/api/v1/admin/settings', { seatLimit: 999_999_999, allowedOrigins: ['https://a.example/', 'https://a.example'], tokenMaxLifetime: ' 2h ' });
    expect(res.statusCode).toBe(200);
    expect(res.json().settings.slice(0, 3).map((s: { value: unknown }) => s.value)).toEqual([999_999_999, ['https://a.example'], '2h']);
  });
});
