/**
 * A notification email's link, `/email/open?token=`, opened in a browser signed in as another account (a
 * member forwards the link of their own email to a signed-in visitor): it asks first, as the hosted page's
 * links do, keeps the visitor's session, and leaves the link unused until the answer, a same-origin POST.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEmailLinkRepository } from '../../../server/src/store/email-links.js';
import { createTestApp, PUBLIC_URL, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const SAME_ORIGIN = { ...FORM, origin: PUBLIC_URL, 'sec-fetch-site': 'same-origin' };

describe.each(DIALECTS)('opening an email link while signed in as another account on %s', (dialect) => {
  let t: TestApp;
  let started = 0;
  beforeEach(async () => {
    t = await createTestApp({ dialect });
  });
  afterEach(async () => {
    await t.close();
  });

  const sessionOf = (res: { cookies: { name: string; value: string }[] }) => res.cookies.find((c) => c.name === 'parley_session')?.value;
  const signInAs = async (id: string, name: string) => sessionOf(await t.app.inject({ method: 'GET', url: `/?externalAuthCode=${await t.sign({ user: { id, name } })}` }))!;
  const me = async (session: string) => (await t.app.inject({ method: 'GET', url: '/api/v1/me', cookies: { parley_session: session } })).json().user as { id: string; externalId: string };
  /** A notification link of `session`'s account to a conversation of theirs. */
  async function linkOf(session: string) {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/conversations', cookies: { parley_session: session }, headers: { origin: PUBLIC_URL }, payload: { message: { text: 'hello', clientMessageId: `c-${++started}` } } });
    expect(res.statusCode).toBe(201);
    const conversationId = res.json().conversation.id as string;
    const token = await createEmailLinkRepository(t.app.store.db).create(t.app.store.db, (await me(session)).id, conversationId, t.clock.now);
    return { token, conversationId };
  }
  const open = (token: string, cookies: Record<string, string> = {}) => t.app.inject({ method: 'GET', url: `/email/open?token=${token}`, cookies });
  const confirm = (token: string, headers: Record<string, string> = SAME_ORIGIN, cookies: Record<string, string> = {}) =>
    t.app.inject({ method: 'POST', url: '/email/open', headers, cookies, payload: new URLSearchParams({ token }).toString() });

  it("asks first, keeps the visitor's session and the link unused; confirming signs in as the link's account, once", async () => {
    const alice = await signInAs('alice', 'Alice');
    const bob = await signInAs('bob', 'Bob');
    const { token, conversationId } = await linkOf(bob);

    const question = await open(token, { parley_session: alice });
    expect(question.statusCode).toBe(200);
    expect(question.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(question.headers['cache-control']).toBe('no-store');
    expect(question.headers['referrer-policy']).toBe('strict-origin');
    expect(question.headers['set-cookie']).toBeUndefined();
    expect(question.body).toContain('<main class="error" data-code="switch_account">');
    expect(question.body).toContain('<p>You are signed in as <strong>Alice</strong>. Continue as <strong>Bob</strong>?</p>');
    expect(question.body).toContain(`<form method="post" action="/email/open">\n<input type="hidden" name="token" value="${token}">\n<button type="submit">Continue as Bob</button>\n</form>`);
    expect(question.body).toContain('<a href="/">Stay as Alice</a>');
    expect((await me(alice)).externalId).toBe('alice');
    // The link is still usable: asking again asks again, it is not link_used.
    expect((await open(token, { parley_session: alice })).statusCode).toBe(200);

    const res = await confirm(token, SAME_ORIGIN, { parley_session: alice });
    expect(res.statusCode).toBe(303);
    expect(res.headers['location']).toBe(`/?conversation=${conversationId}`);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toBe('');
    const signedIn = sessionOf(res)!;
    expect(res.cookies.find((c) => c.name === 'parley_session')).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expect((await me(signedIn)).externalId).toBe('bob');
    // Spent by the answer: neither a second answer nor the link itself signs in again.
    const replay = await confirm(token);
    expect(replay.statusCode).toBe(410);
    expect(replay.body).toContain('<main class="error" data-code="link_used">');
    expect(replay.headers['set-cookie']).toBeUndefined();
    const again = await open(token, { parley_session: alice });
    expect(again.statusCode).toBe(410);
    expect(again.headers['set-cookie']).toBeUndefined();
  });

  it.each([
    ['another Origin', { ...FORM, origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' }],
    ['no Origin', { ...FORM }],
  ])('refuses the answer from %s with 403 csrf_rejected, the link left unused', async (_label, headers) => {
    const bob = await signInAs('bob', 'Bob');
    const { token, conversationId } = await linkOf(bob);
    const res = await confirm(token, headers);
    expect(res.statusCode).toBe(403);
    expect(res.body).toContain('<main class="error" data-code="csrf_rejected">');
    expect(res.headers['set-cookie']).toBeUndefined();
    const opened = await open(token);
    expect([opened.statusCode, opened.headers['location']]).toEqual([303, `/?conversation=${conversationId}`]);
  });

  it("the link's own account, or no session, goes straight in", async () => {
    const bob = await signInAs('bob', 'Bob');
    const own = await linkOf(bob);
    const res = await open(own.token, { parley_session: bob });
    expect(res.statusCode).toBe(303);
    expect(res.headers['location']).toBe(`/?conversation=${own.conversationId}`);
    expect((await me(sessionOf(res)!)).externalId).toBe('bob');
    expect((await open(own.token, { parley_session: bob })).statusCode).toBe(410);

    const fresh = await linkOf(bob);
    const anonymous = await open(fresh.token);
    expect([anonymous.statusCode, anonymous.headers['location']]).toEqual([303, `/?conversation=${fresh.conversationId}`]);
    expect((await me(sessionOf(anonymous)!)).externalId).toBe('bob');
  });
});
