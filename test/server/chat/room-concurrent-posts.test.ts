/**
 * Members of one document room posting at the same time, on PostgreSQL: each post's message insert takes FOR
 * KEY SHARE on the room's conversation row (its foreign key), and the post then updates that row (its activity
 * time, reopening it). A lock on the row that conflicts with KEY SHARE (FOR UPDATE) made two posts that had
 * both inserted wait for each other: PostgreSQL aborted one as a deadlock, answered 500 (70 of 80 posts here).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';

const DOC = 'doc-busy-room';
const grant = { type: 'document', id: DOC, organizationId: 'default', accessRole: 'editor' };

describe.skipIf(!DIALECTS.includes('postgres'))('several members posting at once in one room (PostgreSQL)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ dialect: 'postgres', env: { PARLEY_MESSAGE_RATE_LIMIT: '1000/1m' } });
  });
  afterEach(async () => {
    await t.close();
  });

  it('ten rounds of eight members posting at once: every post 201, every message stored once', async () => {
    const members = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const code = await t.sign({ user: { id: `editor-${i}`, name: `Editor ${i}` }, permissions: { resources: [grant] } });
        const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: code } });
        return { authorization: `Bearer ${res.json().session.token}` };
      }),
    );
    const room = (await t.app.inject({ method: 'POST', url: `/api/v1/documents/${DOC}/open`, headers: members[0]! })).json().conversation.id as string;
    for (const headers of members) expect((await t.app.inject({ method: 'POST', url: `/api/v1/conversations/${room}/messages`, headers, payload: { text: 'warm', clientMessageId: 'warm' } })).statusCode).toBe(201);
    const answers = [];
    for (let round = 0; round < 10; round++) {
      answers.push(
        ...(await Promise.all(members.map((headers, i) => t.app.inject({ method: 'POST', url: `/api/v1/conversations/${room}/messages`, headers, payload: { text: `r${round} m${i}`, clientMessageId: `r${round}` } })))),
      );
    }
    expect(answers.map((a) => (a.statusCode === 201 ? 201 : `${a.statusCode} ${a.body}`))).toEqual(Array(80).fill(201));
    const stored = await t.db.store.db.selectFrom('messages').select('text').where('conversation_id', '=', room).execute();
    expect(stored.length).toBe(88);
    expect(new Set(stored.map((m) => m.text)).size).toBe(80 + 1);
  }, 60_000);
});
