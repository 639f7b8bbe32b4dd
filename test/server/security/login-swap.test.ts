/**
 * Login swap: a page on another site navigates the victim's browser to `/?externalAuthCode=<the attacker's
 * own code>`. With a live session of another account in the cookie, the hosted page asks first; the answer
 * is a same-origin POST carrying a one-time pending sign-in, never the code, never a URL with it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, PUBLIC_URL, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';

const ERROR_PAGE_CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'self'";
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const SAME_ORIGIN = { ...FORM, origin: PUBLIC_URL, 'sec-fetch-site': 'same-origin' };

describe.each(DIALECTS)('switching accounts on the hosted page on %s', (dialect) => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp({ dialect });
  });
  afterEach(async () => {
    await t.close();
  });

  const sessionOf = (res: { cookies: { name: string; value: string }[] }) => res.cookies.find((c) => c.name === 'parley_session')?.value;
  const signInAs = async (user: Record<string, unknown>) => sessionOf(await t.app.inject({ method: 'GET', url: `/?externalAuthCode=${await t.sign({ user })}` }))!;
  const whoIs = async (session: string) => (await t.app.inject({ method: 'GET', url: '/api/v1/me', cookies: { parley_session: session } })).json().user?.externalId;
  const pendingOf = (body: string) => /<input type="hidden" name="pending" value="([^"]+)">/.exec(body)?.[1];
  const answer = (fields: Record<string, string>, headers: Record<string, string> = SAME_ORIGIN, cookies: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url: '/sign-in/continue', headers, cookies, payload: new URLSearchParams(fields).toString() });

  it("another account's code asks first and changes nothing until answered", async () => {
    const alice = await signInAs({ id: 'alice', name: 'Alice' });
    const code = await t.sign({ user: { id: 'mallory', name: '<b>Mallory</b>' } });
    const res = await t.app.inject({ method: 'GET', url: `/p?tab=2&externalAuthCode=${code}`, cookies: { parley_session: alice } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-store');
    // Not no-referrer: the form's POST must carry a real Origin, and strict-origin never sends the URL.
    expect(res.headers['referrer-policy']).toBe('strict-origin');
    expect(res.body).toContain('<meta name="referrer" content="strict-origin">');
    expect(res.headers['content-security-policy']).toBe(ERROR_PAGE_CSP);
    expect(res.headers['set-cookie']).toBeUndefined();
    const pending = pendingOf(res.body);
    expect(pending).toMatch(/^pss_[A-Za-z0-9_-]{1,124}$/);
    expect(res.body).toContain('<main class="error" data-code="switch_account">');
    expect(res.body).toContain('<p>You are signed in as <strong>Alice</strong>. Continue as <strong>&lt;b&gt;Mallory&lt;/b&gt;</strong>?</p>');
    expect(res.body).toContain(
      `<form method="post" action="/sign-in/continue">\n<input type="hidden" name="pending" value="${pending}">\n<input type="hidden" name="next" value="/p?tab=2">\n<button type="submit">Continue as &lt;b&gt;Mallory&lt;/b&gt;</button>\n</form>`,
    );
    expect(res.body).toContain('<a href="/p?tab=2">Stay as Alice</a>');
    for (const part of code.split('.')) expect(res.body).not.toContain(part);
    // Nothing changed: the browser is still Alice's.
    expect(await whoIs(alice)).toBe('alice');
  });

  it('continuing (a same-origin POST) signs in as the other account, once, and lands without the code', async () => {
    const alice = await signInAs({ id: 'alice', name: 'Alice' });
    const code = await t.sign({ user: { id: 'bob', name: 'Bob' } });
    const question = await t.app.inject({ method: 'GET', url: `/p?tab=2&externalAuthCode=${code}`, cookies: { parley_session: alice } });
    const pending = pendingOf(question.body)!;
    const res = await answer({ pending, next: '/p?tab=2' }, SAME_ORIGIN, { parley_session: alice });
    expect(res.statusCode).toBe(303);
    expect(res.headers['location']).toBe('/p?tab=2');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toBe('');
    const bob = sessionOf(res)!;
    expect(res.cookies.find((c) => c.name === 'parley_session')).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(bob).not.toBe(pending);
    expect(await whoIs(bob)).toBe('bob');
    // The pending sign-in is spent: a replay is refused, and it is no session any more either.
    const replay = await answer({ pending, next: '/p?tab=2' });
    expect(replay.statusCode).toBe(401);
    expect(replay.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(replay.body).toContain('<main class="error" data-code="session_invalid">');
    expect(replay.headers['set-cookie']).toBeUndefined();
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${pending}` } })).statusCode).toBe(401);
  });

  it.each([
    ['another Origin', { ...FORM, origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' }],
    ['no Origin', { ...FORM }],
    ['own Origin but Sec-Fetch-Site cross-site', { ...FORM, origin: PUBLIC_URL, 'sec-fetch-site': 'cross-site' }],
    ['own Origin but Sec-Fetch-Site same-site', { ...FORM, origin: PUBLIC_URL, 'sec-fetch-site': 'same-site' }],
  ])('refuses the answer from %s with 403 csrf_rejected', async (_label, headers) => {
    const alice = await signInAs({ id: 'alice', name: 'Alice' });
    const pending = pendingOf((await t.app.inject({ method: 'GET', url: `/?externalAuthCode=${await t.sign({ user: { id: 'mallory' } })}`, cookies: { parley_session: alice } })).body)!;
    const res = await answer({ pending, next: '/' }, headers);
    expect(res.statusCode).toBe(403);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toContain('<main class="error" data-code="csrf_rejected">');
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('refuses a malformed answer with 400 and only ever lands on an own path', async () => {
    const alice = await signInAs({ id: 'alice', name: 'Alice' });
    const ask = async () => pendingOf((await t.app.inject({ method: 'GET', url: `/?externalAuthCode=${await t.sign({ user: { id: 'bob', name: 'Bob' } })}`, cookies: { parley_session: alice } })).body)!;
    for (const fields of [{}, { pending: 'x'.repeat(200), next: '/' }, { pending: 'not a token!', next: '/' }] as Record<string, string>[]) {
      const res = await answer(fields);
      expect([JSON.stringify(fields).slice(0, 40), res.statusCode]).toEqual([JSON.stringify(fields).slice(0, 40), 400]);
      expect(res.body).toContain('data-code="bad_request"');
    }
    const json = await t.app.inject({ method: 'POST', url: '/sign-in/continue', headers: { origin: PUBLIC_URL, 'content-type': 'application/json' }, payload: { pending: await ask(), next: '/' } });
    expect(json.statusCode).toBe(415);
    for (const [next, location] of [['https://evil.example/x', '/x'], ['//evil.example/x', '/evil.example/x'], ['/\\evil.example', '/evil.example'], ['', '/'], ['javascript:alert(1)', '/']]) {
      const res = await answer({ pending: await ask(), next: next! });
      expect([next, res.statusCode, res.headers['location']]).toEqual([next, 303, location]);
    }
  });

  it('the same account signs in without a question; no or a dead session signs in directly', async () => {
    const alice = await signInAs({ id: 'alice', name: 'Alice' });
    const again = await t.app.inject({ method: 'GET', url: `/?externalAuthCode=${await t.sign({ user: { id: 'alice' } })}`, cookies: { parley_session: alice } });
    expect([again.statusCode, again.headers['location']]).toEqual([303, '/']);
    expect(await whoIs(sessionOf(again)!)).toBe('alice');
    for (const dead of ['garbage', `${alice.slice(0, -2)}xx`]) {
      const res = await t.app.inject({ method: 'GET', url: `/?externalAuthCode=${await t.sign({ user: { id: 'bob' } })}`, cookies: { parley_session: dead } });
      expect([res.statusCode, res.headers['location']]).toEqual([303, '/']);
      expect(await whoIs(sessionOf(res)!)).toBe('bob');
    }
    // A logged-out session is no session either.
    await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: { origin: PUBLIC_URL }, cookies: { parley_session: alice } });
    const afterLogout = await t.app.inject({ method: 'GET', url: `/?externalAuthCode=${await t.sign({ user: { id: 'bob' } })}`, cookies: { parley_session: alice } });
    expect(afterLogout.statusCode).toBe(303);
  });

  it('a pending sign-in lasts ten minutes', async () => {
    const alice = await signInAs({ id: 'alice', name: 'Alice' });
    const pending = pendingOf((await t.app.inject({ method: 'GET', url: `/?externalAuthCode=${await t.sign({ user: { id: 'bob' } })}`, cookies: { parley_session: alice } })).body)!;
    t.clock.now += 10 * 60_000 + 1;
    const res = await answer({ pending, next: '/' });
    expect(res.statusCode).toBe(401);
    expect(res.body).toContain('data-code="session_invalid"');
  });
});
