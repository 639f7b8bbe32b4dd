/**
 * `GET /api/v1/admin/inbox/counts`: how many of the organization's conversations wait for an answer (their last
 * message is not an owner's or admin's), the count the admin panel shows in its tab title and beside Inbox.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';

type Headers = Record<string, string>;

describe.each(DIALECTS)('the inbox counts on %s', (dialect) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ dialect, env: { PARLEY_SEAT_LIMIT: '20' } });
  });
  afterEach(async () => {
    await t.close();
  });

  async function sessionFor(id: string, role: 'owner' | 'admin' | 'member' = 'member', organizationId?: string): Promise<Headers> {
    const user = { id, name: id, ...(organizationId ? { organizationId } : {}) };
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user }) } });
    expect(res.statusCode).toBe(200);
    if (role !== 'member') await t.app.services.users.setRole(res.json().user.id, role);
    return { authorization: `Bearer ${res.json().session.token}` };
  }
  const counts = async (headers: Headers) => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/admin/inbox/counts', headers });
    return [res.statusCode, res.json()];
  };
  const start = async (headers: Headers, text: string, clientMessageId: string) =>
    (await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers, payload: { message: { text, clientMessageId } } })).json().conversation.id as string;
  const post = (headers: Headers, id: string, text: string, clientMessageId: string) =>
    t.app.inject({ method: 'POST', url: `/api/v1/admin/conversations/${id}/messages`, headers, payload: { text, clientMessageId } });

  it('counts the conversations whose last message is a user’s; an answer takes one off, a reply puts it back', async () => {
    const owner = await sessionFor('the-owner', 'owner');
    expect(await counts(owner)).toEqual([200, { waiting: 0 }]);
    const alice = await sessionFor('alice');
    const bob = await sessionFor('bob');
    const a = await start(alice, 'Help with billing', 'a1');
    await start(bob, 'Login broken', 'b1');
    // An empty conversation waits for nothing.
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: alice, payload: {} })).statusCode).toBe(201);
    expect(await counts(owner)).toEqual([200, { waiting: 2 }]);

    expect((await post(owner, a, 'On it', 'o1')).statusCode).toBe(201);
    expect(await counts(owner)).toEqual([200, { waiting: 1 }]);
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/conversations/${a}/messages`, headers: alice, payload: { text: 'Thanks, and…', clientMessageId: 'a2' } })).statusCode).toBe(201);
    expect(await counts(owner)).toEqual([200, { waiting: 2 }]);
  });

  it('counts only the administrator’s organization, and is refused to members and to no one', async () => {
    const owner = await sessionFor('the-owner', 'owner');
    const other = await sessionFor('globex-user', 'member', 'globex');
    await start(other, 'Elsewhere', 'g1');
    expect(await counts(owner)).toEqual([200, { waiting: 0 }]);
    await start(await sessionFor('alice'), 'Here', 'a1');
    expect(await counts(owner)).toEqual([200, { waiting: 1 }]);
    const member = await sessionFor('carol');
    expect(await counts(member)).toEqual([403, { error: { code: 'admin_required', message: expect.any(String) } }]);
    expect((await counts({}))[0]).toBe(401);
  });
});
