/**
 * Regressions found by reviewing the application layer: a refusal for lack of rights is audited like any
 * other; the token API never changes or moves an owner; the account-switch question is audited as asked,
 * and the switch itself as a sign-in; an idempotent retry of a message never counts against the message
 * limit.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, PUBLIC_URL, type TestApp } from '../../helpers/app.js';

let t: TestApp;
afterEach(async () => {
  await t.close();
});
const auditRows = () => t.db.store.db.selectFrom('audit_log').select(['kind', 'action', 'outcome', 'actor_id', 'target']).orderBy('id').execute();
const bearer = async (user: Record<string, unknown>) => {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user }) } });
  return { id: res.json().user.id as string, headers: { authorization: `Bearer ${res.json().session.token}` } };
};

describe('refusals and actors', () => {
  beforeEach(async () => {
    t = await createTestApp({ env: { PARLEY_MESSAGE_RATE_LIMIT: '2/10s' } });
  });

  it('an admin (not an owner) creating a key or a credential is refused, and the refusal is audited', async () => {
    const admin = await bearer({ id: 'an-admin', isAdmin: true });
    for (const [url, payload, action] of [
      ['/api/v1/admin/keys', undefined, 'key.create'],
      ['/api/v1/admin/api-credentials', { name: 'x' }, 'api_credential.create'],
    ] as const) {
      const res = await t.app.inject({ method: 'POST', url, headers: admin.headers, ...(payload ? { payload } : {}) });
      expect([res.statusCode, res.json().error.code]).toEqual([403, 'owner_required']);
      expect((await auditRows()).filter((e) => e.kind === 'admin').at(-1)).toEqual({ kind: 'admin', action, outcome: 'owner_required', actor_id: admin.id, target: null });
    }
  });

  it('the token API cannot change, move or demote an owner', async () => {
    const owner = await t.app.services.users.createWithinSeatLimit(
      { externalId: 'boss', email: 'boss@example.com', name: 'Boss', avatarUrl: null, metadata: {}, role: 'owner', organizationId: 'default', createdVia: 'admin' },
      10,
      t.clock.now,
    );
    if (!owner.ok) throw new Error('no owner');
    const creds = await t.app.services.apiCredentials.create('backend', t.clock.now);
    const res = await t.app.inject({
      method: 'POST',
      url: '/v2/users/update',
      headers: { 'x-api-key': creds.apiKey, 'x-auth-token': creds.authToken },
      payload: { users: [{ userId: 'boss', email: 'attacker@evil.example', organizationId: 'elsewhere', isAdmin: false }] },
    });
    expect(res.json().result.data.boss).toEqual({ success: false, message: 'Only an owner may do this.' });
    expect(await t.app.services.users.findById(owner.user.id)).toMatchObject({ email: 'boss@example.com', organization_id: 'default', role: 'owner' });
    expect((await auditRows()).at(-1)).toMatchObject({ action: 'user.update', outcome: 'owner_required', target: 'boss' });
  });

  it('a retry of the same clientMessageId never counts against the message limit', async () => {
    const ada = await bearer({ id: 'ada' });
    const conversation = (await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: ada.headers, payload: {} })).json().conversation.id;
    const post = (clientMessageId: string) => t.app.inject({ method: 'POST', url: `/api/v1/conversations/${conversation}/messages`, headers: ada.headers, payload: { text: 'hi', clientMessageId } });
    expect([(await post('one')).statusCode, (await post('one')).statusCode, (await post('one')).statusCode]).toEqual([201, 200, 200]);
    expect((await post('two')).statusCode).toBe(201);
    const third = await post('three');
    expect([third.statusCode, third.json().error.code]).toEqual([429, 'rate_limited']);
    // The refused one was not stored.
    const page = (await t.app.inject({ method: 'GET', url: `/api/v1/conversations/${conversation}/messages`, headers: ada.headers })).json();
    expect(page.messages.map((m: { clientMessageId: string }) => m.clientMessageId)).toEqual(['one', 'two']);
  });

  it('the account-switch question is audited as asked, and the switch as a sign-in', async () => {
    const signIn = await t.app.inject({ method: 'GET', url: `/?externalAuthCode=${await t.sign({ user: { id: 'alice' } })}` });
    const alice = signIn.cookies.find((c) => c.name === 'parley_session')!.value;
    const question = await t.app.inject({ method: 'GET', url: `/?externalAuthCode=${await t.sign({ user: { id: 'mallory' } })}`, cookies: { parley_session: alice } });
    expect(question.statusCode).toBe(200);
    const mallory = (await t.app.services.users.findByExternalId('mallory'))!;
    expect((await auditRows()).at(-1)).toEqual({ kind: 'sign_in', action: 'sign_in.link', outcome: 'switch_asked', actor_id: mallory.id, target: null });
    const pending = /name="pending" value="([^"]+)"/.exec(question.body)![1]!;
    const done = await t.app.inject({
      method: 'POST',
      url: '/sign-in/continue',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: PUBLIC_URL, 'sec-fetch-site': 'same-origin' },
      cookies: { parley_session: alice },
      payload: new URLSearchParams({ pending, next: '/' }).toString(),
    });
    expect(done.statusCode).toBe(303);
    expect((await auditRows()).at(-1)).toEqual({ kind: 'sign_in', action: 'sign_in.link', outcome: 'ok', actor_id: mallory.id, target: null });
  });
});
