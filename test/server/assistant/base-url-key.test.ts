/**
 * The stored API key goes only where it went: a base URL on another host needs the key again (an
 * administrator could otherwise point the assistant at their own server and receive the key); on the same
 * host the key is kept.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { startFakeProvider, type FakeProvider } from './fake-provider.js';

describe('a new base URL', () => {
  let t: TestApp;
  let provider: FakeProvider;
  afterEach(async () => {
    await t.close();
    await provider.close();
  });

  it('on another host needs the API key again; on the same host it keeps it', async () => {
    provider = await startFakeProvider();
    t = await createTestApp();
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id: 'the-owner' } }) } });
    await t.app.services.users.setRole(res.json().user.id, 'owner');
    const headers = { authorization: `Bearer ${res.json().session.token}` };
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/admin/assistants', headers, payload: { name: 'Ada', baseUrl: provider.url, model: 'm', apiKey: 'sk-test-key-1234', systemPrompt: 'Help.', answers: 'always', allowPrivateAddress: true } });
    const id = created.json().assistant.id;
    const elsewhere = provider.url.replace('127.0.0.1', 'localhost');
    const moved = await t.app.inject({ method: 'PATCH', url: `/api/v1/admin/assistants/${id}`, headers, payload: { baseUrl: elsewhere } });
    expect([moved.statusCode, moved.json().error.code]).toEqual([400, 'bad_request']);
    const samePlace = await t.app.inject({ method: 'PATCH', url: `/api/v1/admin/assistants/${id}`, headers, payload: { baseUrl: `${provider.url}/` } });
    expect([samePlace.statusCode, samePlace.json().assistant.apiKeyHint]).toEqual([200, '…1234']);
    const withKey = await t.app.inject({ method: 'PATCH', url: `/api/v1/admin/assistants/${id}`, headers, payload: { baseUrl: elsewhere, apiKey: 'sk-other-key-5678' } });
    expect([withKey.statusCode, withKey.json().assistant.apiKeyHint]).toEqual([200, '…5678']);
  });
});
