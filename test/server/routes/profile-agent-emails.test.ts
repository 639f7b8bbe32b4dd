/**
 * An administrator's own switch for the emails about conversations waiting for an answer
 * (`PATCH /api/v1/admin/profile` `{"agentEmails"}`): on until turned off, kept beside the other preferences,
 * read by the agent notifications, validated and audited as the profile's other fields are.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { emailPreferencesOf } from '../../../server/src/outbound/notifications.js';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';

type Headers = Record<string, string>;

describe.each(DIALECTS)('the agent-email preference on %s', (dialect) => {
  let t: TestApp;

  async function sessionFor(user: Record<string, unknown>, role: 'owner' | 'member' = 'member') {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user }) } });
    expect(res.statusCode).toBe(200);
    const { session, user: created } = res.json();
    if (role !== 'member') await t.app.services.users.setRole(created.id, role);
    return { headers: { authorization: `Bearer ${session.token}` } as Headers, userId: created.id as string };
  }
  const patch = (headers: Headers, payload: object) => t.app.inject({ method: 'PATCH', url: '/api/v1/admin/profile', headers, payload });

  beforeEach(async () => {
    t = await createTestApp({ dialect });
  });
  afterEach(async () => {
    await t.close();
  });

  it('is on by default; turning it off keeps the sound, is what the notifications read, and is audited', async () => {
    const owner = await sessionFor({ id: 'the-owner', email: 'owner@example.com' }, 'owner');
    const read = await t.app.inject({ method: 'GET', url: '/api/v1/admin/profile', headers: owner.headers });
    expect(read.json().profile.preferences).toEqual({ sound: false, agentEmails: true });

    expect((await patch(owner.headers, { sound: true })).json().profile.preferences).toEqual({ sound: true, agentEmails: true });
    const off = await patch(owner.headers, { agentEmails: false });
    expect(off.statusCode).toBe(200);
    expect(off.json().profile.preferences).toEqual({ sound: true, agentEmails: false });
    expect(emailPreferencesOf((await t.app.services.users.findById(owner.userId))!)).toEqual({ emailNotifications: true, agentEmails: false });

    expect((await patch(owner.headers, { agentEmails: true })).json().profile.preferences).toEqual({ sound: true, agentEmails: true });

    const audit = await t.app.inject({ method: 'GET', url: '/api/v1/admin/audit?kind=admin', headers: owner.headers });
    expect(audit.json().entries.slice(0, 3).map((e: { action: string; outcome: string; target: string }) => [e.action, e.outcome, e.target])).toEqual([
      ['profile.update', 'ok', owner.userId],
      ['profile.update', 'ok', owner.userId],
      ['profile.update', 'ok', owner.userId],
    ]);
  });

  it('refuses a value that is not a boolean, and a member', async () => {
    const owner = await sessionFor({ id: 'the-owner', email: 'owner@example.com' }, 'owner');
    const member = await sessionFor({ id: 'alice' });
    const bad = await patch(owner.headers, { agentEmails: 'no' });
    expect([bad.statusCode, bad.json()]).toEqual([400, { error: { code: 'bad_request', message: 'agentEmails must be true or false' } }]);
    const refused = await patch(member.headers, { agentEmails: false });
    expect([refused.statusCode, refused.json().error.code]).toEqual([403, 'admin_required']);
    expect(emailPreferencesOf((await t.app.services.users.findById(owner.userId))!).agentEmails).toBe(true);
  });
});
