/**
 * Posts that arrive together on PostgreSQL share transactions (chat/transaction-groups.ts), and each still gets
 * the answer it alone would get: a post refused inside its transaction (say, with a file already used) is
 * undone at its own savepoint and refused alone, the others of its group are written once and stored once,
 * their events logged once in id order; a failure of another kind rolls the group back and each post is
 * written again alone.
 */
import { sql } from 'kysely';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTransactionGroups, GROUP_CONCURRENCY } from '../../../server/src/chat/transaction-groups.js';
import { ParleyError } from '../../../server/src/errors.js';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';

type Headers = Record<string, string>;
const query = pg.Client.prototype.query;

describe.skipIf(!DIALECTS.includes('postgres'))('posts sharing transactions on PostgreSQL', () => {
  let t: TestApp;
  let begins = 0;
  let conversationReads = 0;

  beforeEach(async () => {
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      const text = typeof args[0] === 'string' ? args[0] : (args[0] as { text?: string } | undefined)?.text;
      if (text === 'begin') begins++;
      // A post's conversation is read with its session (auth/session-auth.ts).
      if (text?.trim().startsWith('select exists (select 1 from revoked_sessions') && text.includes('as conversation')) conversationReads++;
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof query;
    t = await createTestApp({ dialect: 'postgres', env: { PARLEY_MESSAGE_RATE_LIMIT: '2/1m' } });
  });
  afterEach(async () => {
    pg.Client.prototype.query = query;
    await t.close();
  });

  async function member(id: string): Promise<{ headers: Headers; conversation: string }> {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id, name: id } }) } });
    const headers = { authorization: `Bearer ${res.json().session.token}` };
    const conversation = (await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers, payload: {} })).json().conversation.id as string;
    return { headers, conversation };
  }
  const post = (who: { headers: Headers; conversation: string }, clientMessageId: string) =>
    t.app.inject({ method: 'POST', url: `/api/v1/conversations/${who.conversation}/messages`, headers: who.headers, payload: { text: clientMessageId, clientMessageId } });

  it('a post over the limit fails alone; the others are stored once, counted once, and logged in order', async () => {
    const members = await Promise.all(Array.from({ length: 12 }, (_, i) => member(`m${i}`)));
    const greedy = members[0]!;
    // The messages table held (a table lock takes no transaction id, so no stream anywhere on the server waits
    // for it), so that the first posts keep their GROUP_CONCURRENCY transactions open at their insert and the others queue,
    // to be written together once those end.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let holderPid!: number;
    let held!: () => void;
    const holding = new Promise<void>((resolve) => (held = resolve));
    const holder = t.db.store.db.transaction().execute(async (trx) => {
      holderPid = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx)).rows[0]!.pid;
      await sql`lock table messages in exclusive mode`.execute(trx);
      held();
      await released;
    });
    await holding;
    begins = 0;
    conversationReads = 0;
    // The greedy member's third message is over the limit of 2; everyone else sends one.
    const sent = [post(greedy, 'g1'), post(greedy, 'g2'), ...members.slice(1).map((m, i) => post(m, `m${i + 1}`)), post(greedy, 'g3')];
    // GROUP_CONCURRENCY transactions begun (waiting for the table) and every post past its conversation's read.
    for (;;) {
      const blocked = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where ${holderPid}::int = any(pg_blocking_pids(pid))`.execute(t.db.store.db);
      if (begins === GROUP_CONCURRENCY && blocked.rows[0]!.n > 0 && conversationReads === sent.length) break;
    }
    // The posts that read their conversation reach the queue within a few turns (the assistant list is cached).
    for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
    release();
    await holder;
    const answers = await Promise.all(sent);
    expect(answers.map((a) => a.statusCode).sort()).toEqual([...Array(13).fill(201), 429]);
    expect(answers.find((a) => a.statusCode === 429)!.json()).toEqual({ error: { code: 'rate_limited', message: expect.any(String) } });
    // GROUP_CONCURRENCY alone, then the others queued in one transaction (the limit refuses before any transaction).
    expect(begins).toBe(GROUP_CONCURRENCY + 1);

    // Stored once each, and each message's event once.
    const stored = await t.db.store.db.selectFrom('messages').select(['id', 'client_message_id']).orderBy('seq').execute();
    expect(stored).toHaveLength(13);
    expect(new Set(stored.map((m) => m.client_message_id)).size).toBe(13);
    const events = await t.db.store.db.selectFrom('events').select(['id', 'payload']).where('type', '=', 'message.created').orderBy('id').execute();
    expect(events.map((e) => (JSON.parse(e.payload) as { message: { id: string } }).message.id).sort()).toEqual(stored.map((m) => m.id).sort());

    // The others were counted once: a second message is still allowed.
    const again = await Promise.all(members.slice(1).map((m, i) => post(m, `again${i + 1}`)));
    expect(again.map((a) => a.statusCode)).toEqual(Array(11).fill(201));
  });

  it.each([
    // A refusal is undone at its savepoint: the group commits without it, nothing runs twice.
    ['a refusal (a ParleyError) of a post that may refuse fails alone at its savepoint; the group commits, nothing runs twice', () => new ParleyError('attachment_used'), true, 'attachment_used', ['first', 'b', 'c', 'd']],
    // Anything else rolls the group back: b and c ran in it, c threw, d never ran in it; then each alone, in order.
    ['any other failure rolls its group back, and only it fails when each runs again alone', () => new Error('refused'), true, 'refused', ['first', 'b', 'c', 'b', 'c', 'd']],
    // A post with no savepoint cannot be undone alone: its refusal is handled as any other failure.
    ['a refusal of a post not marked as one that may refuse rolls the group back as any other failure', () => new ParleyError('attachment_used'), false, 'attachment_used', ['first', 'b', 'c', 'b', 'c', 'd']],
  ])('%s', async (_name, failure, mayRefuse, answer, expectedRuns) => {
    const groups = createTransactionGroups(t.db.store, { concurrency: 1 });
    const runs: string[] = [];
    // The first starts alone; the next three wait for it and share one transaction.
    const first = groups.run('a', async (trx) => (await trx.selectFrom('users').select('id').execute(), runs.push('first'), 'first'));
    const others = ['b', 'c', 'd'].map((key) =>
      groups.run(key, async (trx) => {
        runs.push(key);
        await trx.insertInto('documents').values({ organization_id: 'default', id: `doc-${key}`, folder_id: null }).execute();
        if (key === 'c') throw failure();
        return key;
      }, { mayRefuse }),
    );
    const settled = await Promise.allSettled([first, ...others]);
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : s.reason instanceof ParleyError ? s.reason.code : (s.reason as Error).message))).toEqual(['first', 'b', answer, 'd']);
    expect(runs).toEqual(expectedRuns);
    const documents = await t.db.store.db.selectFrom('documents').select('id').where('id', 'like', 'doc-%').orderBy('id').execute();
    expect(documents.map((d) => d.id)).toEqual(['doc-b', 'doc-d']);
  });
});

describe('a group whose database cannot be reached', () => {
  it('fails all its posts at once with that error, instead of writing each again alone', async () => {
    const unreachable = () => Object.assign(new Error('timeout exceeded when trying to connect'));
    let transactions = 0;
    let letFirstGo!: () => void;
    const firstHeld = new Promise<void>((resolve) => (letFirstGo = resolve));
    // A store whose first transaction waits (so that the next posts queue into one group), then fails as a
    // pool that cannot connect does.
    const store = {
      db: {
        transaction: () => ({
          execute: async () => {
            transactions++;
            if (transactions === 1) await firstHeld;
            throw unreachable();
          },
        }),
      },
    } as unknown as Parameters<typeof createTransactionGroups>[0];
    const groups = createTransactionGroups(store, { concurrency: 1 });
    const posts = ['a', 'b', 'c', 'd'].map((key) => groups.run(key, async () => key));
    letFirstGo();
    const settled = await Promise.allSettled(posts);
    expect(settled.map((s) => (s.status === 'rejected' ? (s.reason as Error).message : 'stored'))).toEqual(Array(4).fill('timeout exceeded when trying to connect'));
    // One for the first post alone, one for the group of three: none of the three written again.
    expect(transactions).toBe(2);
  });
});
