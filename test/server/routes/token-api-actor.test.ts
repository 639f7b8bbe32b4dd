/**
 * The token API acts as its credential (an admin's rights, never an owner's): every user and permission it
 * changes is in the audit log under the credential's name and apiKey, in the transaction of the change; a
 * move or a role change ends the account's open streams; and a database that cannot be reached is a 503 to
 * retry in the API's own envelope, never a 500.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';

describe.each(DIALECTS)('the token API as an actor, on %s', (dialect) => {
  let t: TestApp;
  let headers: Record<string, string>;
  let apiKey: string;
  beforeEach(async () => {
    t = await createTestApp({ dialect });
    const creds = await t.app.services.apiCredentials.create('billing backend', t.clock.now);
    apiKey = creds.apiKey;
    headers = { 'x-api-key': creds.apiKey, 'x-auth-token': creds.authToken };
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await t.close();
  });
  const call = (url: string, payload: unknown) => t.app.inject({ method: 'POST', url, headers, payload: payload as object });
  const audit = () => t.db.store.db.selectFrom('audit_log').select(['action', 'actor_id', 'actor_label', 'outcome', 'target']).where('kind', '=', 'admin').orderBy('id').execute();

  it('records each change under the credential, refusals with their code', async () => {
    expect((await call('/v2/users/add', { users: [{ userId: 'ada', organizationId: 'acme' }, { userId: 'ada2', email: 'x@example.com' }] })).statusCode).toBe(200);
    expect((await call('/v2/users/add', { users: [{ userId: 'ada' }] })).json().result.data.ada).toEqual({ success: false, message: 'User already exists.' });
    const ada = (await t.app.services.users.findByExternalId('ada'))!;
    await call('/v2/users/update', { users: [{ userId: 'ada', name: 'Ada L.' }] });
    await call('/v2/auth/permissions/add', { userIds: ['ada'], permissions: { resources: [{ type: 'document', id: 'doc-1', organizationId: 'acme', accessRole: 'viewer' }] } });
    await call('/v2/auth/permissions/remove', { userIds: ['ada'], permissions: { resources: [{ type: 'document', id: 'doc-1', organizationId: 'acme' }] } });
    await call('/v2/users/delete', { userIds: ['ada'] });
    const label = `token API credential "billing backend" (${apiKey})`;
    expect(await audit()).toEqual([
      { action: 'user.create', actor_id: null, actor_label: label, outcome: 'ok', target: 'ada' },
      { action: 'user.create', actor_id: null, actor_label: label, outcome: 'ok', target: 'ada2' },
      { action: 'user.create', actor_id: null, actor_label: label, outcome: 'external_id_conflict', target: 'ada' },
      { action: 'user.update', actor_id: null, actor_label: label, outcome: 'ok', target: 'ada' },
      { action: 'grant.add', actor_id: null, actor_label: label, outcome: 'ok', target: ada.id },
      { action: 'grant.remove', actor_id: null, actor_label: label, outcome: 'ok', target: ada.id },
      { action: 'user.delete', actor_id: null, actor_label: label, outcome: 'ok', target: ada.id },
    ]);
  });

  it('cannot delete an owner: the refusal is that user’s result, and audited', async () => {
    const owner = await t.app.services.users.createWithinSeatLimit(
      { externalId: 'the-owner', email: null, name: 'Owner', avatarUrl: null, metadata: {}, role: 'owner', organizationId: 'default', createdVia: 'admin' },
      10,
      t.clock.now,
    );
    expect(owner.ok).toBe(true);
    const res = (await call('/v2/users/delete', { userIds: ['the-owner'] })).json().result.data;
    expect(res['the-owner']).toEqual({ success: false, message: 'Only an owner may do this.' });
    expect(await t.app.services.users.findByExternalId('the-owner')).toBeDefined();
    expect((await audit()).map((e) => [e.action, e.outcome])).toEqual([['user.delete', 'owner_required']]);
  });

  it('a move to another organization or a role change ends the account’s open streams', async () => {
    await call('/v2/users/add', { users: [{ userId: 'bob', organizationId: 'acme' }] });
    const bob = (await t.app.services.users.findByExternalId('bob'))!;
    const ended = vi.spyOn(t.app.services.bus, 'endUserSessions');
    await call('/v2/users/update', { users: [{ userId: 'bob', name: 'Bob' }] });
    expect(ended).not.toHaveBeenCalled();
    await call('/v2/users/update', { users: [{ userId: 'bob', organizationId: 'globex' }] });
    expect(ended).toHaveBeenCalledWith(bob.id);
    ended.mockClear();
    await call('/v2/users/update', { users: [{ userId: 'bob', isAdmin: true }] });
    expect(ended).toHaveBeenCalledWith(bob.id);
  });

  it('a database that cannot be reached answers 503 UNAVAILABLE with Retry-After', async () => {
    vi.spyOn(t.app.services.apiCredentials, 'verify').mockRejectedValue(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }));
    const res = await t.app.inject({ method: 'POST', url: '/v2/auth/generate_token', headers, payload: { userId: 'ada' } });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('2');
    expect(res.json()).toEqual({ error: { message: 'The service is briefly unavailable. Try again shortly.', status: 'UNAVAILABLE' } });
  });
});
