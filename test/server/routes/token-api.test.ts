import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, PUBLIC_URL, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';

const decode = (token: string) => token.split('.').slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()));

describe.each(DIALECTS)('token API on %s', (dialect) => {
  let t: TestApp;
  let apiKey: string;
  let authToken: string;
  beforeEach(async () => {
    t = await createTestApp({ dialect });
    ({ apiKey, authToken } = await t.app.services.apiCredentials.create('test', t.clock.now));
  });
  afterEach(async () => {
    await t.close();
  });

  const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url, payload: payload as object, headers: { 'content-type': 'application/json', ...headers } });
  const v2Headers = () => ({ 'x-api-key': apiKey, 'x-auth-token': authToken });
  const failure = (res: { statusCode: number; json(): unknown; headers: Record<string, unknown> }, status: number, kind: string, message: string | RegExp) => {
    expect(res.statusCode).toBe(status);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.json()).toEqual({ error: { message: typeof message === 'string' ? message : expect.stringMatching(message), status: kind } });
  };

  it('v1: credentials in data; the exact success body; a 48-hour token that signs in', async () => {
    const res = await post('/v1/auth/token/get', { data: { apiKey, authToken, userId: 'user-1', userProperties: { organizationId: 'org_1', isAdmin: false, email: 'u1@example.com' } } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json();
    expect(body).toEqual({ result: { status: 'success', message: 'Token generated successfully.', data: { token: expect.any(String) } } });
    const [header, payload] = decode(body.result.data.token);
    expect(header).toEqual({ alg: 'HS256', typ: 'parley-mint+jwt', kid: expect.stringMatching(/^pm_/) });
    expect(payload).toMatchObject({ iss: PUBLIC_URL, user: { id: 'user-1', email: 'u1@example.com', isAdmin: false, organizationId: 'org_1' } });
    expect(payload.exp - payload.iat).toBe(48 * 3600);
    const exchange = await post('/api/v1/auth/exchange', { externalAuthCode: body.result.data.token });
    expect(exchange.statusCode).toBe(200);
    expect(exchange.json().user).toMatchObject({ externalId: 'user-1', email: 'u1@example.com', organizationId: 'org_1', role: 'member' });
    const page = await t.app.inject({ method: 'GET', url: `/?externalAuthCode=${body.result.data.token}` });
    expect(page.statusCode).toBe(303);
    t.clock.now += 48 * 3600 * 1000 + 61_000;
    expect((await post('/api/v1/auth/exchange', { externalAuthCode: body.result.data.token })).json().error.code).toBe('token_expired');
  });

  it('v2: credentials in headers or body, with or without the data wrapper; permissions become grants', async () => {
    const request = {
      userId: 'user-2',
      userProperties: { isAdmin: false, name: 'Two', email: 'two@example.com' },
      permissions: { resources: [{ type: 'organization', id: 'org_2', accessRole: 'viewer' }, { type: 'document', id: 'doc_9', organizationId: 'org_2', accessRole: 'editor', expiresAt: 9_999_999_999 }] },
    };
    const variants = [
      post('/v2/auth/generate_token', request, v2Headers()),
      post('/v2/auth/generate_token', { data: request }, v2Headers()),
      post('/v2/auth/generate_token', { ...request, apiKey, authToken }),
      post('/v2/auth/generate_token', { data: { ...request, apiKey, authToken } }),
    ];
    for (const res of await Promise.all(variants)) expect(res.json().result.message).toBe('Token generated successfully.');
    const token = (await variants[0]!).json().result.data.token;
    expect(decode(token)[1]).toMatchObject({ user: { id: 'user-2', organizationId: 'org_2' } });
    const user = (await post('/api/v1/auth/exchange', { externalAuthCode: token })).json().user;
    expect(user.organizationId).toBe('org_2');
    const grants = await t.app.services.grants.list(user.id);
    expect(grants.map((g) => [g.resource_type, g.resource_id, g.access_role, g.expires_at])).toEqual([
      ['document', 'doc_9', 'editor', 9_999_999_999_000],
      ['organization', 'org_2', 'viewer', null],
    ]);
  });

  it.each([
    ['v1 without data', '/v1/auth/token/get', { apiKey: 'x' }, {}, 400, 'INVALID_ARGUMENT', 'data is required.'],
    ['v1 missing apiKey', '/v1/auth/token/get', { data: { authToken: 'x', userId: 'u' } }, {}, 400, 'INVALID_ARGUMENT', 'data.apiKey is required.'],
    ['v1 missing userId', '/v1/auth/token/get', 'CREDS_V1_NO_USER', {}, 400, 'INVALID_ARGUMENT', 'data.userId is required.'],
    ['v1 userId a number', '/v1/auth/token/get', 'CREDS_V1_NUMBER', {}, 400, 'INVALID_ARGUMENT', 'data.userId must be a string of 1 to 256 characters.'],
    ['v2 missing credentials', '/v2/auth/generate_token', { userId: 'u' }, {}, 400, 'INVALID_ARGUMENT', 'apiKey is required (x-api-key or x-velt-api-key header, or apiKey).'],
    ['v2 name with a newline', '/v2/auth/generate_token', { userId: 'u', userProperties: { name: 'Ada\nAdmin' } }, 'HEADERS', 400, 'INVALID_ARGUMENT', 'userProperties.name must not contain control characters (U+0000 to U+001F, U+007F).'],
    ['v2 userId with DEL', '/v2/auth/generate_token', { userId: 'victim\u007f' }, 'HEADERS', 400, 'INVALID_ARGUMENT', 'userId must not contain control characters (U+0000 to U+001F, U+007F).'],
    ['v2 userId in NFD', '/v2/auth/generate_token', { userId: 'Jos\u0065\u0301' }, 'HEADERS', 400, 'INVALID_ARGUMENT', 'userId must be in Unicode NFC.'],
    ['v1 userId in NFD', '/v1/auth/token/get', 'CREDS_V1_NFD', {}, 400, 'INVALID_ARGUMENT', 'data.userId must be in Unicode NFC.'],
    ['v2 email with the Kelvin sign', '/v2/auth/generate_token', { userId: 'u', userProperties: { email: '\u212Aevin@x' } }, 'HEADERS', 400, 'INVALID_ARGUMENT', 'userProperties.email must not change under Unicode NFC or NFKC normalisation.'],
    ['v2 organizationId with DEL', '/v2/auth/generate_token', { userId: 'u', userProperties: { organizationId: 'o\u007f' } }, 'HEADERS', 400, 'INVALID_ARGUMENT', 'userProperties.organizationId must not contain control characters (U+0000 to U+001F, U+007F).'],
    ['v2 resource id with DEL', '/v2/auth/generate_token', { userId: 'u', permissions: { resources: [{ type: 'organization', id: 'o\u007f' }] } }, 'HEADERS', 400, 'INVALID_ARGUMENT', 'permissions.resources[0].id must not contain control characters (U+0000 to U+001F, U+007F).'],
    ['v2 folderId in NFD', '/v2/auth/generate_token', { userId: 'u', permissions: { resources: [{ type: 'document', id: 'd', organizationId: 'o', folderId: 'e\u0301' }] } }, 'HEADERS', 400, 'INVALID_ARGUMENT', 'permissions.resources[0].folderId must be in Unicode NFC.'],
    ['v2 isAdmin a string', '/v2/auth/generate_token', { userId: 'u', userProperties: { isAdmin: 'true' } }, 'HEADERS', 400, 'INVALID_ARGUMENT', 'userProperties.isAdmin must be true or false.'],
    ['v2 NUL in userId', '/v2/auth/generate_token', { userId: 'a\u0000' }, 'HEADERS', 400, 'INVALID_ARGUMENT', 'userId must not contain control characters (U+0000 to U+001F, U+007F).'],
    ['v2 NUL in a resource', '/v2/auth/generate_token', { data: { userId: 'u', permissions: { resources: [{ type: 'organization', id: 'o' }, { type: 'organization', id: 'p\u0000' }] } } }, 'HEADERS', 400, 'INVALID_ARGUMENT', 'data.permissions.resources[1].id must not contain control characters (U+0000 to U+001F, U+007F).'],
    ['v2 NUL in a member name', '/v2/auth/generate_token', { userId: 'u', userProperties: { 'x\u0000': 1 } }, 'HEADERS', 400, 'INVALID_ARGUMENT', 'userProperties."x\\u0000" (a member name) must not contain control characters (U+0000 to U+001F, U+007F).'],
    ['v1 NUL in apiKey', '/v1/auth/token/get', { data: { apiKey: 'pk_\u0000', authToken: 'x', userId: 'u' } }, {}, 400, 'INVALID_ARGUMENT', 'data.apiKey must not contain control characters (U+0000 to U+001F, U+007F).'],
    ['v2 Velt and Parley headers that differ', '/v2/auth/generate_token', { userId: 'u' }, 'DIFFERENT_KEYS', 400, 'INVALID_ARGUMENT', 'The x-api-key and x-velt-api-key headers differ: send one of them.'],
    ['v2 bad email', '/v2/auth/generate_token', { userId: 'u', userProperties: { email: 'nope' } }, 'HEADERS', 400, 'INVALID_ARGUMENT', 'userProperties.email must be an email address.'],
    ['v2 bad resource', '/v2/auth/generate_token', { userId: 'u', permissions: { resources: [{ type: 'folder', id: 'f' }] } }, 'HEADERS', 400, 'INVALID_ARGUMENT', 'permissions.resources[0].organizationId is required for a folder.'],
    ['v2 bad role', '/v2/auth/generate_token', { userId: 'u', permissions: { resources: [{ type: 'organization', id: 'o', accessRole: 'owner' }] } }, 'HEADERS', 400, 'INVALID_ARGUMENT', 'permissions.resources[0].accessRole must be "viewer" or "editor".'],
    ['v2 unknown apiKey', '/v2/auth/generate_token', { userId: 'u' }, { 'x-api-key': 'pk_nope', 'x-auth-token': 'pat_x' }, 401, 'UNAUTHENTICATED', 'Auth token not found.'],
    ['v2 wrong authToken', '/v2/auth/generate_token', { userId: 'u' }, 'WRONG_TOKEN', 401, 'UNAUTHENTICATED', 'Auth token not found.'],
    ['v2 authToken of another length', '/v2/auth/generate_token', { userId: 'u' }, 'SHORT_TOKEN', 401, 'UNAUTHENTICATED', 'Auth token not found.'],
    ['v2 huge authToken', '/v2/auth/generate_token', { userId: 'u' }, 'HUGE_TOKEN', 401, 'UNAUTHENTICATED', 'Auth token not found.'],
  ] as const)('%s', async (_name, url, body, headers, status, kind, message) => {
    const bodies: Record<string, unknown> = {
      CREDS_V1_NO_USER: { data: { apiKey, authToken } },
      CREDS_V1_NUMBER: { data: { apiKey, authToken, userId: 42 } },
      CREDS_V1_NFD: { data: { apiKey, authToken, userId: 'e\u0301' } },
    };
    const headerSets: Record<string, Record<string, string>> = {
      HEADERS: v2Headers(),
      WRONG_TOKEN: { 'x-api-key': apiKey, 'x-auth-token': `${authToken.slice(0, -1)}x` },
      SHORT_TOKEN: { 'x-api-key': apiKey, 'x-auth-token': 'short' },
      HUGE_TOKEN: { 'x-api-key': apiKey, 'x-auth-token': 'x'.repeat(5000) },
      DIFFERENT_KEYS: { 'x-api-key': apiKey, 'x-velt-api-key': 'pk_other', 'x-auth-token': authToken },
    };
    const res = await post(url, typeof body === 'string' ? bodies[body] : body, typeof headers === 'string' ? headerSets[headers] : headers);
    failure(res, status, kind, message);
  });

  it('a body that is not JSON, not an object, or credentials in the query string: 400 INVALID_ARGUMENT', async () => {
    failure(await t.app.inject({ method: 'POST', url: '/v2/auth/generate_token', payload: '{"userId":', headers: { 'content-type': 'application/json' } }), 400, 'INVALID_ARGUMENT', 'The body is not valid JSON.');
    failure(await t.app.inject({ method: 'POST', url: '/v2/auth/generate_token', payload: 'x', headers: { 'content-type': 'text/plain' } }), 400, 'INVALID_ARGUMENT', 'Send the body as application/json.');
    failure(await post('/v2/auth/generate_token', [1, 2]), 400, 'INVALID_ARGUMENT', 'The body must be a JSON object.');
    failure(await post(`/v2/auth/generate_token?apiKey=${apiKey}&authToken=${authToken}`, { userId: 'u' }), 400, 'INVALID_ARGUMENT', /query string/);
    for (const body of [null, 0, 'str', { data: null }, { data: [] }, { userId: {} }, { userId: 'u', userProperties: 'x' }]) {
      const res = await post('/v2/auth/generate_token', body, v2Headers());
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
    }
  });

  it("v2 takes Velt's header names, x-velt-api-key and x-velt-auth-token, on every route; never in the query string", async () => {
    const velt = { 'x-velt-api-key': apiKey, 'x-velt-auth-token': authToken };
    const res = await post('/v2/auth/generate_token', { userId: 'velt-user' }, velt);
    expect(res.statusCode).toBe(200);
    expect((await post('/api/v1/auth/exchange', { externalAuthCode: res.json().result.data.token })).json().user.externalId).toBe('velt-user');
    // Both names at once, agreeing, and one of each kind.
    expect((await post('/v2/auth/generate_token', { userId: 'velt-user' }, { ...velt, ...v2Headers() })).statusCode).toBe(200);
    expect((await post('/v2/auth/generate_token', { userId: 'velt-user' }, { 'x-velt-api-key': apiKey, 'x-auth-token': authToken })).statusCode).toBe(200);
    expect((await post('/v2/users/get', { userId: 'velt-user' }, velt)).json().result.data['velt-user'].success).toBe(true);
    failure(await post('/v2/auth/generate_token', { userId: 'u' }, { ...velt, 'x-velt-auth-token': `${authToken.slice(0, -1)}x` }), 401, 'UNAUTHENTICATED', 'Auth token not found.');
    failure(await post(`/v2/auth/generate_token?x-velt-api-key=${apiKey}`, { userId: 'u' }, velt), 400, 'INVALID_ARGUMENT', /query string/);
    // v1 reads its credentials from data only, as before.
    failure(await post('/v1/auth/token/get', { data: { userId: 'u' } }, velt), 400, 'INVALID_ARGUMENT', 'data.apiKey is required.');
  });

  it('permissions.resources that would make a token longer than sign-in accepts (8 KB) are refused, naming the field', async () => {
    const resources = Array.from({ length: 40 }, (_, i) => ({ type: 'document', id: `doc-${i}-${'d'.repeat(100)}`, organizationId: 'acme' }));
    const res = await post('/v2/auth/generate_token', { userId: 'u', permissions: { resources } }, v2Headers());
    failure(res, 400, 'INVALID_ARGUMENT', /^permissions\.resources make the token \d+ characters long, and sign-in accepts at most 8192: send fewer or shorter resources\.$/);
    // Half as many fit, and sign in.
    const fits = await post('/v2/auth/generate_token', { userId: 'u', permissions: { resources: resources.slice(0, 20) } }, v2Headers());
    expect(fits.statusCode).toBe(200);
    expect((await post('/api/v1/auth/exchange', { externalAuthCode: fits.json().result.data.token })).statusCode).toBe(200);
  });

  it('a revoked credential fails at once; the admin can create and revoke credentials over REST', async () => {
    await t.app.services.apiCredentials.revoke(apiKey, t.clock.now);
    failure(await post('/v2/auth/generate_token', { userId: 'u' }, v2Headers()), 401, 'UNAUTHENTICATED', 'This API credential has been revoked.');
  });

  it('a minted token is never an external token, and one from another instance is refused', async () => {
    const minted = (await post('/v2/auth/generate_token', { userId: 'u' }, v2Headers())).json().result.data.token as string;
    // Signed with the external secret but claiming to be minted: the kid is not a minting key.
    const fake = await t.sign({ user: { id: 'u' } }, { kid: decode(minted)[0].kid });
    expect((await post('/api/v1/auth/exchange', { externalAuthCode: fake })).json().error.code).toBe('token_invalid');
    // Another instance (another issuer): refused even with this instance's kid format.
    await t.app.services.mintKeys.rotate(t.clock.now);
    const other = await createTestApp({ dialect, env: { PUBLIC_URL: 'https://other.example' } });
    try {
      const creds = await other.app.services.apiCredentials.create('o', other.clock.now);
      const foreign = (await other.app.inject({ method: 'POST', url: '/v2/auth/generate_token', payload: { userId: 'u' }, headers: { 'x-api-key': creds.apiKey, 'x-auth-token': creds.authToken } })).json().result.data.token;
      expect((await post('/api/v1/auth/exchange', { externalAuthCode: foreign })).json().error.code).toBe('token_invalid');
    } finally {
      await other.close();
    }
    // Rotation: tokens minted before it still verify (for their 48 hours).
    expect((await post('/api/v1/auth/exchange', { externalAuthCode: minted })).statusCode).toBe(200);
  });
});
