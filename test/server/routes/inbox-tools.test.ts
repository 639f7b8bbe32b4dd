/**
 * What an agent keeps beside the inbox: canned replies (`/api/v1/admin/canned-replies`), their own profile
 * (`/api/v1/admin/profile`: display name, avatar, alert sound, shown on their messages), and the side panel
 * of who a conversation is with (`/api/v1/admin/conversations/:id/customer`, the page coming from the
 * widget's exchange).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';

type Headers = Record<string, string>;

describe.each(DIALECTS)('the inbox tools on %s', (dialect) => {
  let t: TestApp;

  async function sessionFor(user: Record<string, unknown>, role: 'owner' | 'admin' | 'member' = 'member', page?: string) {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user }), ...(page !== undefined ? { page } : {}) } });
    expect(res.statusCode).toBe(200);
    const { session, user: created } = res.json();
    if (role !== 'member') await t.app.services.users.setRole(created.id, role);
    return { headers: { authorization: `Bearer ${session.token}` } as Headers, userId: created.id as string };
  }
  const call = (headers: Headers, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) => t.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
  const error = (res: { statusCode: number; json: () => { error: { code: string; message: string } } }) => [res.statusCode, res.json().error.code, res.json().error.message];

  beforeEach(async () => {
    t = await createTestApp({ dialect, env: { PARLEY_SEAT_LIMIT: '20' } });
  });
  afterEach(async () => {
    await t.close();
  });

  it('canned replies: create, search by the start of a word (titles first), change, delete; audited; bad input is 400', async () => {
    const owner = await sessionFor({ id: 'the-owner', email: 'owner@example.com' }, 'owner');
    const member = await sessionFor({ id: 'alice' });
    const create = (payload: object) => call(owner.headers, 'POST', '/api/v1/admin/canned-replies', payload);
    const refund = await create({ title: ' Refund policy ', text: 'Refunds take 5 days.\nWrite to billing.' });
    expect(refund.statusCode).toBe(201);
    expect(refund.json()).toEqual({ cannedReply: { id: expect.stringMatching(/^cr_/), title: 'Refund policy', text: 'Refunds take 5 days.\nWrite to billing.', createdAt: '2026-11-20T12:00:00.000Z', updatedAt: '2026-11-20T12:00:00.000Z' } });
    const hello = (await create({ title: 'Greeting', text: 'Hello! How can we help with your refund?' })).json().cannedReply;
    await create({ title: '100% sure', text: 'Certainly.' });
    const titles = async (q?: string) =>
      (await call(owner.headers, 'GET', `/api/v1/admin/canned-replies${q === undefined ? '' : `?q=${encodeURIComponent(q)}`}`)).json().cannedReplies.map((c: { title: string }) => c.title);
    expect(await titles()).toEqual(['100% sure', 'Greeting', 'Refund policy']);
    expect(await titles('ref')).toEqual(['Refund policy', 'Greeting']);
    expect(await titles('REF')).toEqual(['Refund policy', 'Greeting']);
    expect(await titles('und')).toEqual([]);
    // LIKE's wildcards are literal.
    expect(await titles('%')).toEqual([]);
    expect(await titles('100%')).toEqual(['100% sure']);

    t.clock.now += 60_000;
    const changed = await call(owner.headers, 'PATCH', `/api/v1/admin/canned-replies/${hello.id}`, { text: 'Hi there!' });
    expect(changed.json().cannedReply).toEqual({ ...hello, text: 'Hi there!', updatedAt: '2026-11-20T12:01:00.000Z' });
    expect((await call(owner.headers, 'DELETE', `/api/v1/admin/canned-replies/${hello.id}`)).statusCode).toBe(204);
    expect(error(await call(owner.headers, 'DELETE', `/api/v1/admin/canned-replies/${hello.id}`))).toEqual([404, 'canned_reply_not_found', expect.any(String)]);
    expect(error(await call(owner.headers, 'PATCH', '/api/v1/admin/canned-replies/cr_nowhere', { text: 'x' }))).toEqual([404, 'canned_reply_not_found', expect.any(String)]);

    expect(error(await create({ title: '', text: 'x' }))).toEqual([400, 'bad_request', 'title must be 1 to 80 characters']);
    expect(error(await create({ title: 'x'.repeat(81), text: 'x' }))).toEqual([400, 'bad_request', 'title must be 1 to 80 characters']);
    expect(error(await create({ title: 'a\tb', text: 'x' }))).toEqual([400, 'bad_request', 'title must not contain control characters']);
    expect(error(await create({ title: 'T', text: 'x'.repeat(10_001) }))).toEqual([400, 'bad_request', 'text must be 1 to 10000 characters']);
    expect(error(await create({ title: 'T', text: 42 }))).toEqual([400, 'bad_request', 'text must be a text']);
    expect(error(await create({ title: 'T' }))).toEqual([400, 'bad_request', 'title and text are required']);
    expect((await create({ title: 'T', text: 'x', extra: 1 })).statusCode).toBe(400);
    expect(error(await call(member.headers, 'GET', '/api/v1/admin/canned-replies'))).toEqual([403, 'admin_required', expect.any(String)]);

    const actions = (await call(owner.headers, 'GET', '/api/v1/admin/audit?kind=admin')).json().entries.map((e: { action: string; outcome: string }) => `${e.action} ${e.outcome}`);
    expect(actions.slice(0, 6)).toEqual([
      'canned_reply.update canned_reply_not_found',
      'canned_reply.delete canned_reply_not_found',
      'canned_reply.delete ok',
      'canned_reply.update ok',
      'canned_reply.create ok',
      'canned_reply.create ok',
    ]);
  });

  it('profile: an administrator names themselves; their messages carry that name, avatar and agent mark; the sound is saved', async () => {
    const owner = await sessionFor({ id: 'the-owner', email: 'owner@example.com' }, 'owner');
    const alice = await sessionFor({ id: 'alice', name: 'Alice' });
    expect((await call(owner.headers, 'GET', '/api/v1/admin/profile')).json()).toEqual({
      profile: { id: owner.userId, name: null, email: 'owner@example.com', avatarUrl: null, role: 'owner', preferences: { sound: false, agentEmails: true } },
    });
    const saved = await call(owner.headers, 'PATCH', '/api/v1/admin/profile', { name: '  Olga from Support ', avatarUrl: 'https://cdn.example.com/olga.png', sound: true });
    expect(saved.json()).toEqual({
      profile: { id: owner.userId, name: 'Olga from Support', email: 'owner@example.com', avatarUrl: 'https://cdn.example.com/olga.png', role: 'owner', preferences: { sound: true, agentEmails: true } },
    });
    expect((await call(owner.headers, 'PATCH', '/api/v1/admin/profile', { sound: false })).json().profile.preferences).toEqual({ sound: false, agentEmails: true });

    const conversation = (await call(alice.headers, 'POST', '/api/v1/conversations', { message: { text: 'Hi', clientMessageId: 'a1' } })).json().conversation;
    await call(owner.headers, 'POST', `/api/v1/admin/conversations/${conversation.id}/messages`, { text: 'Hello Alice', clientMessageId: 'o1' });
    const messages = (await call(alice.headers, 'GET', `/api/v1/conversations/${conversation.id}/messages`)).json().messages;
    expect(messages.map((m: { author: unknown }) => m.author)).toEqual([
      { type: 'user', id: alice.userId, name: 'Alice', avatarUrl: null, agent: false },
      { type: 'user', id: owner.userId, name: 'Olga from Support', avatarUrl: 'https://cdn.example.com/olga.png', agent: true },
    ]);

    for (const [payload, message] of [
      [{ name: '' }, 'name must be 1 to 100 characters'],
      [{ name: 'x'.repeat(101) }, 'name must be 1 to 100 characters'],
      [{ avatarUrl: 'http://cdn.example.com/a.png' }, 'avatarUrl must be an https URL of at most 2048 characters, or null'],
      [{ sound: 'yes' }, 'sound must be true or false'],
    ] as const) {
      expect(error(await call(owner.headers, 'PATCH', '/api/v1/admin/profile', payload))).toEqual([400, 'bad_request', message]);
    }
    expect((await call(owner.headers, 'PATCH', '/api/v1/admin/profile', {})).statusCode).toBe(400);
    expect(error(await call(alice.headers, 'GET', '/api/v1/admin/profile'))).toEqual([403, 'admin_required', expect.any(String)]);
    expect((await call(owner.headers, 'GET', '/api/v1/admin/audit?kind=admin')).json().entries[0]).toMatchObject({ action: 'profile.update', outcome: 'ok', target: owner.userId });
  });

  it('the customer panel: who the conversation is with, their signed metadata, the page of their last visit, their other conversations', async () => {
    const owner = await sessionFor({ id: 'the-owner' }, 'owner');
    const claims = { id: 'crm-42', name: 'Alice', email: 'alice@example.com', plan: 'pro', seats: 3 };
    const alice = await sessionFor(claims, 'member', 'https://app.example.com/billing/invoices?token=secret#frag');
    const first = (await call(alice.headers, 'POST', '/api/v1/conversations', { message: { text: 'First', clientMessageId: 'a1' } })).json().conversation;
    t.clock.now += 1000;
    const second = (await call(alice.headers, 'POST', '/api/v1/conversations', { message: { text: 'Second', clientMessageId: 'a2' } })).json().conversation;
    const res = await call(owner.headers, 'GET', `/api/v1/admin/conversations/${second.id}/customer`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      customer: {
        id: alice.userId,
        externalId: 'crm-42',
        email: 'alice@example.com',
        name: 'Alice',
        avatarUrl: null,
        organizationId: 'default',
        organizationName: 'Default',
        metadata: [
          { key: 'plan', value: 'pro' },
          { key: 'seats', value: '3' },
        ],
        firstSeenAt: '2026-11-20T12:00:00.000Z',
        lastSeenAt: expect.any(String),
        lastPage: 'https://app.example.com/billing/invoices',
        active: true,
        conversations: [{ id: first.id, title: 'First', status: 'open', lastMessageAt: '2026-11-20T12:00:00.000Z' }],
      },
    });
    // A conversation an administrator started and nobody else joined is with no one.
    const mine = (await call(owner.headers, 'POST', '/api/v1/conversations', {})).json().conversation;
    expect((await call(owner.headers, 'GET', `/api/v1/admin/conversations/${mine.id}/customer`)).json()).toEqual({ customer: null });
    expect(error(await call(owner.headers, 'GET', '/api/v1/admin/conversations/cnv_nowhere/customer'))).toEqual([404, 'conversation_not_found', expect.any(String)]);
    expect(error(await call(alice.headers, 'GET', `/api/v1/admin/conversations/${first.id}/customer`))).toEqual([403, 'admin_required', expect.any(String)]);
    // A page that is no web page's address (a file, a sandboxed frame, an app's webview, a script) is not
    // recorded, and the user signs in all the same.
    for (const page of ['javascript:alert(1)', 'not a url', 'https://user:pw@app.example.com/', 'null/index.html', 'capacitor://localhost/', 'file:///C:/app/index.html']) {
      const signedIn = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: claims }), page } });
      expect([page, signedIn.statusCode]).toEqual([page, 200]);
    }
    expect((await call(owner.headers, 'GET', `/api/v1/admin/conversations/${first.id}/customer`)).json().customer.lastPage).toBe('https://app.example.com/billing/invoices');
  });
});
