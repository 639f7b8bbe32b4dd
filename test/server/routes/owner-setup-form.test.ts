/**
 * The set-up link's form (`/admin/setup`): it asks for the owner's name and email; a mistake shows the form
 * again with what to correct, echoing what was typed escaped, and uses nothing up; a taken email can be
 * corrected; the link works once.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, PUBLIC_URL, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';
import { submitOwnerSetup } from '../../helpers/owner-setup.js';

describe.each(DIALECTS)('the owner set-up form on %s', (dialect) => {
  let t: TestApp;
  let path: string;
  beforeEach(async () => {
    t = await createTestApp({ dialect });
    path = (await t.app.services.adminLinks.ownerSetupLinkIfNeeded(PUBLIC_URL))!.slice(PUBLIC_URL.length);
  });
  afterEach(async () => {
    await t.close();
  });

  it('shows the form under the pages’ policy (its own origin only, forms included), with labelled fields', async () => {
    const res = await t.app.inject({ method: 'GET', url: path });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toContain("default-src 'none'; script-src 'self'");
    expect(res.headers['content-security-policy']).toContain("form-action 'self'");
    // The form posts with this page's origin (which the post requires), and no other site hears of the link.
    expect(res.headers['referrer-policy']).toBe('same-origin');
    expect(res.body).toContain('<label for="owner-name">Your name</label>');
    expect(res.body).toContain('<input id="owner-email" name="email" type="email" autocomplete="email" required maxlength="320" value="">');
  });

  it('a wrong name or email shows the form again with the reason, escaped, and the link still works', async () => {
    for (const [fields, problem] of [
      [{ name: '', email: 'a@example.com' }, 'Your name must be 1 to 100 characters.'],
      [{ name: 'x'.repeat(101), email: 'a@example.com' }, 'Your name must be 1 to 100 characters.'],
      [{ name: 'Olga', email: 'not-an-email' }, 'Email must be an email address.'],
      [{ name: 'Olga' }, 'Email must be an email address.'],
    ] as const) {
      const res = await submitOwnerSetup(t.app, path, fields);
      expect([res.statusCode, res.body.includes(`<p class="problem" role="alert">${problem}</p>`)]).toEqual([400, true]);
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    const echoed = await submitOwnerSetup(t.app, path, { name: '<script>alert(1)</script>', email: '"><img src=x>' });
    expect(echoed.statusCode).toBe(400);
    expect(echoed.body).not.toContain('<script>alert');
    expect(echoed.body).not.toContain('"><img');
    expect(echoed.body).toContain('value="&#34;&#62;&#60;img src=x&#62;"');
    expect(await t.app.services.users.countActive()).toBe(0);
    expect((await submitOwnerSetup(t.app, path)).statusCode).toBe(303);
  });

  it('an email already taken is 409 with the form again, and another email then works', async () => {
    await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id: 'm', email: 'taken@example.com' } }) } });
    const taken = await submitOwnerSetup(t.app, path, { name: 'Olga', email: 'TAKEN@example.com' });
    expect(taken.statusCode).toBe(409);
    expect(taken.body).toContain('An account with this email exists already: use another one.');
    const ok = await submitOwnerSetup(t.app, path, { name: 'Olga', email: 'olga@example.com' });
    expect([ok.statusCode, ok.headers['location']]).toEqual([303, '/admin']);
    // A token that is no link is the usual error page, posted or visited.
    const bogus = await t.app.inject({ method: 'POST', url: '/admin/setup', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: PUBLIC_URL }, payload: 'token=nope&name=a&email=a%40b.c' });
    expect([bogus.statusCode, bogus.body.includes('data-code="link_invalid"')]).toEqual([404, true]);
  });

  it('refuses a post from another site (or without an Origin) before looking at its link, which stays usable', async () => {
    for (const headers of [{ origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }, { origin: PUBLIC_URL, 'sec-fetch-site': 'cross-site' }, {}]) {
      const token = new URL(path, 'http://x').searchParams.get('token') ?? '';
      const res = await t.app.inject({ method: 'POST', url: '/admin/setup', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, payload: new URLSearchParams({ token, name: 'Eve', email: 'eve@evil.example' }).toString() });
      expect([res.statusCode, res.body.includes('data-code="csrf_rejected"'), res.headers['set-cookie']]).toEqual([403, true, undefined]);
    }
    expect((await submitOwnerSetup(t.app, path)).statusCode).toBe(303);
  });
});
