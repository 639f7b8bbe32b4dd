/**
 * The hint of a stored API key: `…` and its last four characters only for a key of 12 characters or more;
 * a shorter key shows none of its characters (a key of four or fewer was once shown whole, as `…abcd`).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';

describe.each(DIALECTS)('the API key hint (%s)', (dialect) => {
  let t: TestApp;
  afterEach(async () => {
    await t.close();
  });

  it('shows the last four characters of a key of 12 or more, none of a shorter one', async () => {
    t = await createTestApp({ dialect });
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id: 'the-owner' } }) } });
    await t.app.services.users.setRole(res.json().user.id, 'owner');
    const headers = { authorization: `Bearer ${res.json().session.token}` };
    const fields = { name: 'Ada', baseUrl: 'http://127.0.0.1:9/v1', model: 'm', systemPrompt: '', answers: 'never', allowPrivateAddress: true };
    const hints: [string, unknown][] = [];
    for (const apiKey of ['abcd', 'xy', 'sk-12345678', 'sk-123456789']) {
      t.clock.now += 1000; // the list is oldest first
      const created = await t.app.inject({ method: 'POST', url: '/api/v1/admin/assistants', headers, payload: { ...fields, apiKey } });
      expect(created.statusCode).toBe(201);
      hints.push([apiKey, created.json().assistant.apiKeyHint]);
    }
    expect(hints).toEqual([
      ['abcd', '…'],
      ['xy', '…'],
      ['sk-12345678', '…'],
      ['sk-123456789', '…6789'],
    ]);
    // The list and a change answer the same hints.
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/admin/assistants', headers });
    expect(list.json().assistants.map((a: { apiKeyHint: string }) => a.apiKeyHint)).toEqual(['…', '…', '…', '…6789']);
    const id = list.json().assistants[3].id as string;
    const changed = await t.app.inject({ method: 'PATCH', url: `/api/v1/admin/assistants/${id}`, headers, payload: { apiKey: 'wxyz' } });
    expect([changed.statusCode, changed.json().assistant.apiKeyHint]).toEqual([200, '…']);
  });
});
