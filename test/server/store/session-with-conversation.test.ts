/**
 * The session's read with a conversation on PostgreSQL (store/sessions.ts `withAccount`): the conversation
 * comes back exactly as the conversations repository reads it (every column, numbers as numbers), with the
 * account's participation, or null when there is none; the session's own answers are unchanged by it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createConversationRepository } from '../../../server/src/store/conversations.js';
import { createRevokedSessionRepository } from '../../../server/src/store/sessions.js';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';

describe.skipIf(!DIALECTS.includes('postgres'))('the session read with a conversation on PostgreSQL', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ dialect: 'postgres' });
  });
  afterEach(async () => {
    await t.close();
  });

  const signIn = async (id: string) => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id, name: id } }) } });
    expect(res.statusCode).toBe(200);
    return { token: res.json().session.token as string, userId: res.json().user.id as string };
  };

  it('answers the row findWithParticipation answers, the participation, and null for no conversation', async () => {
    const alice = await signIn('alice');
    const bob = await signIn('bob');
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: { authorization: `Bearer ${alice.token}` }, payload: { message: { text: 'Help', clientMessageId: 'c1' } } });
    const id = created.json().conversation.id as string;
    // Every nullable number set, so that each column's type is compared.
    await t.db.store.db.updateTable('conversations').set({ snoozed_until: t.clock.now + 1, assistant_off_at: t.clock.now + 2, status: 'snoozed', assignee_id: bob.userId }).where('id', '=', id).execute();
    const revoked = createRevokedSessionRepository(t.db.store);
    const conversations = createConversationRepository(t.db.store);

    const asAlice = await revoked.withAccount!('ses_any', alice.userId, id);
    expect(asAlice.conversation).toEqual(await conversations.findWithParticipation(id, alice.userId));
    expect(asAlice.conversation?.participant).toBe(true);
    expect(typeof asAlice.conversation?.row.snoozed_until).toBe('number');
    expect(asAlice).toEqual({ ...(await revoked.withAccount!('ses_any', alice.userId)), conversation: asAlice.conversation });

    const asBob = await revoked.withAccount!('ses_any', bob.userId, id);
    expect(asBob.conversation).toEqual({ row: asAlice.conversation!.row, participant: false });
    expect((await revoked.withAccount!('ses_any', bob.userId, 'cnv_unknown')).conversation).toBeNull();
    // Without a conversation asked for, none is answered.
    expect('conversation' in (await revoked.withAccount!('ses_any', bob.userId))).toBe(false);
  });

  it('still answers a revoked session and an unknown account as such', async () => {
    const alice = await signIn('alice');
    await revoked().revoke('ses_gone', t.clock.now + 60_000, t.clock.now);
    expect(await revoked().withAccount!('ses_gone', alice.userId, 'cnv_unknown')).toMatchObject({ revoked: true, conversation: null });
    expect(await revoked().withAccount!('ses_any', 'usr_unknown', 'cnv_unknown')).toEqual({ revoked: false, user: undefined, conversation: null });
  });

  const revoked = () => createRevokedSessionRepository(t.db.store);
});
