/**
 * The session's read with a conversation on PostgreSQL (store/sessions.ts `withAccount`): the conversation
 * comes back exactly as the conversations repository reads it (every column, numbers as numbers), with the
 * account's participation, or null when there is none, and for a document room the account's role on its
 * document as grants.roleFor answers it; the session's own answers are unchanged by it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createConversationRepository } from '../../../server/src/store/conversations.js';
import { createGrantRepository } from '../../../server/src/store/grants.js';
import { DEFAULT_ORGANIZATION_ID } from '../../../server/src/store/migrations.js';
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

    const asAlice = await revoked.withAccount!('ses_any', alice.userId, { conversationId: id, now: t.clock.now });
    expect(asAlice.conversation).toEqual(await conversations.findWithParticipation(id, alice.userId));
    expect(asAlice.conversation?.participant).toBe(true);
    expect(typeof asAlice.conversation?.row.snoozed_until).toBe('number');
    expect(asAlice).toEqual({ ...(await revoked.withAccount!('ses_any', alice.userId)), conversation: asAlice.conversation });

    const asBob = await revoked.withAccount!('ses_any', bob.userId, { conversationId: id, now: t.clock.now });
    expect(asBob.conversation).toEqual({ row: asAlice.conversation!.row, participant: false });
    expect((await revoked.withAccount!('ses_any', bob.userId, { conversationId: 'cnv_unknown', now: t.clock.now })).conversation).toBeNull();
    // Without a conversation asked for, none is answered.
    expect('conversation' in (await revoked.withAccount!('ses_any', bob.userId))).toBe(false);
  });

  it('still answers a revoked session and an unknown account as such', async () => {
    const alice = await signIn('alice');
    await revoked().revoke('ses_gone', t.clock.now + 60_000, t.clock.now);
    expect(await revoked().withAccount!('ses_gone', alice.userId, { conversationId: 'cnv_unknown', now: t.clock.now })).toMatchObject({ revoked: true, conversation: null });
    expect(await revoked().withAccount!('ses_any', 'usr_unknown', { conversationId: 'cnv_unknown', now: t.clock.now })).toEqual({ revoked: false, user: undefined, conversation: null });
  });

  it('answers a member’s role on a document room’s document as grants.roleFor does, at the time given', async () => {
    const alice = await signIn('alice');
    const db = t.db.store.db;
    const now = t.clock.now;
    const org = DEFAULT_ORGANIZATION_ID;
    const grants = createGrantRepository(t.db.store);
    await db.insertInto('documents').values([{ organization_id: org, id: 'doc_folder', folder_id: 'fld_a' }, { organization_id: org, id: 'doc_plain', folder_id: null }]).execute();
    for (const doc of ['doc_none', 'doc_viewer', 'doc_folder', 'doc_expired', 'doc_plain']) {
      await db.insertInto('conversations').values({ id: `cnv_${doc}`, organization_id: org, document_id: doc, title: null, created_by: null, created_at: now }).execute();
    }
    const grant = (resource_type: 'document' | 'folder', resource_id: string, access_role: 'viewer' | 'editor', expires_at: number | null) =>
      db.insertInto('grants').values({ user_id: alice.userId, organization_id: org, resource_type, resource_id, access_role, expires_at }).execute();
    await grant('document', 'doc_viewer', 'viewer', null);
    await grant('folder', 'fld_a', 'editor', now + 60_000);
    await grant('document', 'doc_folder', 'viewer', null);
    await grant('document', 'doc_expired', 'editor', now);
    const roles: Record<string, unknown> = {};
    for (const doc of ['doc_none', 'doc_viewer', 'doc_folder', 'doc_expired', 'doc_plain']) {
      const state = await revoked().withAccount!('ses_any', alice.userId, { conversationId: `cnv_${doc}`, now });
      expect(state.conversation?.documentRole).toBe((await grants.roleFor(alice.userId, org, doc, now))?.role ?? null);
      roles[doc] = state.conversation?.documentRole;
    }
    expect(roles).toEqual({ doc_none: null, doc_viewer: 'viewer', doc_folder: 'editor', doc_expired: null, doc_plain: null });
    // An organization grant covers every room; it ends at its time.
    await db.insertInto('grants').values({ user_id: alice.userId, organization_id: org, resource_type: 'organization', resource_id: org, access_role: 'viewer', expires_at: now + 1000 }).execute();
    expect((await revoked().withAccount!('ses_any', alice.userId, { conversationId: 'cnv_doc_plain', now })).conversation?.documentRole).toBe('viewer');
    expect((await revoked().withAccount!('ses_any', alice.userId, { conversationId: 'cnv_doc_plain', now: now + 1000 })).conversation?.documentRole).toBe(null);
  });

  const revoked = () => createRevokedSessionRepository(t.db.store);
});
