/**
 * What one member's post costs on PostgreSQL, statement by statement (bench/NOTES.md counts them), and the
 * guarantee that the notification scheduler keeps without an advisory lock of its own: posts racing in one
 * conversation schedule one team alert, since each has locked the conversation's row (its activity time)
 * before it looks for a pending one. The relay and the outbox worker run beside the request: their
 * statements are left out of the count.
 */
import { sql } from 'kysely';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createNotificationScheduler } from '../../../server/src/outbound/notifications.js';
import { createConversationRepository } from '../../../server/src/store/conversations.js';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';

type Headers = Record<string, string>;

const query = pg.Client.prototype.query;
/** What the relay (chat/cluster-fanout.ts) and the outbox's workers send on their own. */
const BACKGROUND = [/^select reserved, pg_current_xact_id/, /^select pg_snapshot_xmin/, /^select \* from "events" where "id" >/, /^select "conversation_id", "user_id" from "participants"/, /^update outbox set status = 'sending'/];
let sent: string[] | undefined;

describe.skipIf(!DIALECTS.includes('postgres'))('a member’s post on PostgreSQL', () => {
  let t: TestApp;
  let alice: Headers;

  beforeEach(async () => {
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text;
      const statement = text?.replace(/\s+/g, ' ').trim();
      if (statement !== undefined && !BACKGROUND.some((b) => b.test(statement))) sent?.push(statement);
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof query;
    t = await createTestApp({ dialect: 'postgres' });
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id: 'alice', name: 'Alice' } }) } });
    alice = { authorization: `Bearer ${res.json().session.token}` };
  });
  afterEach(async () => {
    pg.Client.prototype.query = query;
    await t.close();
  });

  const post = (conversationId: string, clientMessageId: string) =>
    t.app.inject({ method: 'POST', url: `/api/v1/conversations/${conversationId}/messages`, headers: alice, payload: { text: `hello ${clientMessageId}`, clientMessageId } });

  it('takes four statements once its conversation’s team alert is known pending: the session with the conversation, and a transaction of one', async () => {
    const conversation = (await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: alice, payload: { message: { text: 'Help', clientMessageId: 'q0' } } })).json().conversation;
    expect((await post(conversation.id, 'q1')).statusCode).toBe(201);
    const statements: string[] = [];
    sent = statements;
    const res = await post(conversation.id, 'q2');
    sent = undefined;
    expect(res.statusCode).toBe(201);
    // Each statement by how it begins.
    const expected = [
      // The session, its account, the conversation and the member's part in it (auth/session-auth.ts).
      'select exists (select 1 from revoked_sessions where id = $1) as session_revoked, users.* , row_to_json(c) as conversation',
      'begin',
      // The message, its author's read marker, its event (and NOTIFY), the activity time and reopening under
      // the conversation's row lock: one statement (store/post-statement.ts).
      'with m as ( insert into messages',
      // No team alert: the conversation's first message scheduled it, and this instance knows it pending
      // until shortly before it is due (outbound/notifications.ts).
      'commit',
    ];
    expect(statements.map((s, i) => (expected[i] !== undefined && s.startsWith(expected[i]) ? expected[i] : s))).toEqual(expected);
  });

  it('takes four in a document room too: the editor’s role on the document comes with the session', async () => {
    const code = await t.sign({ user: { id: 'erin', name: 'Erin' }, permissions: { resources: [{ type: 'document', id: 'doc-1', organizationId: 'default', accessRole: 'editor' }] } });
    const erin = { authorization: `Bearer ${(await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: code } })).json().session.token}` };
    const room = (await t.app.inject({ method: 'POST', url: '/api/v1/documents/doc-1/open', headers: erin })).json().conversation.id as string;
    const postAs = (clientMessageId: string) => t.app.inject({ method: 'POST', url: `/api/v1/conversations/${room}/messages`, headers: erin, payload: { text: `hello ${clientMessageId}`, clientMessageId } });
    // The first message gives the room its title; the next is a plain one.
    expect((await postAs('d1')).statusCode).toBe(201);
    const statements: string[] = [];
    sent = statements;
    const res = await postAs('d2');
    sent = undefined;
    expect(res.statusCode).toBe(201);
    const expected = ['select exists (select 1 from revoked_sessions where id = $1) as session_revoked, users.* , row_to_json(c) as conversation', 'begin', 'with m as ( insert into messages', 'commit'];
    expect(statements.map((s, i) => (expected[i] !== undefined && s.startsWith(expected[i]) ? expected[i] : s))).toEqual(expected);
    // A viewer of the same room is refused from that one read: read_only, nothing stored.
    const viewerCode = await t.sign({ user: { id: 'vic', name: 'Vic' }, permissions: { resources: [{ type: 'document', id: 'doc-1', organizationId: 'default', accessRole: 'viewer' }] } });
    const vic = { authorization: `Bearer ${(await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: viewerCode } })).json().session.token}` };
    const refused = await t.app.inject({ method: 'POST', url: `/api/v1/conversations/${room}/messages`, headers: vic, payload: { text: 'no', clientMessageId: 'v1' } });
    expect([refused.statusCode, refused.json().error.code]).toEqual([403, 'read_only']);
  });

  it('schedules one team alert for posts racing in a conversation without one', async () => {
    const conversation = (await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: alice, payload: {} })).json().conversation;
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => post(conversation.id, `r${i}`)));
    expect(answers.map((a) => a.statusCode)).toEqual(Array(8).fill(201));
    const rows = await t.db.store.db.selectFrom('outbox').select(['kind', 'status']).where('ordering_key', '=', `agents:${conversation.id}`).execute();
    expect(rows).toEqual([{ kind: 'agent_notification', status: 'pending' }]);
  });

  it('a post that waits for another one’s conversation row sees its team alert: one alert, not two', async () => {
    const { id } = (await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: alice, payload: {} })).json().conversation;
    const store = t.db.store;
    const scheduler = createNotificationScheduler({ store, config: t.config });
    const conversations = createConversationRepository(store);
    const author = { id: (await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: alice })).json().user.id as string, role: 'member' as const };
    let commitFirst!: () => void;
    const firstMayCommit = new Promise<void>((resolve) => (commitFirst = resolve));
    let firstScheduled!: () => void;
    const scheduledFirst = new Promise<void>((resolve) => (firstScheduled = resolve));
    // As a post's transaction: the conversation's row first (its activity time), then the scheduler. At the
    // test's clock, so that the alert is not due yet and the outbox worker leaves it pending.
    let firstPid!: number;
    const first = store.db.transaction().execute(async (trx) => {
      firstPid = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx)).rows[0]!.pid;
      await conversations.touch(trx, id, t.clock.now + 1);
      await scheduler.messagePosted(trx, { conversationId: id, author }, t.clock.now + 1);
      firstScheduled();
      await firstMayCommit;
    });
    await scheduledFirst;
    let secondScheduled = false;
    const second = store.db.transaction().execute(async (trx) => {
      await conversations.touch(trx, id, t.clock.now + 2);
      await scheduler.messagePosted(trx, { conversationId: id, author }, t.clock.now + 2);
      secondScheduled = true;
    });
    // The second one waits for the first's row lock (or, were nothing to hold it, has scheduled already).
    for (;;) {
      const waiting = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where ${firstPid}::int = any(pg_blocking_pids(pid))`.execute(store.db);
      if (secondScheduled || waiting.rows[0]!.n > 0) break;
    }
    commitFirst();
    await Promise.all([first, second]);
    const rows = await store.db.selectFrom('outbox').select(['kind', 'status']).where('ordering_key', '=', `agents:${id}`).execute();
    expect(rows).toEqual([{ kind: 'agent_notification', status: 'pending' }]);
  });
});
