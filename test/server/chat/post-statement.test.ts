/**
 * A member's plain message on PostgreSQL is one statement (store/post-statement.ts). It takes its locks in the
 * order the other posts' statements do: the author's read marker, then the conversation's row. A review
 * found the marker written last (a CTE nothing reads runs after the main query): a post of the same author
 * written the other way (with files: the marker at its insert, the conversation's row at its touch) and a
 * plain one then waited for each other, and PostgreSQL answered one of them "deadlock detected".
 */
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createConversationRepository } from '../../../server/src/store/conversations.js';
import { createMessageRepository } from '../../../server/src/store/messages.js';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';

describe.skipIf(!DIALECTS.includes('postgres'))('a plain post beside a post written statement by statement', () => {
  let t: TestApp;
  afterEach(async () => t.close());

  it('waits for the other one at the read marker, and both are stored: no deadlock', async () => {
    t = await createTestApp({ dialect: 'postgres' });
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id: 'alice', name: 'Alice' } }) } });
    const headers = { authorization: `Bearer ${res.json().session.token}` };
    const userId = res.json().user.id as string;
    const conversation = (await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers, payload: { message: { text: 'Help', clientMessageId: 'first' } } })).json().conversation.id as string;
    const store = t.db.store;
    const messages = createMessageRepository(store);
    const conversations = createConversationRepository(store);

    // The other post, as a post with files is written: its message and read marker first, its touch later.
    let go!: () => void;
    const mayTouch = new Promise<void>((resolve) => (go = resolve));
    let inserted!: () => void;
    const hasInserted = new Promise<void>((resolve) => (inserted = resolve));
    let otherPid!: number;
    const other = store.db.transaction().execute(async (trx) => {
      otherPid = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx)).rows[0]!.pid;
      await messages.insertOnce(trx, { conversationId: conversation, authorType: 'user', authorId: userId, text: 'with files', clientMessageId: 'files', markRead: true }, t.clock.now);
      inserted();
      await mayTouch;
      await conversations.touch(trx, conversation, t.clock.now, { reopen: true });
    });
    await hasInserted;
    const plain = t.app.inject({ method: 'POST', url: `/api/v1/conversations/${conversation}/messages`, headers, payload: { text: 'plain', clientMessageId: 'plain' } });
    // The plain post waits for the other transaction (at the marker's row), then the other one goes on.
    for (let turns = 0; ; turns++) {
      const waiting = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where ${otherPid}::int = any(pg_blocking_pids(pid))`.execute(store.db);
      if (waiting.rows[0]!.n > 0) break;
      if (turns > 5000) throw new Error('the plain post never waited for the other one');
    }
    go();
    await other;
    const answer = await plain;
    expect(answer.statusCode).toBe(201);
    const stored = await store.db.selectFrom('messages').select('client_message_id').where('conversation_id', '=', conversation).orderBy('seq').execute();
    expect(stored.map((m) => m.client_message_id)).toEqual(['first', 'files', 'plain']);
  });
});
