/**
 * "Talk to a person" hands over only a conversation the assistant answers: where none serves it, it changes
 * nothing (a person's assignment and a resolve stay, no system message, no alert).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';

describe('a hand-off where no assistant answers', () => {
  let t: TestApp;
  afterEach(async () => {
    await t.close();
  });

  it('changes nothing', async () => {
    t = await createTestApp();
    const sign = async (id: string) => (await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id } }) } })).json();
    const owner = await sign('the-owner');
    await t.app.services.users.setRole(owner.user.id, 'owner');
    const ownerHeaders = { authorization: `Bearer ${owner.session.token}` };
    const user = { authorization: `Bearer ${(await sign('ada')).session.token}` };
    const conversation = (await t.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: user, payload: { message: { text: 'Hi', clientMessageId: 'c1' } } })).json().conversation;
    const patched = await t.app.inject({ method: 'PATCH', url: `/api/v1/admin/conversations/${conversation.id}`, headers: ownerHeaders, payload: { assigneeId: owner.user.id, status: 'resolved' } });
    expect(patched.statusCode).toBe(200);
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/conversations/${conversation.id}/handoff`, headers: user });
    expect([res.statusCode, res.json().conversation.status, res.json().conversation.assigneeId, res.json().conversation.assistant]).toEqual([200, 'resolved', owner.user.id, null]);
    const messages = (await t.app.inject({ method: 'GET', url: `/api/v1/conversations/${conversation.id}/messages`, headers: user })).json().messages;
    expect(messages.map((m: { text: string }) => m.text)).toEqual(['Hi']);
  });
});
