import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';

describe('v2 users and permissions REST', () => {
  let t: TestApp;
  let headers: Record<string, string>;
  beforeEach(async () => {
    t = await createTestApp({ env: { PARLEY_SEAT_LIMIT: '3' } });
    const creds = await t.app.services.apiCredentials.create('test', t.clock.now);
    headers = { 'x-api-key': creds.apiKey, 'x-auth-token': creds.authToken };
  });
  afterEach(async () => {
    await t.close();
  });
  const call = (url: string, payload: unknown, h = headers) => t.app.inject({ method: 'POST', url, headers: h, payload: payload as object });

  it('users/add answers one result per user, within the seat limit; get, update and delete follow', async () => {
    const added = await call('/v2/users/add', {
      data: {
        users: [
          { userId: 'ada', name: 'Ada', email: 'ada@example.com', organizationId: 'acme' },
          { userId: 'bob', name: 'Bob', organizationId: 'acme', isAdmin: true },
          { userId: 'cyd', email: 'ADA@example.com' },
          { userId: 'dan' },
          { userId: 'eve' },
        ],
      },
    });
    expect(added.statusCode).toBe(200);
    expect(added.headers['cache-control']).toBe('no-store');
    const data = added.json().result.data;
    expect(added.json().result).toMatchObject({ status: 'success', message: 'Users added.' });
    expect(data.ada).toMatchObject({ success: true, message: 'User added.', user: { externalId: 'ada', organizationId: 'acme', role: 'member', createdVia: 'api' } });
    expect(data.bob.user.role).toBe('admin');
    expect(data.cyd).toEqual({ success: false, message: 'This email address belongs to another user.' });
    expect(data.dan.success).toBe(true);
    expect(data.eve).toEqual({ success: false, message: 'Every seat is taken.' });

    const updated = (await call('/v2/users/update', { users: [{ userId: 'ada', name: 'Ada L.' }, { userId: 'nobody' }] })).json().result.data;
    expect(updated.ada.user.name).toBe('Ada L.');
    expect(updated.nobody).toEqual({ success: false, message: 'User not found.' });
    const got = (await call('/v2/users/get', { userIds: ['ada', 'nobody'] })).json().result.data;
    expect(got.ada.user).toMatchObject({ name: 'Ada L.', email: 'ada@example.com' });
    expect(got.nobody.success).toBe(false);
    const deleted = (await call('/v2/users/delete', { userIds: ['dan'] })).json().result.data;
    expect(deleted.dan.success).toBe(true);
    expect(await t.app.services.users.findByExternalId('dan')).toBeUndefined();
  });

  it('permissions add, get and remove, per user, only inside the user\'s organization', async () => {
    await call('/v2/users/add', { users: [{ userId: 'ada', organizationId: 'acme' }, { userId: 'zed', organizationId: 'globex' }] });
    const resources = [
      { type: 'organization', id: 'acme', accessRole: 'viewer' },
      { type: 'document', id: 'doc-1', organizationId: 'acme', accessRole: 'editor', expiresAt: 9_999_999_999 },
    ];
    const added = (await call('/v2/auth/permissions/add', { userIds: ['ada', 'zed', 'nobody'], permissions: { resources } })).json().result.data;
    expect(added.ada).toEqual({ success: true, message: 'Permissions added.' });
    expect(added.zed).toEqual({ success: false, message: 'The user belongs to organization globex, not acme.' });
    expect(added.nobody.success).toBe(false);
    const got = (await call('/v2/auth/permissions/get', { userId: 'ada' })).json().result.data;
    expect(got.ada).toEqual({
      success: true,
      message: 'Permissions found.',
      organizationId: 'acme',
      resources: [
        { type: 'document', id: 'doc-1', organizationId: 'acme', accessRole: 'editor', expiresAt: 9_999_999_999 },
        { type: 'organization', id: 'acme', organizationId: 'acme', accessRole: 'viewer' },
      ],
    });
    const removed = (await call('/v2/auth/permissions/remove', { userId: 'ada', permissions: { resources: [{ type: 'document', id: 'doc-1', organizationId: 'acme' }] } })).json().result.data;
    expect(removed.ada).toEqual({ success: true, message: 'Permissions removed.', removed: 1 });
    expect((await call('/v2/auth/permissions/get', { userId: 'ada' })).json().result.data.ada.resources).toHaveLength(1);
  });

  it('users and ids sign-in would refuse are refused, naming the field; what is added signs in', async () => {
    const refused = async (url: string, body: unknown, message: string) =>
      expect((await call(url, body)).json(), `${url} ${JSON.stringify(body)}`).toEqual({ error: { message, status: 'INVALID_ARGUMENT' } });
    const control = 'must not contain control characters (U+0000 to U+001F, U+007F).';
    await refused('/v2/users/add', { users: [{ userId: 'ok' }, { userId: 'victim\u007f' }] }, `users[1].userId ${control}`);
    await refused('/v2/users/add', { users: [{ userId: 'Jose\u0301' }] }, 'users[0].userId must be in Unicode NFC.');
    await refused('/v2/users/add', { users: [{ userId: 'ada', name: 'Ada\nAdmin' }] }, `users[0].name ${control}`);
    await refused('/v2/users/update', { users: [{ userId: 'ada', email: '\u212Aevin@x' }] }, 'users[0].email must not change under Unicode NFC or NFKC normalisation.');
    await refused('/v2/users/add', { users: [{ userId: 'ada', organizationId: 'e\u0301' }] }, 'users[0].organizationId must be in Unicode NFC.');
    await refused('/v2/users/get', { userIds: ['ok', 'a\u001b[31m'] }, `userIds[1] ${control}`);
    await refused('/v2/auth/permissions/add', { userId: 'ada', permissions: { resources: [{ type: 'document', id: 'd\u007f', organizationId: 'acme' }] } }, `permissions.resources[0].id ${control}`);
    expect(await t.app.services.users.findByExternalId('ok')).toBeUndefined();

    const added = (await call('/v2/users/add', { users: [{ userId: 'Jos\u00e9', name: 'José', email: 'jos\u00e9@example.com' }] })).json().result.data;
    expect(added['Jos\u00e9'].success).toBe(true);
    const token = (await call('/v2/auth/generate_token', { userId: 'Jos\u00e9', userProperties: { email: 'jos\u00e9@example.com' } })).json().result.data.token;
    const signedIn = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: token } });
    expect(signedIn.json().user).toMatchObject({ id: added['Jos\u00e9'].user.id, externalId: 'Jos\u00e9' });
  });

  it('bad input names the field; bad credentials are UNAUTHENTICATED; no body causes a 5xx', async () => {
    expect((await call('/v2/users/add', { users: [{ userId: 5 }] })).json()).toEqual({ error: { message: 'users[0].userId must be a string of 1 to 256 characters.', status: 'INVALID_ARGUMENT' } });
    expect((await call('/v2/users/get', {})).json().error.message).toBe('userIds (or userId) is required.');
    expect((await call('/v2/users/add', { users: [{ userId: 'a' }, { userId: 'a' }] })).json().error.message).toBe('users[1].userId repeats users[0]: results are keyed by user id.');
    await call('/v2/users/add', { users: [{ userId: 'again' }] });
    expect((await call('/v2/users/add', { users: [{ userId: 'again' }] })).json().result.data.again).toEqual({ success: false, message: 'User already exists.' });
    expect((await call('/v2/auth/permissions/add', { userId: 'a', permissions: { resources: 'x' } })).json().error.message).toBe('permissions.resources must be an array.');
    expect((await call('/v2/users/get', { userId: 'a' }, { 'x-api-key': 'pk_x', 'x-auth-token': 'y' })).json()).toEqual({ error: { message: 'Auth token not found.', status: 'UNAUTHENTICATED' } });
    for (const body of [null, [], 'x', { users: null }, { users: [null] }, { userIds: [{}] }, { userIds: Array(101).fill('a') }]) {
      for (const url of ['/v2/users/add', '/v2/users/update', '/v2/users/get', '/v2/users/delete', '/v2/auth/permissions/add', '/v2/auth/permissions/remove', '/v2/auth/permissions/get']) {
        const res = await call(url, body);
        expect(res.statusCode, `${url} ${JSON.stringify(body)}`).toBeLessThan(500);
      }
    }
  });
});
