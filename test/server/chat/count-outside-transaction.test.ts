/**
 * The per-account message limit is counted before a post's transaction (chat/chat-service.ts): a limit store
 * that answers slowly (Redis in a brownout) holds no transaction open, so it cannot keep a group of posts
 * (chat/transaction-groups.ts) and their conversations' rows waiting on it. (Counted inside, as it was, the
 * message's insert came first and held its lock while the count was asked.)
 */
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';

describe.skipIf(!DIALECTS.includes('postgres'))('counting a post against its limit, on PostgreSQL', () => {
  let t: TestApp;
  afterEach(async () => t.close());

  it('holds no transaction open while the count is being answered, and writes the message once it is', async () => {
    t = await createTestApp({ dialect: 'postgres' });
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id: 'alice', name: 'Alice' } }) } });
    const headers = { authorization: `Bearer ${res.json().session.token}` };
    const conversation = (await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers, payload: {} })).json().conversation.id as string;
    const user = (await t.app.services.users.findById(res.json().user.id))!;

    let answer!: () => void;
    let asked!: () => void;
    const counting = new Promise<void>((resolve) => (asked = resolve));
    const posted = t.app.services.chat.postMessage(user, conversation, 'hello', 'c1', () =>
      new Promise((resolve) => {
        answer = () => resolve(() => undefined);
        asked();
      }),
    );
    await counting;
    // While the count is unanswered, no transaction has written to this app's messages table (its own schema:
    // tests of other files share the database): none holds the lock a write takes until its commit.
    const writers = await sql<{ n: number }>`
      select count(*)::int as n from pg_locks l join pg_class c on c.oid = l.relation join pg_namespace n on n.oid = c.relnamespace
      where l.database = (select oid from pg_database where datname = current_database())
        and n.nspname = current_schema() and c.relname in ('messages', 'read_markers') and l.mode = 'RowExclusiveLock'`.execute(t.db.store.db);
    expect(writers.rows[0]!.n).toBe(0);
    expect(await t.db.store.db.selectFrom('messages').select('id').where('client_message_id', '=', 'c1').execute()).toEqual([]);
    answer();
    const { message, created } = await posted;
    expect([message.text, created]).toEqual(['hello', true]);
  });
});
