import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { createTestApp, PUBLIC_URL, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';
import { openSse } from '../../helpers/sse.js';
import { OWNER, submitOwnerSetup } from '../../helpers/owner-setup.js';

type Headers = Record<string, string>;

describe.each(DIALECTS)('admin on %s', (dialect) => {
  let t: TestApp;
  let owner: Headers;

  /** A bearer session for a fresh account of this role. */
  async function sessionFor(role: 'owner' | 'admin' | 'member', id = `${role}-${Math.random().toString(36).slice(2, 8)}`): Promise<{ headers: Headers; userId: string }> {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id, name: id, email: `${id}@example.com` } }) } });
    const { session, user } = res.json();
    if (role !== 'member') await t.app.services.users.setRole(user.id, role);
    return { headers: { authorization: `Bearer ${session.token}` }, userId: user.id };
  }
  const call = (headers: Headers, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    t.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });

  beforeEach(async () => {
    t = await createTestApp({ dialect, env: { PARLEY_SEAT_LIMIT: '' } });
    owner = (await sessionFor('owner', 'the-owner')).headers;
    t.clock.now += 1000;
  });
  afterEach(async () => {
    await t.close();
  });

  const ROUTES: [string, string, object?][] = [
    ['GET', '/api/v1/admin/overview'],
    ['GET', '/api/v1/admin/settings'],
    ['PATCH', '/api/v1/admin/settings', { seatLimit: 9 }],
    ['GET', '/api/v1/admin/keys'],
    ['POST', '/api/v1/admin/keys'],
    ['POST', '/api/v1/admin/keys/k_x/retire'],
    ['GET', '/api/v1/admin/keys/env/examples'],
    ['GET', '/api/v1/admin/users'],
    ['POST', '/api/v1/admin/users', { name: 'x' }],
    ['POST', '/api/v1/admin/users/usr_x/deactivate'],
    ['POST', '/api/v1/admin/users/usr_x/reactivate'],
    ['PATCH', '/api/v1/admin/users/usr_x', { role: 'admin' }],
    ['DELETE', '/api/v1/admin/users/usr_x'],
    ['GET', '/api/v1/admin/conversations'],
    ['GET', '/api/v1/admin/conversations/cnv_x/messages'],
    ['POST', '/api/v1/admin/conversations/cnv_x/messages', { text: 'x', clientMessageId: 'x' }],
    ['GET', '/api/v1/admin/audit'],
    ['GET', '/api/v1/admin/users/usr_x'],
    ['GET', '/api/v1/admin/api-keys'],
    ['POST', '/api/v1/admin/api-keys', { name: 'x' }],
    ['POST', '/api/v1/admin/api-keys/ak_x/revoke'],
  ];

  it('every admin route refuses anonymous callers (401) and members (403 admin_required)', async () => {
    const member = (await sessionFor('member')).headers;
    for (const [method, url, body] of ROUTES) {
      const anonymous = await call({}, method as 'GET', url, body);
      expect([url, anonymous.statusCode, anonymous.json().error.code]).toEqual([url, 401, 'session_missing']);
      const refused = await call(member, method as 'GET', url, body);
      expect([url, refused.statusCode, refused.json()]).toEqual([url, 403, { error: { code: 'admin_required', message: 'Administrators only.' } }]);
    }
  });

  it('admin API keys: shown once, act as their creator, audited, and fail at once when revoked', async () => {
    const created = await call(owner, 'POST', '/api/v1/admin/api-keys', { name: 'deploy bot' });
    expect(created.statusCode).toBe(201);
    const { apiKey, key } = created.json();
    expect(key).toMatch(/^pak_[A-Za-z0-9_-]{43}$/);
    expect(apiKey).toEqual({ id: expect.stringMatching(/^ak_/), name: 'deploy bot', createdAt: expect.any(String), lastUsedAt: null, revokedAt: null, createdBy: { id: expect.any(String), label: 'the-owner@example.com' } });
    const listed = await call(owner, 'GET', '/api/v1/admin/api-keys');
    expect(JSON.stringify(listed.json())).not.toContain(key);
    const viaKey = await call({ 'x-api-key': key }, 'GET', '/api/v1/admin/users');
    expect(viaKey.statusCode).toBe(200);
    const one = viaKey.json().users[0];
    expect((await call({ 'x-api-key': key }, 'GET', `/api/v1/admin/users/${one.id}`)).json()).toEqual({ user: one });
    expect((await call({ 'x-api-key': key }, 'GET', '/api/v1/admin/users/usr_nobody')).json().error.code).toBe('account_not_found');
    await call({ 'x-api-key': key }, 'POST', '/api/v1/admin/keys');
    const entry = (await call(owner, 'GET', '/api/v1/admin/audit?kind=admin')).json().entries[0];
    expect(entry).toMatchObject({ action: 'key.create', actor: { label: 'API key "deploy bot" of the-owner@example.com' } });
    expect((await call(owner, 'GET', '/api/v1/admin/api-keys')).json().apiKeys[0].lastUsedAt).not.toBeNull();
    for (const bad of ['pak_nope', `pak_${'x'.repeat(43)}`, '']) {
      const res = await call({ 'x-api-key': bad }, 'GET', '/api/v1/admin/users');
      expect([res.statusCode, res.json().error.code]).toEqual([401, 'api_key_invalid']);
    }
    expect((await call(owner, 'POST', `/api/v1/admin/api-keys/${apiKey.id}/revoke`)).json().apiKey.revokedAt).not.toBeNull();
    expect((await call({ 'x-api-key': key }, 'GET', '/api/v1/admin/users')).json().error.code).toBe('api_key_invalid');
    expect((await call(owner, 'POST', `/api/v1/admin/api-keys/${apiKey.id}/revoke`)).json().error.code).toBe('api_key_not_found');
    // Keys, credentials and API keys can sign in as anyone: an admin may list them, only an owner makes them.
    const admin = await sessionFor('admin', 'temp-admin');
    for (const [url, body] of [['/api/v1/admin/api-keys', { name: 'x' }], ['/api/v1/admin/keys', undefined], ['/api/v1/admin/api-credentials', { name: 'x' }]] as const) {
      const refused = await call(admin.headers, 'POST', url, body);
      expect([url, refused.statusCode, refused.json().error.code]).toEqual([url, 403, 'owner_required']);
    }
    expect((await call(admin.headers, 'GET', '/api/v1/admin/api-keys')).statusCode).toBe(200);
    // A key whose creator is no longer an owner or admin opens nothing.
    const second = await sessionFor('owner', 'second-owner');
    const secondKey = (await call(second.headers, 'POST', '/api/v1/admin/api-keys', { name: 'temp' })).json().key;
    expect((await call({ 'x-api-key': secondKey }, 'GET', '/api/v1/admin/overview')).statusCode).toBe(200);
    await call(owner, 'PATCH', `/api/v1/admin/users/${second.userId}`, { role: 'member' });
    expect((await call({ 'x-api-key': secondKey }, 'GET', '/api/v1/admin/overview')).json().error.code).toBe('api_key_invalid');
  });

  it('an admin of another organization administers its conversations, not the instance', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id: 'globex-admin', organizationId: 'globex', isAdmin: true } }) } });
    const headers = { authorization: `Bearer ${res.json().session.token}` };
    expect(res.json().user).toMatchObject({ role: 'admin', organizationId: 'globex' });
    for (const [method, url, body] of ROUTES) {
      const refused = await call(headers, method as 'GET', url, body);
      expect([url, refused.statusCode, refused.json().error.code]).toEqual([url, 403, 'admin_required']);
    }
  });

  it('settings: read, change, refuse locked and bad values; changes take effect on sign-in', async () => {
    const body = (await call(owner, 'GET', '/api/v1/admin/settings')).json();
    // The instance's own settings first (the widget's appearance follows: widget-settings.test.ts).
    expect(body.settings.slice(0, 4)).toEqual([
      { name: 'seatLimit', variable: 'PARLEY_SEAT_LIMIT', value: 5, locked: false },
      { name: 'allowedOrigins', variable: 'PARLEY_ALLOWED_ORIGINS', value: null, locked: false },
      { name: 'tokenMaxLifetime', variable: 'PARLEY_TOKEN_MAX_LIFETIME', value: '1w', locked: false },
      { name: 'externalAuthEnabled', variable: null, value: true, locked: false },
    ]);
    const changed = await call(owner, 'PATCH', '/api/v1/admin/settings', { seatLimit: 1, allowedOrigins: ['https://app.example.com'], tokenMaxLifetime: '12h' });
    expect(changed.statusCode).toBe(200);
    expect(changed.json().settings.slice(0, 3).map((s: { value: unknown }) => s.value)).toEqual([1, ['https://app.example.com'], '12h']);
    expect((await call(owner, 'PATCH', '/api/v1/admin/settings', { seatLimit: -1 })).json().error.code).toBe('bad_request');
    expect((await call(owner, 'PATCH', '/api/v1/admin/settings', { allowedOrigins: ['nope'] })).json().error.code).toBe('bad_request');
    expect((await call(owner, 'PATCH', '/api/v1/admin/settings', { bogus: 1 })).json().error.code).toBe('bad_request');
    // Seat limit 1 is already used by the owner: a new user is refused; the allowlist now admits the app.
    const newcomer = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', headers: { origin: 'https://app.example.com' }, payload: { externalAuthCode: await t.sign({ user: { id: 'new' } }) } });
    expect(newcomer.json().error.code).toBe('seat_limit_reached');
    await call(owner, 'PATCH', '/api/v1/admin/settings', { externalAuthEnabled: false });
    const off = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id: 'the-owner' } }) } });
    expect(off.statusCode).toBe(403);
    expect(off.json().error.code).toBe('external_auth_disabled');
  });

  it('a setting the environment sets is locked', async () => {
    await t.close();
    t = await createTestApp({ dialect, env: { PARLEY_SEAT_LIMIT: '7' } });
    owner = (await sessionFor('owner')).headers;
    expect((await call(owner, 'GET', '/api/v1/admin/settings')).json().settings[0]).toEqual({ name: 'seatLimit', variable: 'PARLEY_SEAT_LIMIT', value: 7, locked: true });
    const res = await call(owner, 'PATCH', '/api/v1/admin/settings', { seatLimit: 9 });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe('setting_locked');
  });

  it('keys: create shows the secret once, it signs in, the Node example runs and signs in, retire ends it', async () => {
    const created = await call(owner, 'POST', '/api/v1/admin/keys');
    expect(created.statusCode).toBe(201);
    const { kid, secret } = created.json();
    expect(kid).toMatch(/^k_[0-9a-f]{12}$/);
    const listed = (await call(owner, 'GET', '/api/v1/admin/keys')).json();
    expect(listed.enabled).toBe(true);
    expect(listed.keys.map((k: { kid: string; source: string }) => [k.kid, k.source])).toEqual([['env', 'environment'], [kid, 'database']]);
    expect(JSON.stringify(listed)).not.toContain(secret);

    const examples = (await call(owner, 'GET', `/api/v1/admin/keys/${kid}/examples`)).json().examples;
    expect(Object.keys(examples)).toEqual(['node', 'python', 'php', 'go']);
    for (const code of Object.values(examples) as string[]) {
      expect(code).toContain(kid);
      expect(code).toContain(PUBLIC_URL);
      expect(code).not.toContain(secret);
    }
    const dir = mkdtempSync(join(tmpdir(), 'parley-example-'));
    try {
      writeFileSync(join(dir, 'sign.mjs'), examples.node);
      const link = execFileSync(process.execPath, [join(dir, 'sign.mjs')], { env: { PARLEY_SECRET: secret }, encoding: 'utf8' }).trim();
      expect(link.startsWith(`${PUBLIC_URL}/?externalAuthCode=`)).toBe(true);
      // The example ran in its own process with the real clock: the app's clock moves to the token's own
      // issue time (read from the token), so the test itself never reads the real date.
      const testTime = t.clock.now;
      t.clock.now = Number(decodeJwt(new URL(link).searchParams.get('externalAuthCode')!).iat) * 1000;
      const res = await t.app.inject({ method: 'GET', url: link.slice(PUBLIC_URL.length) });
      expect(res.statusCode).toBe(303);
      t.clock.now = testTime; // back to the test's own time, where the owner's session lives
      const user = await t.app.services.users.findByExternalId('user-123');
      expect(user).toMatchObject({ email: 'ada@example.com', name: 'Ada Lovelace' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const retired = await call(owner, 'POST', `/api/v1/admin/keys/${kid}/retire`);
    expect(retired.statusCode, retired.body).toBe(200);
    expect(retired.json().key.retiredAt).not.toBeNull();
    expect((await call(owner, 'POST', `/api/v1/admin/keys/${kid}/retire`)).json().error.code).toBe('key_not_found');
    expect((await call(owner, 'POST', '/api/v1/admin/keys/env/retire')).json().error.code).toBe('key_not_found');
  });

  it('users: search, paging, create within seats, deactivate ends access at once, reactivate needs a seat', async () => {
    await call(owner, 'PATCH', '/api/v1/admin/settings', { seatLimit: 3 });
    const alice = await sessionFor('member', 'alice');
    t.clock.now += 1000;
    const created = await call(owner, 'POST', '/api/v1/admin/users', { name: 'Bob Builder', email: 'bob@example.com' });
    expect(created.statusCode).toBe(201);
    expect(created.json().user).toMatchObject({ name: 'Bob Builder', email: 'bob@example.com', role: 'member', active: true, createdVia: 'admin', lastSeenAt: null });
    const full = await call(owner, 'POST', '/api/v1/admin/users', { name: 'Carol' });
    expect([full.statusCode, full.json().error.code]).toEqual([403, 'seat_limit_reached']);
    expect((await call(owner, 'POST', '/api/v1/admin/users', { email: 'BOB@example.com' })).json().error.code).toBe('email_conflict');

    const all = (await call(owner, 'GET', '/api/v1/admin/users')).json();
    expect(all.total).toBe(3);
    expect(all.users.map((u: { name: string }) => u.name)).toEqual(['Bob Builder', 'alice', 'the-owner']);
    expect((await call(owner, 'GET', '/api/v1/admin/users?q=BUILD')).json().users.map((u: { name: string }) => u.name)).toEqual(['Bob Builder']);
    expect((await call(owner, 'GET', '/api/v1/admin/users?q=alice%40EXAMPLE')).json().total).toBe(1);
    expect((await call(owner, 'GET', '/api/v1/admin/users?q=%25')).json().total).toBe(0);
    const page1 = (await call(owner, 'GET', '/api/v1/admin/users?limit=2')).json();
    const page2 = (await call(owner, 'GET', `/api/v1/admin/users?limit=2&cursor=${page1.nextCursor}`)).json();
    expect([...page1.users, ...page2.users].map((u: { name: string }) => u.name)).toEqual(['Bob Builder', 'alice', 'the-owner']);
    expect(page2.nextCursor).toBeNull();

    // Alice has an open event stream; deactivation closes it and her next call is 403 user_deactivated.
    const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const stream = await openSse(`${base}/api/v1/events`, alice.headers);
    await stream.until((f) => f.some((x) => x.event === 'ready'));
    const deactivated = await call(owner, 'POST', `/api/v1/admin/users/${alice.userId}/deactivate`);
    expect(deactivated.json().user.active).toBe(false);
    const me = await call(alice.headers, 'GET', '/api/v1/me');
    expect([me.statusCode, me.json().error.code]).toEqual([403, 'user_deactivated']);
    const closed = await fetch(`${base}/api/v1/events`, { headers: alice.headers });
    expect([closed.status, ((await closed.json()) as { error: { code: string } }).error.code]).toEqual([403, 'user_deactivated']);
    stream.close();

    // Her seat is free again: Carol fits; now Alice cannot come back.
    expect((await call(owner, 'POST', '/api/v1/admin/users', { name: 'Carol' })).statusCode).toBe(201);
    const back = await call(owner, 'POST', `/api/v1/admin/users/${alice.userId}/reactivate`);
    expect([back.statusCode, back.json().error.code]).toEqual([403, 'seat_limit_reached']);
    await call(owner, 'PATCH', '/api/v1/admin/settings', { seatLimit: 4 });
    expect((await call(owner, 'POST', `/api/v1/admin/users/${alice.userId}/reactivate`)).json().user.active).toBe(true);
    expect((await call(owner, 'POST', '/api/v1/admin/users/usr_nobody/reactivate')).json().error.code).toBe('account_not_found');
  });

  it('roles: admins cannot manage owners; the last owner stays; deleting anonymises messages', async () => {
    const admin = await sessionFor('admin', 'an-admin');
    const member = await sessionFor('member', 'a-member');
    const ownerId = (await t.app.services.users.findByExternalId('the-owner'))!.id;
    expect((await call(admin.headers, 'PATCH', `/api/v1/admin/users/${member.userId}`, { role: 'admin' })).json().user.role).toBe('admin');
    expect((await call(admin.headers, 'PATCH', `/api/v1/admin/users/${member.userId}`, { role: 'owner' })).json().error.code).toBe('owner_required');
    expect((await call(admin.headers, 'POST', `/api/v1/admin/users/${ownerId}/deactivate`)).json().error.code).toBe('owner_required');
    expect((await call(admin.headers, 'DELETE', `/api/v1/admin/users/${ownerId}`)).json().error.code).toBe('owner_required');
    const last = await call(owner, 'PATCH', `/api/v1/admin/users/${ownerId}`, { role: 'member' });
    expect([last.statusCode, last.json().error.code]).toEqual([409, 'last_owner']);
    expect((await call(owner, 'POST', `/api/v1/admin/users/${ownerId}/deactivate`)).json().error.code).toBe('last_owner');

    const conversation = (await call(member.headers, 'POST', '/api/v1/conversations', {})).json().conversation;
    await call(member.headers, 'POST', `/api/v1/conversations/${conversation.id}/messages`, { text: 'keep me', clientMessageId: 'k1' });
    expect((await call(owner, 'DELETE', `/api/v1/admin/users/${member.userId}`)).statusCode).toBe(204);
    expect(await t.app.services.users.findById(member.userId)).toBeUndefined();
    const messages = (await call(owner, 'GET', `/api/v1/admin/conversations/${conversation.id}/messages`)).json().messages;
    expect(messages).toEqual([expect.objectContaining({ text: 'keep me', author: { type: 'user', id: null, name: null, avatarUrl: null, agent: false } })]);
  });

  it('inbox: every conversation, unanswered marked; the admin answers and the user sees it live', async () => {
    const alice = await sessionFor('member', 'alice');
    const base = await t.app.listen({ port: 0, host: '127.0.0.1' });
    const ownerStream = await openSse(`${base}/api/v1/events`, owner);
    await ownerStream.until((f) => f.some((x) => x.event === 'ready'));
    const conversation = (await call(alice.headers, 'POST', '/api/v1/conversations', { title: 'Help' })).json().conversation;
    await call(alice.headers, 'POST', `/api/v1/conversations/${conversation.id}/messages`, { text: 'Anyone there?', clientMessageId: 'q1' });
    // The admin's stream follows every conversation of the organization.
    await ownerStream.until((f) => f.some((x) => x.event === 'message.created' && x.data!.includes('Anyone there?')));

    let inbox = (await call(owner, 'GET', '/api/v1/admin/conversations')).json();
    // Each participant with how far they have read: her own message moved her marker.
    expect(inbox.conversations).toEqual([
      expect.objectContaining({ id: conversation.id, title: 'Help', unanswered: true, participants: [{ id: alice.userId, name: 'alice', agent: false, lastReadMessageId: inbox.conversations[0].lastMessage.id }] }),
    ]);
    const aliceStream = await openSse(`${base}/api/v1/events`, alice.headers);
    await aliceStream.until((f) => f.some((x) => x.event === 'ready'));
    t.clock.now += 1000;
    const answer = await call(owner, 'POST', `/api/v1/admin/conversations/${conversation.id}/messages`, { text: 'Yes, how can I help?', clientMessageId: 'a1' });
    expect(answer.statusCode).toBe(201);
    await aliceStream.until((f) => f.some((x) => x.event === 'message.created' && x.data!.includes('how can I help')));
    inbox = (await call(owner, 'GET', '/api/v1/admin/conversations')).json();
    expect(inbox.conversations[0].unanswered).toBe(false);
    expect(inbox.conversations[0].participants.map((p: { name: string }) => p.name)).toEqual(['alice', 'the-owner']);
    // She has not read the answer yet; the owner has (their own message), and is one of the team.
    const answerId = answer.json().message.id;
    expect(inbox.conversations[0].participants.map((p: { agent: boolean; lastReadMessageId: string | null }) => [p.agent, p.lastReadMessageId === answerId])).toEqual([
      [false, false],
      [true, true],
    ]);
    expect((await call(alice.headers, 'POST', `/api/v1/conversations/${conversation.id}/read`, { messageId: answerId })).statusCode).toBe(200);
    expect((await call(owner, 'GET', '/api/v1/admin/conversations')).json().conversations[0].participants[0].lastReadMessageId).toBe(answerId);
    aliceStream.close();
    ownerStream.close();
  });

  it('audit log: sign-ins with their outcome (never the token) and admin actions, filtered and paged', async () => {
    const bad = 'not-a-token-at-all';
    await t.app.inject({ method: 'GET', url: `/?externalAuthCode=${bad}`, headers: { origin: 'https://x.example' } });
    await call(owner, 'POST', '/api/v1/admin/keys');
    const signIns = (await call(owner, 'GET', '/api/v1/admin/audit?kind=sign_in')).json().entries;
    expect(signIns[0]).toMatchObject({ kind: 'sign_in', action: 'sign_in.link', outcome: 'token_invalid', actor: { id: null, label: null }, origin: 'https://x.example', ip: '127.0.0.1' });
    expect(signIns[1]).toMatchObject({ kind: 'sign_in', action: 'sign_in.exchange', outcome: 'ok', actor: { label: 'the-owner' } });
    const admins = (await call(owner, 'GET', '/api/v1/admin/audit?kind=admin')).json().entries;
    expect(admins[0]).toMatchObject({ kind: 'admin', action: 'key.create', outcome: 'ok', actor: { label: 'the-owner@example.com' } });
    const everything = JSON.stringify((await call(owner, 'GET', '/api/v1/admin/audit?limit=200')).json());
    expect(everything).not.toContain(bad);
    const first = (await call(owner, 'GET', '/api/v1/admin/audit?limit=1')).json();
    const second = (await call(owner, 'GET', `/api/v1/admin/audit?limit=1&cursor=${first.nextCursor}`)).json();
    expect(Number(second.entries[0].id)).toBeLessThan(Number(first.entries[0].id));
    const overview = (await call(owner, 'GET', '/api/v1/admin/overview')).json();
    expect(overview).toEqual({ seats: { used: 1, limit: 5 }, last24h: { accountsCreated: 1, signIns: { ok: 1, token_invalid: 1 } } });
  });

  it('isAdmin in a signed token makes an admin; false makes a member again; an owner stays an owner', async () => {
    const sign = (isAdmin: boolean) => t.sign({ user: { id: 'boss', isAdmin } });
    const ex = async (code: string) => (await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: code } })).json().user.role;
    expect(await ex(await sign(true))).toBe('admin');
    expect(await ex(await sign(false))).toBe('member');
    expect(await ex(await t.sign({ user: { id: 'the-owner', isAdmin: false } }))).toBe('owner');
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id: 'x', isAdmin: 'yes' } }) } })).json().error.code).toBe('token_invalid');
  });
});

