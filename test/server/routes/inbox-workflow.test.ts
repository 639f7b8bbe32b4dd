/**
 * The inbox's workflow: `PATCH /api/v1/admin/conversations/:id` sets a status (open, resolved, snoozed until
 * a time) and an assignee; `GET /api/v1/admin/conversations?status=&assignee=` answers one view with the
 * count of every view; a snooze ends by itself at its time; each change is audited and announced.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';
import { fromNow, openSse, type SseFrame, type SseReader } from '../../helpers/sse.js';

type Headers = Record<string, string>;
const HOUR = 3_600_000;

describe.each(DIALECTS)('the inbox workflow on %s', (dialect) => {
  let t: TestApp;
  let base: string;
  const streams: SseReader[] = [];

  async function sessionFor(id: string, role: 'owner' | 'admin' | 'member' = 'member', organizationId?: string) {
    const user = { id, name: id, email: `${id}@example.com`, ...(organizationId ? { organizationId } : {}) };
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user }) } });
    expect(res.statusCode).toBe(200);
    const { session, user: created } = res.json();
    if (role !== 'member') await t.app.services.users.setRole(created.id, role);
    return { headers: { authorization: `Bearer ${session.token}` } as Headers, userId: created.id as string };
  }
  const call = (headers: Headers, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) => t.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
  const start = async (headers: Headers, text: string, clientMessageId: string) =>
    (await call(headers, 'POST', '/api/v1/conversations', { message: { text, clientMessageId } })).json().conversation as { id: string };
  const patch = (headers: Headers, id: string, payload: object) => call(headers, 'PATCH', `/api/v1/admin/conversations/${id}`, payload);
  const view = async (headers: Headers, query = '') => {
    const res = await call(headers, 'GET', `/api/v1/admin/conversations${query}`);
    expect(res.statusCode).toBe(200);
    return { ids: res.json().conversations.map((c: { id: string }) => c.id) as string[], counts: res.json().counts };
  };
  const iso = (ms: number) => new Date(ms).toISOString();
  const typed = (frames: SseFrame[]) => frames.filter((f) => f.event !== undefined && f.event !== 'ready').map((f) => [f.event, JSON.parse(f.data!)]);

  beforeEach(async () => {
    t = await createTestApp({ dialect, env: { PARLEY_SEAT_LIMIT: '20' } });
    base = await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterEach(async () => {
    for (const s of streams.splice(0)) s.close();
    await t.close();
  });

  it('resolves, snoozes and assigns; each view lists its conversations and every view is counted', async () => {
    const owner = await sessionFor('the-owner', 'owner');
    const admin = await sessionFor('ada', 'admin');
    const alice = await sessionFor('alice');
    const bob = await sessionFor('bob');
    const a = await start(alice.headers, 'Billing question', 'a1');
    t.clock.now += 1000;
    const b = await start(bob.headers, 'Login broken', 'b1');
    t.clock.now += 1000;
    const c = await start(alice.headers, 'Feature idea', 'a2');

    expect(await view(owner.headers)).toEqual({ ids: [c.id, b.id, a.id], counts: { unassigned: 3, mine: 0, open: 3, snoozed: 0, resolved: 0, all: 3 } });

    const assigned = await patch(owner.headers, a.id, { assigneeId: owner.userId });
    expect([assigned.statusCode, assigned.json().conversation.assigneeId, assigned.json().conversation.status]).toEqual([200, owner.userId, 'open']);
    const resolved = await patch(owner.headers, b.id, { status: 'resolved' });
    expect([resolved.statusCode, resolved.json().conversation.status, resolved.json().conversation.unanswered]).toEqual([200, 'resolved', false]);
    const until = t.clock.now + HOUR;
    const snoozed = await patch(admin.headers, c.id, { status: 'snoozed', snoozedUntil: iso(until), assigneeId: admin.userId });
    expect([snoozed.statusCode, snoozed.json().conversation.status, snoozed.json().conversation.snoozedUntil, snoozed.json().conversation.assigneeId]).toEqual([200, 'snoozed', iso(until), admin.userId]);

    const counts = { unassigned: 0, mine: 1, open: 1, snoozed: 1, resolved: 1, all: 3 };
    expect(await view(owner.headers, '?assignee=me&status=open')).toEqual({ ids: [a.id], counts });
    expect(await view(owner.headers, '?assignee=none&status=open')).toEqual({ ids: [], counts });
    expect(await view(owner.headers, '?status=resolved')).toEqual({ ids: [b.id], counts });
    expect(await view(owner.headers, '?status=snoozed')).toEqual({ ids: [c.id], counts });
    expect(await view(owner.headers, `?assignee=${admin.userId}`)).toEqual({ ids: [c.id], counts });
    expect(await view(owner.headers, '?status=all')).toEqual({ ids: [c.id, b.id, a.id], counts });
    // "Mine" is the caller's.
    expect((await view(admin.headers, '?assignee=me')).ids).toEqual([c.id]);
    // A resolved conversation no longer waits for an answer.
    expect((await call(owner.headers, 'GET', '/api/v1/admin/inbox/counts')).json()).toEqual({ waiting: 1 });

    // Reopening clears nothing but the status; unassigning is null.
    expect((await patch(owner.headers, b.id, { status: 'open', assigneeId: null })).json().conversation).toMatchObject({ status: 'open', snoozedUntil: null, assigneeId: null });
    const entries = (await call(owner.headers, 'GET', '/api/v1/admin/audit?kind=admin')).json().entries.map((e: { action: string; outcome: string; target: string }) => [e.action, e.outcome, e.target]);
    expect(entries.slice(0, 4)).toEqual([
      ['conversation.update.assigneeId,status', 'ok', b.id],
      ['conversation.update.assigneeId,snoozedUntil,status', 'ok', c.id],
      ['conversation.update.status', 'ok', b.id],
      ['conversation.update.assigneeId', 'ok', a.id],
    ]);
  });

  it('a snooze ends by itself at its time, announced to the participants and the administrators', async () => {
    const owner = await sessionFor('the-owner', 'owner');
    const alice = await sessionFor('alice');
    const a = await start(alice.headers, 'Call me tomorrow', 'a1');
    const until = t.clock.now + 2 * HOUR;
    expect((await patch(owner.headers, a.id, { status: 'snoozed', snoozedUntil: iso(until) })).statusCode).toBe(200);
    const stream = await openSse(`${base}/api/v1/events`, await fromNow(t.db.store.db, owner.headers));
    streams.push(stream);
    await stream.until((f) => f.some((x) => x.event === 'ready'));

    t.clock.now = until - 1;
    expect(await t.app.services.useCases.conversations.wakeSnoozed()).toBe(0);
    t.clock.now = until;
    expect(await t.app.services.useCases.conversations.wakeSnoozed()).toBe(1);
    // Once: a second round (another instance) finds nothing to wake.
    expect(await t.app.services.useCases.conversations.wakeSnoozed()).toBe(0);
    const frames = await stream.until((f) => typed(f).length === 1);
    expect(typed(frames)).toEqual([['conversation.updated', { conversation: expect.objectContaining({ id: a.id, status: 'open', snoozedUntil: null }) }]]);
    expect((await view(owner.headers, '?status=open')).ids).toEqual([a.id]);
  });

  it('refuses what breaks a rule with 400 bad_request naming the field, and changes nothing', async () => {
    const owner = await sessionFor('the-owner', 'owner');
    const alice = await sessionFor('alice');
    const other = await sessionFor('otto', 'admin', 'acme');
    const a = await start(alice.headers, 'Hello', 'a1');
    const now = t.clock.now;
    for (const [payload, message] of [
      [{ status: 'closed' }, 'status must be open, resolved or snoozed'],
      [{ status: 'snoozed' }, 'snoozedUntil is required with status snoozed'],
      [{ status: 'resolved', snoozedUntil: iso(now + HOUR) }, 'snoozedUntil goes with status snoozed'],
      [{ status: 'snoozed', snoozedUntil: iso(now - 1) }, 'snoozedUntil must be in the future'],
      [{ status: 'snoozed', snoozedUntil: iso(now + 400 * 24 * HOUR) }, 'snoozedUntil must be at most a year ahead'],
      [{ status: 'snoozed', snoozedUntil: 'tomorrow' }, 'snoozedUntil must be an ISO 8601 time such as 2026-12-03T09:00:00Z'],
      [{ status: 'snoozed', snoozedUntil: 1_900_000_000_000 }, 'snoozedUntil must be an ISO 8601 time such as 2026-12-03T09:00:00Z'],
      // Dates that do not exist, which Date.parse would roll over to the next day or month.
      [{ status: 'snoozed', snoozedUntil: '2026-11-31T09:00:00Z' }, 'snoozedUntil must be an ISO 8601 time such as 2026-12-03T09:00:00Z'],
      [{ status: 'snoozed', snoozedUntil: '2027-02-29T09:00Z' }, 'snoozedUntil must be an ISO 8601 time such as 2026-12-03T09:00:00Z'],
      [{ status: 'snoozed', snoozedUntil: '2026-12-24T24:00:00+01:00' }, 'snoozedUntil must be an ISO 8601 time such as 2026-12-03T09:00:00Z'],
      [{ assigneeId: 'not an id!' }, 'assigneeId must be an administrator’s id or null'],
      [{ assigneeId: alice.userId }, 'assigneeId must be an active owner or admin of the conversation’s organization'],
      [{ assigneeId: other.userId }, 'assigneeId must be an active owner or admin of the conversation’s organization'],
      [{ assigneeId: 'usr_nobody' }, 'assigneeId must be an active owner or admin of the conversation’s organization'],
    ] as const) {
      const res = await patch(owner.headers, a.id, payload);
      expect([JSON.stringify(payload), res.statusCode, res.json()]).toEqual([JSON.stringify(payload), 400, { error: { code: 'bad_request', message } }]);
    }
    for (const query of ['?status=closed', '?assignee=a%20b', '?cursor=nope']) {
      expect((await call(owner.headers, 'GET', `/api/v1/admin/conversations${query}`)).json().error.code).toBe('bad_request');
    }
    // Neither another organization's administrator nor a member may change one; an unknown id is 404.
    for (const headers of [other.headers, alice.headers]) expect((await patch(headers, a.id, { status: 'resolved' })).json().error.code).toBe('admin_required');
    expect([(await patch(owner.headers, 'cnv_nowhere', { status: 'resolved' })).statusCode]).toEqual([404]);
    expect((await view(owner.headers)).counts).toEqual({ unassigned: 1, mine: 0, open: 1, snoozed: 0, resolved: 0, all: 1 });
  });
});
