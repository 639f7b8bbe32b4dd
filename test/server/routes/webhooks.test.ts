/**
 * `/api/v1/admin/webhooks` on both databases: create (the secret shown once), list, read, change, delete,
 * rotate the secret; exact errors for bad input, a private address (unless allowed), another organization's
 * endpoint; the delivery log with its tries, and Resend with the same webhook-id.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';

type Headers = Record<string, string>;
type Res = { statusCode: number; json: () => { error: { code: string; message: string } } };
const error = (res: Res) => [res.statusCode, res.json().error.code, res.json().error.message];
const NOW = '2026-11-20T12:00:00.000Z';
/** A public address written as an IP, so that no test waits for DNS. */
const PUBLIC = 'https://93.184.216.34/hooks/parley';

describe.each(DIALECTS)('webhook endpoints on %s', (dialect) => {
  let t: TestApp;
  afterEach(async () => {
    await t?.close();
  });

  async function sessionFor(user: Record<string, unknown>, role: 'owner' | 'admin' | 'member' = 'member') {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user }) } });
    expect(res.statusCode).toBe(200);
    const { session, user: created } = res.json();
    if (role !== 'member') await t.app.services.users.setRole(created.id, role);
    return { headers: { authorization: `Bearer ${session.token}` } as Headers, userId: created.id as string };
  }
  const call = (headers: Headers, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) => t.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });

  it('create shows the secret once; list, read, change, rotate, delete; audited', async () => {
    t = await createTestApp({ dialect });
    const owner = await sessionFor({ id: 'the-owner', email: 'owner@example.com' }, 'owner');
    const created = await call(owner.headers, 'POST', '/api/v1/admin/webhooks', { url: PUBLIC, events: ['message.created', 'conversation.created'], description: ' CRM sync ' });
    expect(created.statusCode).toBe(201);
    const body = created.json();
    const endpoint = {
      id: expect.stringMatching(/^wh_[\w-]{16}$/),
      url: PUBLIC,
      description: 'CRM sync',
      events: ['conversation.created', 'message.created'],
      enabled: true,
      createdAt: NOW,
      updatedAt: NOW,
      failingSince: null,
      disabledReason: null,
    };
    expect(body).toEqual({ endpoint, secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/) });
    const id = body.endpoint.id as string;
    // The secret never again: not in the list, not in a read.
    const list = await call(owner.headers, 'GET', '/api/v1/admin/webhooks');
    expect(list.statusCode).toBe(200);
    expect(list.json()).toEqual({ endpoints: [{ ...endpoint, id }] });
    expect(list.body).not.toContain(body.secret);
    expect((await call(owner.headers, 'GET', `/api/v1/admin/webhooks/${id}`)).json()).toEqual({ endpoint: { ...endpoint, id } });

    t.clock.now += 60_000;
    const changed = await call(owner.headers, 'PATCH', `/api/v1/admin/webhooks/${id}`, { enabled: false, events: ['user.created'], description: null, url: 'http://93.184.216.34:8080/h' });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toEqual({ endpoint: { ...endpoint, id, url: 'http://93.184.216.34:8080/h', description: null, events: ['user.created'], enabled: false, updatedAt: '2026-11-20T12:01:00.000Z' } });

    const rotated = await call(owner.headers, 'POST', `/api/v1/admin/webhooks/${id}/rotate-secret`);
    expect(rotated.statusCode).toBe(200);
    expect(rotated.json()).toEqual({ secret: expect.stringMatching(/^whsec_/) });
    expect(rotated.json().secret).not.toBe(body.secret);
    expect(await t.db.store.db.selectFrom('webhook_endpoints').select('secret').where('id', '=', id).executeTakeFirst()).toEqual({ secret: rotated.json().secret });

    expect((await call(owner.headers, 'DELETE', `/api/v1/admin/webhooks/${id}`)).statusCode).toBe(204);
    expect(error(await call(owner.headers, 'DELETE', `/api/v1/admin/webhooks/${id}`))).toEqual([404, 'webhook_not_found', 'No webhook endpoint has this id.']);
    expect((await call(owner.headers, 'GET', '/api/v1/admin/webhooks')).json()).toEqual({ endpoints: [] });

    const audit = await t.db.store.db.selectFrom('audit_log').select(['action', 'outcome', 'target']).where('action', 'like', 'webhook.%').orderBy('id').execute();
    expect(audit).toEqual([
      { action: 'webhook.create', outcome: 'ok', target: id },
      { action: 'webhook.update', outcome: 'ok', target: id },
      { action: 'webhook.rotate_secret', outcome: 'ok', target: id },
      { action: 'webhook.delete', outcome: 'ok', target: id },
      { action: 'webhook.delete', outcome: 'webhook_not_found', target: id },
    ]);
  });

  it('bad input is 400 naming the field; a member is refused; an unknown id is 404', async () => {
    t = await createTestApp({ dialect });
    const owner = await sessionFor({ id: 'the-owner' }, 'owner');
    const member = await sessionFor({ id: 'alice' });
    const create = (payload: object) => call(owner.headers, 'POST', '/api/v1/admin/webhooks', payload);
    const events = 'events must be a non-empty list of conversation.created, conversation.updated, message.created, message.updated, message.deleted, user.created, user.deactivated';
    expect(error(await create({ url: 'ftp://93.184.216.34/x', events: ['message.created'] }))).toEqual([400, 'bad_request', 'url must be an http or https URL']);
    expect(error(await create({ url: 'not a url', events: ['message.created'] }))).toEqual([400, 'bad_request', 'url must be an http or https URL']);
    expect(error(await create({ url: 'https://user:pw@93.184.216.34/x', events: ['message.created'] }))).toEqual([400, 'bad_request', 'url must not carry credentials']);
    expect(error(await create({ url: `https://93.184.216.34/${'a'.repeat(2000)}`, events: ['message.created'] }))).toEqual([400, 'bad_request', 'url must be at most 2000 characters']);
    expect(error(await create({ url: PUBLIC, events: [] }))).toEqual([400, 'bad_request', events]);
    expect(error(await create({ url: PUBLIC, events: ['message.created', 'conversation.read'] }))).toEqual([400, 'bad_request', events]);
    expect(error(await create({ url: PUBLIC, events: 'message.created' }))).toEqual([400, 'bad_request', events]);
    expect(error(await create({ url: PUBLIC, events: ['message.created'], description: 'x'.repeat(201) }))).toEqual([400, 'bad_request', 'description must be at most 200 characters']);
    expect(error(await create({ url: PUBLIC, events: ['message.created'], enabled: 'yes' }))).toEqual([400, 'bad_request', 'enabled must be true or false']);
    expect((await create({ events: ['message.created'] })).statusCode).toBe(400);
    expect(error(await call(member.headers, 'POST', '/api/v1/admin/webhooks', { url: PUBLIC, events: ['message.created'] }))).toEqual([403, 'admin_required', 'Administrators only.']);
    expect(error(await call(owner.headers, 'GET', '/api/v1/admin/webhooks/wh_nowhere'))).toEqual([404, 'webhook_not_found', 'No webhook endpoint has this id.']);
    expect(error(await call(owner.headers, 'PATCH', '/api/v1/admin/webhooks/wh_nowhere', { enabled: true }))).toEqual([404, 'webhook_not_found', 'No webhook endpoint has this id.']);
    expect(error(await call(owner.headers, 'POST', '/api/v1/admin/webhooks/wh_nowhere/rotate-secret'))).toEqual([404, 'webhook_not_found', 'No webhook endpoint has this id.']);
    expect(error(await call(owner.headers, 'GET', '/api/v1/admin/webhooks/wh_nowhere/deliveries'))).toEqual([404, 'webhook_not_found', 'No webhook endpoint has this id.']);
    expect((await call(owner.headers, 'GET', '/api/v1/admin/webhooks')).json()).toEqual({ endpoints: [] });
  });

  it('refuses private addresses (literal or resolved) unless PARLEY_WEBHOOKS_ALLOW_PRIVATE', async () => {
    t = await createTestApp({ dialect });
    const owner = await sessionFor({ id: 'the-owner' }, 'owner');
    const create = (url: string) => call(owner.headers, 'POST', '/api/v1/admin/webhooks', { url, events: ['message.created'] });
    for (const url of ['http://127.0.0.1:9000/h', 'http://10.0.0.7/h', 'http://169.254.169.254/latest', 'http://[::1]:8080/h', 'http://[fd00::1]/h', 'http://localhost:3000/h']) {
      expect(error(await create(url)), url).toEqual([400, 'webhook_url_private', 'url is, or resolves to, a private address']);
    }
    const made = (await create(PUBLIC)).json().endpoint.id as string;
    expect(error(await call(owner.headers, 'PATCH', `/api/v1/admin/webhooks/${made}`, { url: 'http://192.168.1.1/h' }))).toEqual([400, 'webhook_url_private', 'url is, or resolves to, a private address']);
    await t.close();

    t = await createTestApp({ dialect, env: { PARLEY_WEBHOOKS_ALLOW_PRIVATE: 'true' } });
    const again = await sessionFor({ id: 'the-owner' }, 'owner');
    const allowed = await call(again.headers, 'POST', '/api/v1/admin/webhooks', { url: 'http://127.0.0.1:9000/h', events: ['message.created'] });
    expect(allowed.statusCode).toBe(201);
    expect(allowed.json().endpoint.url).toBe('http://127.0.0.1:9000/h');
  });

  it("another organization's endpoint is 404 for every route, and its events never reach this one", async () => {
    t = await createTestApp({ dialect });
    const owner = await sessionFor({ id: 'the-owner' }, 'owner');
    // The admin API serves owners and the default organization's admins: an owner of acme works in acme.
    const first = await sessionFor({ id: 'acme-admin' }, 'owner');
    await t.app.services.organizations.ensure('acme', t.clock.now);
    await t.app.services.users.setOrganization(first.userId, 'acme');
    // Moving an account ends its sessions: sign in again, in acme.
    const other = await sessionFor({ id: 'acme-admin' });
    const mine = (await call(owner.headers, 'POST', '/api/v1/admin/webhooks', { url: PUBLIC, events: ['message.created'] })).json().endpoint.id as string;
    const theirs = await call(other.headers, 'POST', '/api/v1/admin/webhooks', { url: 'https://93.184.216.35/acme', events: ['message.created'] });
    expect(theirs.statusCode).toBe(201);
    expect((await call(other.headers, 'GET', '/api/v1/admin/webhooks')).json().endpoints.map((e: { url: string }) => e.url)).toEqual(['https://93.184.216.35/acme']);
    const notFound = [404, 'webhook_not_found', 'No webhook endpoint has this id.'];
    expect(error(await call(other.headers, 'GET', `/api/v1/admin/webhooks/${mine}`))).toEqual(notFound);
    expect(error(await call(other.headers, 'PATCH', `/api/v1/admin/webhooks/${mine}`, { enabled: false }))).toEqual(notFound);
    expect(error(await call(other.headers, 'DELETE', `/api/v1/admin/webhooks/${mine}`))).toEqual(notFound);
    expect(error(await call(other.headers, 'POST', `/api/v1/admin/webhooks/${mine}/rotate-secret`))).toEqual(notFound);
    expect(error(await call(other.headers, 'GET', `/api/v1/admin/webhooks/${mine}/deliveries`))).toEqual(notFound);
    expect((await call(owner.headers, 'GET', `/api/v1/admin/webhooks/${mine}`)).json().endpoint.enabled).toBe(true);

    // A message in the default organization is queued for its endpoint only.
    const alice = await sessionFor({ id: 'alice' });
    const conversation = await call(alice.headers, 'POST', '/api/v1/conversations', { message: { text: 'Hello', clientMessageId: 'c1' } });
    expect(conversation.statusCode).toBe(201);
    const rows = await t.db.store.db.selectFrom('outbox').select(['kind', 'target']).where('kind', '=', 'webhook').execute();
    expect(rows).toEqual([{ kind: 'webhook', target: mine }]);
  });

  it('the delivery log: newest first with their tries, paged; Resend sends one again with its id (202)', async () => {
    // Nothing listens on port 9 of the loopback address: each try is refused.
    t = await createTestApp({ dialect, env: { PARLEY_WEBHOOKS_ALLOW_PRIVATE: 'true' } });
    const admin = await sessionFor({ id: 'the-owner' }, 'owner');
    const endpointId = (await call(admin.headers, 'POST', '/api/v1/admin/webhooks', { url: 'http://127.0.0.1:9/h', events: ['conversation.created', 'message.created'] })).json().endpoint.id as string;
    const alice = await sessionFor({ id: 'alice' });
    expect((await call(alice.headers, 'POST', '/api/v1/conversations', { message: { text: 'Hello', clientMessageId: 'c1' } })).statusCode).toBe(201);
    await t.app.services.outboundWorker.drain();

    const log = await call(admin.headers, 'GET', `/api/v1/admin/webhooks/${endpointId}/deliveries?limit=1`);
    expect(log.statusCode).toBe(200);
    const page = log.json();
    expect(page).toEqual({
      deliveries: [
        {
          id: expect.stringMatching(/^msg_[\w-]{16}$/),
          type: 'message.created',
          status: 'pending',
          attempts: 0,
          createdAt: NOW,
          nextAttemptAt: NOW,
          lastError: null,
          tries: [],
        },
      ],
      nextCursor: expect.stringMatching(/^\d+$/),
    });
    const older = (await call(admin.headers, 'GET', `/api/v1/admin/webhooks/${endpointId}/deliveries?limit=1&cursor=${page.nextCursor}`)).json();
    expect(older).toEqual({
      deliveries: [
        {
          id: expect.stringMatching(/^msg_/),
          type: 'conversation.created',
          status: 'pending',
          attempts: 1,
          createdAt: NOW,
          nextAttemptAt: '2026-11-20T12:00:05.000Z',
          lastError: expect.stringContaining('ECONNREFUSED'),
          tries: [{ at: NOW, statusCode: null, durationMs: expect.any(Number), error: expect.stringContaining('ECONNREFUSED') }],
        },
      ],
      nextCursor: null,
    });
    expect(error(await call(admin.headers, 'GET', `/api/v1/admin/webhooks/${endpointId}/deliveries?cursor=abc`))).toEqual([400, 'bad_request', expect.stringContaining('cursor')]);

    // Resend: the same id, due now, its tries counted afresh (their record stays); an id of nothing, or of
    // another endpoint, is 404.
    t.clock.now += 1000;
    const resent = await call(admin.headers, 'POST', `/api/v1/admin/webhooks/${endpointId}/deliveries/${older.deliveries[0].id}/resend`);
    expect(resent.statusCode).toBe(202);
    expect(resent.json()).toEqual({ delivery: { ...older.deliveries[0], status: 'pending', attempts: 0, nextAttemptAt: '2026-11-20T12:00:01.000Z' } });
    expect(error(await call(admin.headers, 'POST', `/api/v1/admin/webhooks/${endpointId}/deliveries/msg_nothing/resend`))).toEqual([404, 'not_found', 'No delivery of this endpoint has this id.']);
    // While a try of it is under way (another worker holds it), it cannot be sent again.
    await t.db.store.db.updateTable('outbox').set({ status: 'sending' }).where('id', '=', page.deliveries[0].id).execute();
    expect(error(await call(admin.headers, 'POST', `/api/v1/admin/webhooks/${endpointId}/deliveries/${page.deliveries[0].id}/resend`))).toEqual([409, 'delivery_in_progress', 'This delivery is being sent right now; resend it once that try has ended.']);
    await t.db.store.db.updateTable('outbox').set({ status: 'pending' }).where('id', '=', page.deliveries[0].id).execute();
    await t.app.services.outboundWorker.drain();
    const after = (await call(admin.headers, 'GET', `/api/v1/admin/webhooks/${endpointId}/deliveries`)).json().deliveries;
    expect(after.map((d: { id: string; attempts: number; tries: unknown[] }) => [d.id, d.attempts, d.tries.length])).toEqual([
      [page.deliveries[0].id, 0, 0],
      [older.deliveries[0].id, 1, 2],
    ]);
  });
});
