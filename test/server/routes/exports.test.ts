/**
 * Exports (docs/admin-api.md, Exports): `GET /api/v1/admin/conversations/:id/export` (a transcript as JSON or
 * text, internal notes included) and `GET /api/v1/admin/users/:id/export` (all of one account's data, internal
 * notes left out), written as streams fed page by page; refused as the other admin reads are.
 */
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';
import { EXPORT_PAGE_SIZE } from '../../../server/src/admin/exports.js';

type Headers = Record<string, string>;
interface Who {
  headers: Headers;
  userId: string;
}
type Response = { statusCode: number; headers: Record<string, unknown>; body: string; json: () => any };

describe.each(DIALECTS)('exports on %s', (dialect) => {
  let t: TestApp;
  let owner: Who;
  let alice: Who;

  async function sessionFor(user: Record<string, unknown>, role: 'owner' | 'admin' | 'member' = 'member'): Promise<Who> {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user }) } });
    expect(res.statusCode).toBe(200);
    const { session, user: created } = res.json();
    if (role !== 'member') await t.app.services.users.setRole(created.id, role);
    return { headers: { authorization: `Bearer ${session.token}` }, userId: created.id };
  }
  const call = (who: Who, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object): Promise<Response> =>
    t.app.inject({ method, url, headers: who.headers, ...(payload ? { payload } : {}) }) as Promise<Response>;
  const start = async (who: Who, text: string, clientMessageId: string) => (await call(who, 'POST', '/api/v1/conversations', { message: { text, clientMessageId } })).json().conversation;
  const post = async (who: Who, id: string, text: string, clientMessageId: string, internal = false) => {
    const res = await call(who, 'POST', `/api/v1/admin/conversations/${id}/messages`, { text, clientMessageId, ...(internal ? { internal } : {}) });
    expect(res.statusCode).toBe(201);
    return res.json().message;
  };
  const write = async (who: Who, id: string, text: string, clientMessageId: string) => {
    const res = await call(who, 'POST', `/api/v1/conversations/${id}/messages`, { text, clientMessageId });
    expect(res.statusCode).toBe(201);
    return res.json().message;
  };
  const error = (res: Response) => [res.statusCode, res.json()];

  /**
   * A conversation of Alice's at 2026-11-20 12:00 UTC: her question, the owner's note and answer, her
   * two-line reply, and a message of hers the owner deletes.
   */
  async function support() {
    const conversation = await start(alice, 'Refund please', 'q1');
    t.clock.now += 60_000;
    const note = await post(owner, conversation.id, 'Customer since 2019, be generous', 'n1', true);
    t.clock.now += 60_000;
    await post(owner, conversation.id, 'Refunded.', 'a1');
    t.clock.now += 60_000;
    await write(alice, conversation.id, 'Thanks!\nAll good now.', 'q2');
    t.clock.now += 60_000;
    const regret = await write(alice, conversation.id, 'My card is 4111 1111 1111 1111', 'q3');
    expect((await call(owner, 'DELETE', `/api/v1/admin/conversations/${conversation.id}/messages/${regret.id}`)).statusCode).toBe(204);
    return { conversation, note, regret };
  }

  beforeEach(async () => {
    t = await createTestApp({ dialect });
    owner = await sessionFor({ id: 'the-owner', name: 'Olga Owner', email: 'olga@example.com' }, 'owner');
    alice = await sessionFor({ id: 'alice', name: 'Alice Martin', email: 'alice@example.com', plan: 'pro', seats: 3 });
  });
  afterEach(async () => {
    await t.close();
  });

  it('a transcript as JSON: the inbox’s conversation, its participants, every message as the admin REST shows it, notes included, the deleted one without text', async () => {
    const { conversation, regret } = await support();
    const res = await call(owner, 'GET', `/api/v1/admin/conversations/${conversation.id}/export`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="conversation-${conversation.id}.json"`);
    expect(res.headers['cache-control']).toBe('no-store');

    const inboxConversation = (await call(owner, 'GET', '/api/v1/admin/conversations')).json().conversations.find((c: { id: string }) => c.id === conversation.id);
    const adminMessages = (await call(owner, 'GET', `/api/v1/admin/conversations/${conversation.id}/messages`)).json().messages;
    const body = JSON.parse(res.body);
    expect(body).toEqual({
      conversation: inboxConversation,
      participants: [
        { id: alice.userId, externalId: 'alice', name: 'Alice Martin', email: 'alice@example.com', role: 'member', agent: false, joinedAt: '2026-11-20T12:00:00.000Z' },
        { id: owner.userId, externalId: 'the-owner', name: 'Olga Owner', email: 'olga@example.com', role: 'owner', agent: true, joinedAt: '2026-11-20T12:01:00.000Z' },
      ],
      messages: adminMessages,
    });
    expect(body.messages.map((m: { text: string; internal: boolean }) => [m.text, m.internal])).toEqual([
      ['Refund please', false],
      ['Customer since 2019, be generous', true],
      ['Refunded.', false],
      ['Thanks!\nAll good now.', false],
      ['', false],
    ]);
    expect(body.messages[4]).toMatchObject({ id: regret.id, text: '', deletedAt: '2026-11-20T12:04:00.000Z' });
    expect(res.body).not.toContain('4111');
    // `?format=json` is the default spelled out.
    expect((await call(owner, 'GET', `/api/v1/admin/conversations/${conversation.id}/export?format=json`)).body).toBe(res.body);
  });

  it('a transcript as text: a header, then one line per message, notes marked, deleted ones said, more lines indented', async () => {
    const { conversation } = await support();
    const res = await call(owner, 'GET', `/api/v1/admin/conversations/${conversation.id}/export?format=txt`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="conversation-${conversation.id}.txt"`);
    expect(res.body.split('\n')).toEqual([
      'Title: Refund please',
      `Conversation: ${conversation.id}`,
      'Created: 2026-11-20 12:00 UTC',
      'Status: open',
      '',
      '[2026-11-20 12:00 UTC] Alice Martin: Refund please',
      '[2026-11-20 12:01 UTC] Olga Owner (internal note): Customer since 2019, be generous',
      '[2026-11-20 12:02 UTC] Olga Owner: Refunded.',
      '[2026-11-20 12:03 UTC] Alice Martin: Thanks!',
      '    All good now.',
      '[2026-11-20 12:04 UTC] Alice Martin: Message deleted',
      '',
    ]);
  });

  it('a user’s data: profile with metadata, their conversations with every message but the notes, and the audit entries naming them', async () => {
    const { conversation, note, regret } = await support();
    t.clock.now += 60_000;
    const later = await start(alice, 'Another question', 'q4');
    // Someone else's conversation is not Alice's data.
    const bob = await sessionFor({ id: 'bob', name: 'Bob' });
    await start(bob, 'Bob here', 'b1');
    t.clock.now += 60_000;
    expect((await call(owner, 'POST', `/api/v1/admin/users/${alice.userId}/deactivate`)).statusCode).toBe(200);

    const res = await call(owner, 'GET', `/api/v1/admin/users/${alice.userId}/export`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="user-${alice.userId}.json"`);
    const body = JSON.parse(res.body);

    const profile = (await call(owner, 'GET', `/api/v1/admin/users/${alice.userId}`)).json().user;
    expect(body.user).toEqual({ ...profile, metadata: { plan: 'pro', seats: 3 } });
    expect(body.user).toMatchObject({ id: alice.userId, externalId: 'alice', email: 'alice@example.com', active: false });

    const adminMessages = (await call(owner, 'GET', `/api/v1/admin/conversations/${conversation.id}/messages`)).json().messages;
    const publicMessages = adminMessages.filter((m: { id: string }) => m.id !== note.id);
    expect(publicMessages).toHaveLength(4);
    const asUser = async (id: string) => (await call(owner, 'GET', `/api/v1/conversations/${id}`)).json().conversation;
    expect(body.conversations).toEqual([
      { ...(await asUser(conversation.id)), messages: publicMessages },
      { ...(await asUser(later.id)), messages: [later.lastMessage] },
    ]);
    expect(body.conversations[0].lastMessage.id).toBe(regret.id);
    expect(res.body).not.toContain('Customer since 2019');
    expect(res.body).not.toContain('Bob here');
    expect(body.conversations[0].messages[3]).toMatchObject({ id: regret.id, text: '', deletedAt: '2026-11-20T12:04:00.000Z' });

    const audit = (await call(owner, 'GET', '/api/v1/admin/audit?limit=200')).json().entries as { action: string; actor: { id: string | null }; target: string | null }[];
    const theirs = audit.filter((e) => e.actor.id === alice.userId || e.target === alice.userId).reverse();
    // Her sign-in (she is its actor) and her deactivation (its target), oldest first.
    expect(theirs.map((e) => e.action)).toEqual(['sign_in.exchange', 'user.deactivate']);
    expect(body.auditEntries).toEqual(theirs);
  });

  it('a conversation of 1,200 messages comes out whole and in order, in pages, as JSON and as text', async () => {
    const conversation = await start(alice, 'Message 0', 'm0');
    const total = 1_200;
    const base = t.clock.now;
    for (let i = 1; i < total; i += 200) {
      const rows = Array.from({ length: Math.min(200, total - i) }, (_, k) => {
        const n = i + k;
        return { id: `msg_bulk${String(n).padStart(5, '0')}`, conversation_id: conversation.id, author_type: 'user' as const, author_id: alice.userId, text: `Message ${n}`, client_message_id: `m${n}`, created_at: base + n * 1000, internal: n % 100 === 0 ? 1 : 0 };
      });
      await t.db.store.db.insertInto('messages').values(rows).execute();
    }
    expect(total).toBeGreaterThan(2 * EXPORT_PAGE_SIZE);

    const json = await call(owner, 'GET', `/api/v1/admin/conversations/${conversation.id}/export`);
    expect(json.statusCode).toBe(200);
    const messages = JSON.parse(json.body).messages as { text: string; internal: boolean }[];
    expect(messages.map((m) => m.text)).toEqual(Array.from({ length: total }, (_, n) => `Message ${n}`));
    expect(messages.filter((m) => m.internal)).toHaveLength(11);

    // Compressed for a browser that accepts it, as it streams.
    const gzipped = await t.app.inject({ method: 'GET', url: `/api/v1/admin/conversations/${conversation.id}/export`, headers: { ...owner.headers, 'accept-encoding': 'gzip' } });
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gzipped.rawPayload).toString('utf8')).toBe(json.body);

    const text = await call(owner, 'GET', `/api/v1/admin/conversations/${conversation.id}/export?format=txt`);
    const lines = text.body.split('\n').slice(5, -1);
    expect(lines).toHaveLength(total);
    expect(lines[0]).toBe('[2026-11-20 12:00 UTC] Alice Martin: Message 0');
    expect(lines[600]).toBe('[2026-11-20 12:10 UTC] Alice Martin (internal note): Message 600');
    expect(lines[1199]).toBe('[2026-11-20 12:19 UTC] Alice Martin: Message 1199');

    // The user's export has them all too, notes aside.
    const data = JSON.parse((await call(owner, 'GET', `/api/v1/admin/users/${alice.userId}/export`)).body);
    expect(data.conversations[0].messages.map((m: { text: string }) => m.text)).toEqual(Array.from({ length: total }, (_, n) => `Message ${n}`).filter((_, n) => n === 0 || n % 100 !== 0));
  });

  it('refuses another organization’s conversation or account, unknown and malformed ids, a wrong format, and members', async () => {
    const { conversation } = await support();
    const notFound = { error: { code: 'conversation_not_found', message: 'No such conversation.' } };
    const noAccount = { error: { code: 'account_not_found', message: 'No account has this id.' } };

    const acme = await sessionFor({ id: 'zed', name: 'Zed', organizationId: 'acme' });
    const theirs = await start(acme, 'Acme question', 'z1');
    expect(theirs.organizationId).toBe('acme');
    expect(error(await call(owner, 'GET', `/api/v1/admin/conversations/${theirs.id}/export`))).toEqual([404, notFound]);
    expect(error(await call(owner, 'GET', `/api/v1/admin/conversations/${theirs.id}/export?format=txt`))).toEqual([404, notFound]);
    expect(error(await call(owner, 'GET', '/api/v1/admin/conversations/cnv_nowhere/export'))).toEqual([404, notFound]);
    expect(error(await call(owner, 'GET', '/api/v1/admin/conversations/not%20an%20id/export'))).toEqual([404, notFound]);
    expect(error(await call(owner, 'GET', `/api/v1/admin/conversations/${'x'.repeat(65)}/export`))).toEqual([404, notFound]);

    expect(error(await call(owner, 'GET', `/api/v1/admin/conversations/${conversation.id}/export?format=pdf`))).toEqual([
      400,
      { error: { code: 'bad_request', message: 'format must be "json" or "txt", not "pdf".' } },
    ]);

    expect(error(await call(owner, 'GET', '/api/v1/admin/users/usr_nowhere/export'))).toEqual([404, noAccount]);
    expect(error(await call(owner, 'GET', '/api/v1/admin/users/not%20an%20id/export'))).toEqual([404, noAccount]);
    // An admin exports the accounts of their organization only; an owner any.
    const admin = await sessionFor({ id: 'the-admin', name: 'Ada Admin' }, 'admin');
    expect(error(await call(admin, 'GET', `/api/v1/admin/users/${acme.userId}/export`))).toEqual([404, noAccount]);
    expect((await call(admin, 'GET', `/api/v1/admin/users/${alice.userId}/export`)).statusCode).toBe(200);
    const acmeData = await call(owner, 'GET', `/api/v1/admin/users/${acme.userId}/export`);
    expect(acmeData.statusCode).toBe(200);
    expect(JSON.parse(acmeData.body).conversations.map((c: { title: string }) => c.title)).toEqual(['Acme question']);

    const forbidden = { error: { code: 'admin_required', message: 'Administrators only.' } };
    expect(error(await call(alice, 'GET', `/api/v1/admin/conversations/${conversation.id}/export`))).toEqual([403, forbidden]);
    expect(error(await call(alice, 'GET', `/api/v1/admin/users/${alice.userId}/export`))).toEqual([403, forbidden]);
    const anonymous = await t.app.inject({ method: 'GET', url: `/api/v1/admin/users/${alice.userId}/export` });
    expect(anonymous.statusCode).toBe(401);
    // The admin panel's links are plain downloads, which its session cookie authenticates.
    const token = owner.headers['authorization']!.slice('Bearer '.length);
    const byCookie = await t.app.inject({ method: 'GET', url: `/api/v1/admin/conversations/${conversation.id}/export?format=txt`, cookies: { parley_session: token } });
    expect([byCookie.statusCode, byCookie.body.split('\n')[0]]).toEqual([200, 'Title: Refund please']);
  });

  it('is described in the OpenAPI document like the other admin routes', async () => {
    const spec = (await t.app.inject({ method: 'GET', url: '/docs/openapi.json' })).json();
    const transcript = spec.paths['/api/v1/admin/conversations/{id}/export'].get;
    expect(transcript.parameters.map((p: { name: string; in: string }) => [p.in, p.name]).sort()).toEqual([
      ['path', 'id'],
      ['query', 'format'],
    ]);
    expect(Object.keys(transcript.responses['200'].content).sort()).toEqual(['application/json', 'text/plain']);
    expect(Object.keys(transcript.responses['200'].content['application/json'].schema.properties)).toEqual(['conversation', 'participants', 'messages']);
    const user = spec.paths['/api/v1/admin/users/{id}/export'].get;
    expect(user.parameters.map((p: { name: string }) => p.name)).toEqual(['id']);
    expect(Object.keys(user.responses['200'].content['application/json'].schema.properties)).toEqual(['user', 'conversations', 'auditEntries']);
    const docs = await t.app.inject({ method: 'GET', url: '/docs' });
    expect(docs.body).toContain('GET /api/v1/admin/users/{id}/export');
  });
});
