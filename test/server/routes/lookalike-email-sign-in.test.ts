/**
 * An `email` claim that Unicode normalisation would change used to be looked up after NFC and lower-casing,
 * so `{ "email": "\u212Aevin@x" }` (the Kelvin sign, which NFC turns into K) signed into kevin@x's account.
 * Such an address is now refused as token_invalid at both doors, in every payload form.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';

describe('an email claim that changes under NFC or NFKC is refused', () => {
  let t: TestApp;
  let kevin: string;
  beforeEach(async () => {
    t = await createTestApp();
    const res = await exchange(await t.sign({ user: { id: 'kevin', email: 'kevin@x' } }));
    expect(res.statusCode).toBe(200);
    kevin = res.json().user.id;
  });
  afterEach(async () => {
    await t.close();
  });

  const exchange = (code: string) => t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: code } });
  const expectInvalid = async (payload: Record<string, unknown>) => {
    const code = await t.sign(payload);
    const res = await exchange(code);
    expect(res.statusCode, JSON.stringify(payload)).toBe(401);
    expect(res.json()).toEqual({ error: { code: 'token_invalid', message: 'The sign-in token is not valid.' } });
    // The hosted page, the other door, opens no session either.
    const page = await t.app.inject({ method: 'GET', url: `/?externalAuthCode=${code}` });
    expect(String(page.headers['set-cookie'] ?? '')).not.toContain('parley_session=');
  };

  it("the Kelvin sign does not sign into kevin@x's account", async () => {
    expect('\u212Aevin@x'.normalize('NFC').toLowerCase()).toBe('kevin@x');
    await expectInvalid({ email: '\u212Aevin@x' });
    await expectInvalid({ email: '\u212AEVIN@x' });
  });

  it('nor do fullwidth letters or a ligature (NFKC), nor the same address in user.email', async () => {
    await expectInvalid({ email: '\uff4bevin@x' });
    await expectInvalid({ email: 'kevin@\ufb01x' });
    await expectInvalid({ user: { id: 'mallory', email: '\u212Aevin@x' } });
    await expectInvalid({ user: { id: 'kevin', email: '\u212Aevin@x' } });
    expect(await t.app.services.users.findByExternalId('mallory')).toBeUndefined();
    expect((await t.app.services.users.findById(kevin))?.email).toBe('kevin@x');
  });

  it('the address itself still signs in, in any case', async () => {
    for (const email of ['kevin@x', 'KEVIN@X', 'Kevin@x']) {
      const res = await exchange(await t.sign({ email }));
      expect(res.statusCode, email).toBe(200);
      expect(res.json().user.id).toBe(kevin);
    }
    const page = await t.app.inject({ method: 'GET', url: `/?externalAuthCode=${await t.sign({ email: 'kevin@x' })}` });
    expect(String(page.headers['set-cookie'])).toContain('parley_session=');
  });
});
