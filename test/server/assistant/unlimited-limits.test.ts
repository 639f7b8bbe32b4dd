/**
 * An assistant's daily limits left empty are unlimited: `null` in the admin REST stays `null` (Fastify's
 * type coercion once turned it into 0, and the assistant then answered nobody).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { startFakeProvider, type FakeProvider } from './fake-provider.js';

describe('unlimited assistant limits', () => {
  let t: TestApp;
  let provider: FakeProvider;
  afterEach(async () => {
    await t.close();
    await provider.close();
  });

  it('keeps null limits null when created and when changed back', async () => {
    provider = await startFakeProvider();
    t = await createTestApp();
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id: 'the-owner' } }) } });
    await t.app.services.users.setRole(res.json().user.id, 'owner');
    const headers = { authorization: `Bearer ${res.json().session.token}` };
    const limits = { userMessagesPerDay: null, userTokensPerDay: null, organizationMessagesPerDay: null, organizationTokensPerDay: null };
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/admin/assistants', headers, payload: { name: 'Ada', baseUrl: provider.url, model: 'm', apiKey: 'sk-test-key-1234', systemPrompt: 'Help.', answers: 'always', allowPrivateAddress: true, limits } });
    expect([created.statusCode, created.json().assistant.limits]).toEqual([201, limits]);
    const id = created.json().assistant.id;
    const patched = await t.app.inject({ method: 'PATCH', url: `/api/v1/admin/assistants/${id}`, headers, payload: { limits: { ...limits, userMessagesPerDay: 5 } } });
    expect(patched.json().assistant.limits).toEqual({ ...limits, userMessagesPerDay: 5 });
    const back = await t.app.inject({ method: 'PATCH', url: `/api/v1/admin/assistants/${id}`, headers, payload: { limits } });
    expect(back.json().assistant.limits).toEqual(limits);
  });
});