describe('owner set-up', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(async () => {
    await t.close();
  });

  it('a fresh instance gets a one-time link that asks its visitor for a name and email and makes them the owner; a second visit is told the link is used', async () => {
    const link = await t.app.services.adminLinks.ownerSetupLinkIfNeeded(PUBLIC_URL);
    expect(link).toMatch(new RegExp(`^${PUBLIC_URL}/admin/setup\\?token=[A-Za-z0-9_-]{43}$`));
    const path = link!.slice(PUBLIC_URL.length);
    // Looking at the link uses nothing up.
    for (let i = 0; i < 2; i++) {
      const form = await t.app.inject({ method: 'GET', url: path });
      expect([form.statusCode, form.headers['set-cookie'], form.headers['cache-control']]).toEqual([200, undefined, 'no-store']);
      expect(form.body).toContain('<form method="post" action="/admin/setup">');
    }
    expect(await t.app.services.users.countActive()).toBe(0);
    const first = await submitOwnerSetup(t.app, path);
    expect(first.statusCode).toBe(303);
    expect(first.headers['location']).toBe('/admin');
    const cookie = first.cookies.find((c) => c.name === 'parley_session')!;
    const me = (await t.app.inject({ method: 'GET', url: '/api/v1/me', cookies: { parley_session: cookie.value } })).json().user;
    expect(me).toMatchObject({ role: 'owner', name: OWNER.name, email: OWNER.email });
    expect(await t.app.services.users.countActive()).toBe(1);
    const again = await t.app.inject({ method: 'GET', url: path });
    expect(again.statusCode).toBe(410);
    expect(again.body).toContain('This link has already been used');
    expect(again.headers['set-cookie']).toBeUndefined();
    expect((await submitOwnerSetup(t.app, path)).statusCode).toBe(410);
    expect(await t.app.services.adminLinks.ownerSetupLinkIfNeeded(PUBLIC_URL)).toBeNull();
    expect((await t.app.inject({ method: 'GET', url: '/admin/setup?token=nope' })).statusCode).toBe(404);
    const panel = await t.app.inject({ method: 'GET', url: '/admin' });
    expect(panel.statusCode).toBe(200);
    expect(panel.body).toMatch(/<script type="module" src="\/assets\/admin-[A-Z0-9]{8}\.js"><\/script>/);
    // The owner now has an email: a sign-in link can be made for them.
    expect(await t.app.services.adminLinks.signInLink(PUBLIC_URL, OWNER.email)).toMatch(/\/admin\/setup\?token=/);
  });

  it('a restart replaces an unused set-up link; sign-in links work once for admins only', async () => {
    const old = (await t.app.services.adminLinks.ownerSetupLinkIfNeeded(PUBLIC_URL))!;
    const fresh = (await t.app.services.adminLinks.ownerSetupLinkIfNeeded(PUBLIC_URL))!;
    expect((await t.app.inject({ method: 'GET', url: old.slice(PUBLIC_URL.length) })).statusCode).toBe(410);
    expect((await submitOwnerSetup(t.app, fresh.slice(PUBLIC_URL.length))).statusCode).toBe(303);
    const ownerEmail = 'boss@example.com';
    const named = await t.app.services.adminLinks.createOwnerLink(PUBLIC_URL, ownerEmail);
    // The link names the email: the form shows it and keeps it, whatever is posted.
    expect((await t.app.inject({ method: 'GET', url: named.slice(PUBLIC_URL.length) })).body).toContain('value="boss@example.com" readonly');
    expect((await submitOwnerSetup(t.app, named.slice(PUBLIC_URL.length), { name: 'Boss', email: 'other@example.com' })).statusCode).toBe(303);
    expect((await t.app.services.users.findByEmail(ownerEmail))?.name).toBe('Boss');
    const signIn = await t.app.services.adminLinks.signInLink(PUBLIC_URL, ownerEmail);
    const used = await t.app.inject({ method: 'GET', url: signIn.slice(PUBLIC_URL.length) });
    expect(used.statusCode).toBe(303);
    expect((await t.app.inject({ method: 'GET', url: signIn.slice(PUBLIC_URL.length) })).statusCode).toBe(410);
    await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id: 'm', email: 'member@example.com' } }) } });
    await expect(t.app.services.adminLinks.signInLink(PUBLIC_URL, 'member@example.com')).rejects.toMatchObject({ code: 'admin_required' });
    t.clock.now += 16 * 60_000;
    const late = await t.app.services.adminLinks.signInLink(PUBLIC_URL, ownerEmail);
    t.clock.now += 16 * 60_000;
    expect((await t.app.inject({ method: 'GET', url: late.slice(PUBLIC_URL.length) })).statusCode).toBe(410);
  });
});
