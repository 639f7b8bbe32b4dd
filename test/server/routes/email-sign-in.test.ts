/**
 * Email sign-in (docs/admin-api.md, Email sign-in): start answers the same 202 for any address and emails a
 * link and a code only to an address that may get in (one that may not is answered alike, its request recorded
 * without an email); the code verifies once, each code tried takes one of five attempts first, even at once, it
 * dies after 15 minutes and when a newer one is sent; the link signs in once; the account is the one of that
 * address (case-insensitively) or a new one within the seat limit; restricted domains; limits per client
 * address and per address emailed; refusals when the method is off; input rules as 400s.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';

const SMTP = { PARLEY_SMTP_URL: 'smtp://127.0.0.1:9' };

interface SentMail {
  to: string;
  subject: string;
  text: string;
  html: string;
}

describe.each(DIALECTS)('email sign-in on %s', (dialect) => {
  let t: TestApp;

  async function setup(env: Record<string, string> = {}, methods: string[] = ['external', 'email']) {
    t = await createTestApp({ dialect, env: { ...SMTP, ...env } });
    await t.app.services.settings.update({ signInMethods: methods });
  }
  afterEach(async () => {
    await t?.close();
  });

  const start = (payload: object, headers: Record<string, string> = {}) => t.app.inject({ method: 'POST', url: '/api/v1/auth/email/start', payload, headers });
  const verify = (payload: object) => t.app.inject({ method: 'POST', url: '/api/v1/auth/email/verify', payload });
  const sent = async (): Promise<SentMail[]> => {
    const rows = await t.db.store.db.selectFrom('outbox').select(['payload', 'seq']).where('kind', '=', 'mail').orderBy('seq').execute();
    return rows.map((r) => JSON.parse(r.payload) as SentMail);
  };
  const codeOf = (mail: SentMail) => /code for .* is (\d{6})\./.exec(mail.text)![1]!;
  const linkOf = (mail: SentMail) => /(http:\/\/\S+emailSignIn=\S+)/.exec(mail.text)![1]!;
  const errorOf = (res: { statusCode: number; json(): { error: { code: string } } }) => [res.statusCode, res.json().error.code];
  const existing = async (email: string) => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id: `ext-${email}`, email } }) } });
    expect(res.statusCode).toBe(200);
    return res.json().user as { id: string };
  };

  describe('with email on', () => {
    beforeEach(async () => setup());

    it('answers the same 202 for an unknown and a known address, and emails both a code and a link', async () => {
      await existing('known@example.com');
      const unknown = await start({ email: 'nobody@example.com' });
      const known = await start({ email: 'known@example.com' });
      expect([unknown.statusCode, unknown.body]).toEqual([202, '{}']);
      expect([known.statusCode, known.body]).toEqual([202, '{}']);
      const mails = await sent();
      expect(mails.map((m) => m.to)).toEqual(['nobody@example.com', 'known@example.com']);
      expect(mails[0]!.subject).toBe(`${codeOf(mails[0]!)} is your sign-in code for the chat`);
      expect(mails[0]!.html).toContain(`<strong style="font-size:1.4em;letter-spacing:.2em">${codeOf(mails[0]!)}</strong>`);
      expect(linkOf(mails[0]!)).toMatch(/^http:\/\/127\.0\.0\.1:3000\/\?emailSignIn=[A-Za-z0-9_-]{43}$/);
      // Stored as hashes only.
      const rows = await t.db.store.db.selectFrom('email_sign_ins').selectAll().execute();
      expect(rows.some((r) => r.code_hash === codeOf(mails[0]!) || linkOf(mails[0]!).endsWith(r.link_hash))).toBe(false);
    });

    it('escapes the team name in the email', async () => {
      await t.app.services.settings.update({ widgetTeamName: '<b>Acme & Co</b>' });
      await start({ email: 'ada@example.com' });
      const [mail] = await sent();
      expect(mail!.html).toContain('Sign in to &#60;b&#62;Acme &#38; Co&#60;/b&#62;</a>');
      expect(mail!.html).not.toContain('<b>');
    });

    it('signs in once with the code, a new account for a new address', async () => {
      await start({ email: 'Ada@Example.com' });
      const code = codeOf((await sent())[0]!);
      const res = await verify({ email: 'ada@example.com', code });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.user).toMatchObject({ email: 'Ada@Example.com' });
      const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${body.session.token}` } });
      expect([me.statusCode, me.json().user.id]).toEqual([200, body.user.id]);
      const row = await t.app.services.users.findById(body.user.id);
      expect(row!.created_via).toBe('email');
      expect(errorOf(await verify({ email: 'ADA@example.com', code }))).toEqual([401, 'email_code_expired']);
      const audit = await t.db.store.db.selectFrom('audit_log').select(['action', 'outcome', 'actor_label']).where('action', 'like', 'sign_in.email%').orderBy('id').execute();
      expect(audit).toEqual([
        { action: 'sign_in.email_code', outcome: 'ok', actor_label: 'Ada@Example.com' },
        { action: 'sign_in.email_code', outcome: 'email_code_expired', actor_label: null },
      ]);
    });

    it('sets the session cookie only for Parley’s own page (same origin)', async () => {
      await start({ email: 'ada@example.com' });
      const cross = await verify({ email: 'ada@example.com', code: '000000' });
      expect(cross.headers['set-cookie']).toBeUndefined();
      const own = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/email/verify',
        headers: { origin: 'http://127.0.0.1:3000', 'sec-fetch-site': 'same-origin' },
        payload: { email: 'ada@example.com', code: codeOf((await sent())[0]!) },
      });
      expect(own.statusCode).toBe(200);
      expect(String(own.headers['set-cookie'])).toMatch(new RegExp(`^parley_session=${own.json().session.token};`));
    });

    it('an exchange-shaped body from verify has no cookie from another page', async () => {
      await start({ email: 'ada@example.com' });
      const res = await verify({ email: 'ada@example.com', code: codeOf((await sent())[0]!) });
      expect([res.statusCode, res.headers['set-cookie'], Object.keys(res.json())]).toEqual([200, undefined, ['session', 'user']]);
    });

    it('finds the existing account by its email, case-insensitively', async () => {
      const user = await existing('grace@example.com');
      await start({ email: 'GRACE@example.COM' });
      const res = await verify({ email: 'Grace@Example.com', code: codeOf((await sent())[0]!) });
      expect([res.statusCode, res.json().user.id]).toEqual([200, user.id]);
    });

    it('kills the code after five wrong ones: even the right one fails then', async () => {
      await start({ email: 'ada@example.com' });
      const code = codeOf((await sent())[0]!);
      const wrong = code === '000000' ? '111111' : '000000';
      for (let i = 0; i < 5; i++) expect(errorOf(await verify({ email: 'ada@example.com', code: wrong }))).toEqual([401, 'email_code_invalid']);
      expect(errorOf(await verify({ email: 'ada@example.com', code }))).toEqual([401, 'email_code_expired']);
    });

    it('counts every code tried before comparing it: the right one as the fifth still signs in, a sixth never', async () => {
      await start({ email: 'ada@example.com' });
      const code = codeOf((await sent())[0]!);
      const wrong = code === '000000' ? '111111' : '000000';
      for (let i = 0; i < 4; i++) expect(errorOf(await verify({ email: 'ada@example.com', code: wrong }))).toEqual([401, 'email_code_invalid']);
      expect((await verify({ email: 'ada@example.com', code })).statusCode).toBe(200);
      const [row] = await t.db.store.db.selectFrom('email_sign_ins').select(['attempts']).execute();
      expect(row).toEqual({ attempts: 5 });
    });

    it('concurrent guesses cannot go past five compared codes (the attempt is taken before the comparison)', async () => {
      await start({ email: 'ada@example.com' });
      const code = codeOf((await sent())[0]!);
      const wrong = code === '000000' ? '111111' : '000000';
      const guesses = [...Array.from({ length: 30 }, () => wrong), code];
      const answers = await Promise.all(guesses.map(async (c) => {
        const res = await verify({ email: 'ada@example.com', code: c });
        return res.statusCode === 200 ? 'ok' : (res.json().error.code as string);
      }));
      const ok = answers.filter((a) => a === 'ok').length;
      const invalid = answers.filter((a) => a === 'email_code_invalid').length;
      const expired = answers.filter((a) => a === 'email_code_expired').length;
      const [row] = await t.db.store.db.selectFrom('email_sign_ins').select(['attempts', 'used_at']).execute();
      // Each code compared took one attempt first: never more than five, and the right one only among them.
      expect({ compared: ok + invalid, others: expired, ok: ok <= 1, atMostFive: row!.attempts <= 5 }).toEqual({ compared: row!.attempts, others: 31 - row!.attempts, ok: true, atMostFive: true });
      // Unless the right code was among the first five, all five attempts went to wrong ones and it failed.
      if (ok === 0) expect([row!.attempts, row!.used_at]).toEqual([5, null]);
      else expect(answers.at(-1)).toBe('ok');
      expect(errorOf(await verify({ email: 'ada@example.com', code }))).toEqual([401, 'email_code_expired']);
    });

    it('expires the code and the link after 15 minutes', async () => {
      await start({ email: 'ada@example.com' });
      const [mail] = await sent();
      t.clock.now += 15 * 60_000;
      expect(errorOf(await verify({ email: 'ada@example.com', code: codeOf(mail!) }))).toEqual([401, 'email_code_expired']);
      const link = await t.app.inject({ method: 'GET', url: new URL(linkOf(mail!)).pathname + new URL(linkOf(mail!)).search });
      expect([link.statusCode, link.headers.location]).toEqual([303, '/']);
      expect(String(link.headers['set-cookie'])).toContain('parley_sign_in_error=email_code_expired');
    });

    it('still takes the code just before 15 minutes', async () => {
      await start({ email: 'ada@example.com' });
      t.clock.now += 15 * 60_000 - 1;
      expect((await verify({ email: 'ada@example.com', code: codeOf((await sent())[0]!) })).statusCode).toBe(200);
    });

    it('a new request supersedes the previous one', async () => {
      await start({ email: 'ada@example.com' });
      await start({ email: 'ada@example.com' });
      const [first, second] = await sent();
      if (codeOf(first!) !== codeOf(second!)) expect(errorOf(await verify({ email: 'ada@example.com', code: codeOf(first!) }))).toEqual([401, 'email_code_invalid']);
      const oldLink = new URL(linkOf(first!));
      expect((await t.app.inject({ method: 'GET', url: `/${oldLink.search}` })).headers['set-cookie']).toContain('parley_sign_in_error=email_code_expired');
      expect((await verify({ email: 'ada@example.com', code: codeOf(second!) })).statusCode).toBe(200);
    });

    it('the link signs in once and lands on returnTo', async () => {
      await start({ email: 'Ada@Example.com', returnTo: '/chat?x=1' });
      const url = new URL(linkOf((await sent())[0]!));
      const res = await t.app.inject({ method: 'GET', url: `/${url.search}` });
      expect([res.statusCode, res.headers.location]).toEqual([303, '/chat?x=1']);
      expect((await t.app.services.users.findByEmail('ada@example.com'))!.email).toBe('Ada@Example.com');
      const cookie = String(res.headers['set-cookie']);
      expect(cookie).toMatch(/parley_session=[^;]+/);
      const again = await t.app.inject({ method: 'GET', url: `/${url.search}` });
      expect([again.statusCode, again.headers.location]).toEqual([303, '/']);
      expect(String(again.headers['set-cookie'])).toContain('parley_sign_in_error=email_code_expired');
      const page = await t.app.inject({ method: 'GET', url: '/', headers: { cookie: 'parley_sign_in_error=email_code_expired' } });
      expect(page.statusCode).toBe(401);
      expect(page.body).toContain('This sign-in link has expired');
      const audit = await t.db.store.db.selectFrom('audit_log').select(['action', 'outcome']).where('action', '=', 'sign_in.email_link').orderBy('id').execute();
      expect(audit).toEqual([
        { action: 'sign_in.email_link', outcome: 'ok' },
        { action: 'sign_in.email_link', outcome: 'email_code_expired' },
      ]);
    });

    it('the link asks first in a browser signed in as another account, as an external link does', async () => {
      const page = await t.app.inject({ method: 'GET', url: `/?externalAuthCode=${await t.sign({ user: { id: 'victim', name: 'Vic' } })}` });
      const cookie = `parley_session=${page.cookies.find((c) => c.name === 'parley_session')!.value}`;
      await start({ email: 'attacker@example.com' });
      const url = new URL(linkOf((await sent())[0]!));
      const res = await t.app.inject({ method: 'GET', url: `/${url.search}`, headers: { cookie } });
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('Switch account?');
      expect(res.body).toContain('Continue as <strong>attacker@example.com</strong>?');
      expect(res.cookies.find((c) => c.name === 'parley_session')).toBeUndefined();
    });

    it('refuses a deactivated account as tokens are refused', async () => {
      const user = await existing('gone@example.com');
      await t.app.services.users.setActive(user.id, false);
      await start({ email: 'gone@example.com' });
      expect(errorOf(await verify({ email: 'gone@example.com', code: codeOf((await sent())[0]!) }))).toEqual([403, 'user_deactivated']);
    });

    it('validates its input: 400 with a code, never a 500', async () => {
      const bad = async (res: Promise<{ statusCode: number; json(): { error: { code: string; message: string } } }>, message: string) =>
        expect([(await res).statusCode, (await res).json().error]).toEqual([400, { code: 'bad_request', message }]);
      await bad(start({ email: 'not-an-email' }), 'email must be an email address');
      await bad(start({ email: `${'a'.repeat(320)}@x.io` }), 'email must be an email address of at most 320 characters');
      await bad(start({ email: 'a@x.io', returnTo: '//evil.example' }), 'returnTo must be a path on this server, such as /');
      await bad(verify({ email: 'a@x.io', code: '12345' }), 'code must be 6 digits');
      await bad(verify({ email: 'a@x.io', code: '12345a' }), 'code must be 6 digits');
      await bad(verify({ email: 'a b@x.io', code: '123456' }), 'email must be an email address');
      for (const payload of [{}, { email: 1 }, { email: 'a@x.io', extra: 1 }, { email: 'x'.repeat(1001) }]) {
        const res = await start(payload);
        expect([res.statusCode, res.json().error.code]).toEqual([400, 'bad_request']);
      }
      const long = await verify({ email: 'a@x.io', code: '1'.repeat(33) });
      expect([long.statusCode, long.json().error.code]).toEqual([400, 'bad_request']);
      expect(await sent()).toEqual([]);
    });

    it('a code for no request is expired, not invalid', async () => {
      expect(errorOf(await verify({ email: 'never@example.com', code: '123456' }))).toEqual([401, 'email_code_expired']);
    });

    it('limits requests per address emailed: 5 an hour', async () => {
      for (let i = 0; i < 5; i++) expect((await start({ email: 'ada@example.com' })).statusCode).toBe(202);
      const limited = await start({ email: 'ADA@example.com' });
      expect(errorOf(limited)).toEqual([429, 'rate_limited']);
      expect(limited.headers['retry-after']).toBe('3600');
      expect((await start({ email: 'bob@example.com' })).statusCode).toBe(202);
      t.clock.now += 3600_000;
      expect((await start({ email: 'ada@example.com' })).statusCode).toBe(202);
      expect((await sent()).length).toBe(7);
    });
  });

  it('limits requests per client address (PARLEY_EMAIL_SIGNIN_RATE_LIMIT)', async () => {
    await setup({ PARLEY_EMAIL_SIGNIN_RATE_LIMIT: '3/1h' });
    for (let i = 0; i < 3; i++) expect((await start({ email: `u${i}@example.com` })).statusCode).toBe(202);
    expect(errorOf(await start({ email: 'u9@example.com' }))).toEqual([429, 'rate_limited']);
    expect((await sent()).length).toBe(3);
  });

  it('creates accounts within the seat limit, then seat_limit_reached without using the code', async () => {
    await setup({ PARLEY_SEAT_LIMIT: '1' });
    await start({ email: 'first@example.com' });
    expect((await verify({ email: 'first@example.com', code: codeOf((await sent())[0]!) })).statusCode).toBe(200);
    await start({ email: 'second@example.com' });
    const code = codeOf((await sent())[1]!);
    expect(errorOf(await verify({ email: 'second@example.com', code }))).toEqual([403, 'seat_limit_reached']);
    expect(errorOf(await verify({ email: 'second@example.com', code }))).toEqual([403, 'seat_limit_reached']);
  });

  it('restricted domains: only those domains or existing accounts get an email, with the same 202', async () => {
    await setup();
    await existing('partner@other.org');
    await t.app.services.settings.update({ emailSignInDomains: ['Example.com'] });
    for (const email of ['staff@example.com', 'partner@other.org', 'stranger@other.org', 'sub@mail.example.com']) {
      const res = await start({ email });
      expect([res.statusCode, res.body]).toEqual([202, '{}']);
    }
    expect((await sent()).map((m) => m.to)).toEqual(['staff@example.com', 'partner@other.org']);
    // The stranger's request is written too (a code nobody received), so verify answers as for anyone.
    expect(errorOf(await verify({ email: 'stranger@other.org', code: '123456' }))).toEqual([401, 'email_code_invalid']);
  });

  it('restricted domains: an address that may not get in is answered as an existing account’s is, and never emailed', async () => {
    await setup();
    await existing('known@other.example');
    await t.app.services.settings.update({ emailSignInDomains: ['corp.example'] });
    const mailsBefore = (await sent()).length;
    const answers = async (email: string) => {
      const starts: unknown[] = [];
      for (let i = 0; i < 6; i++) {
        const res = await start({ email });
        starts.push([res.statusCode, res.statusCode === 202 ? res.body : res.json().error.code, res.headers['retry-after'] ?? null]);
      }
      // A code that is not the one emailed (if one was).
      const emailed = (await sent()).filter((m) => m.to === email).at(-1);
      const wrong = emailed && codeOf(emailed) === '000000' ? '111111' : '000000';
      const codes: unknown[] = [];
      for (let i = 0; i < 6; i++) codes.push(errorOf(await verify({ email, code: wrong })));
      return { starts, codes };
    };
    const known = await answers('known@other.example');
    const unknown = await answers('unknown@other.example');
    expect(unknown).toEqual(known);
    expect(known).toEqual({
      starts: [...Array.from({ length: 5 }, () => [202, '{}', null]), [429, 'rate_limited', '3600']],
      codes: [...Array.from({ length: 5 }, () => [401, 'email_code_invalid']), [401, 'email_code_expired']],
    });
    const mails = (await sent()).slice(mailsBefore);
    // The known address may get in (an existing account's always can) and gets its five emails; the unknown none.
    expect(mails.filter((m) => m.to === 'unknown@other.example')).toEqual([]);
    expect(mails.map((m) => m.to)).toEqual(Array.from({ length: 5 }, () => 'known@other.example'));
  });

  it('with the method off: 403 email_sign_in_disabled, nothing sent; public settings say external only', async () => {
    await setup({}, ['external']);
    expect(errorOf(await start({ email: 'ada@example.com' }))).toEqual([403, 'email_sign_in_disabled']);
    expect(errorOf(await verify({ email: 'ada@example.com', code: '123456' }))).toEqual([403, 'email_sign_in_disabled']);
    expect(await sent()).toEqual([]);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/widget/settings' })).json().signInMethods).toEqual(['external']);
    await t.app.services.settings.update({ signInMethods: ['email'] });
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/widget/settings' })).json().signInMethods).toEqual(['email']);
  });

  it('refuses a page outside the allowed origins as the exchange does', async () => {
    await setup({ PARLEY_ALLOWED_ORIGINS: 'https://app.example.com' });
    expect(errorOf(await start({ email: 'ada@example.com' }, { origin: 'https://evil.example' }))).toEqual([403, 'origin_not_allowed']);
    expect((await start({ email: 'ada@example.com' }, { origin: 'https://app.example.com' })).statusCode).toBe(202);
  });

  describe('the settings through the admin REST', () => {
    async function owner() {
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user: { id: 'the-owner', email: 'owner@example.com' } }) } });
      await t.app.services.users.setRole(res.json().user.id, 'owner');
      return { authorization: `Bearer ${res.json().session.token}` };
    }
    const patch = async (headers: Record<string, string>, payload: object) => t.app.inject({ method: 'PATCH', url: '/api/v1/admin/settings', headers, payload });

    it('refuses email without SMTP: 400 email_not_configured', async () => {
      t = await createTestApp({ dialect });
      const headers = await owner();
      expect(errorOf(await patch(headers, { signInMethods: ['external', 'email'] }))).toEqual([400, 'email_not_configured']);
      expect((await patch(headers, { signInMethods: ['external'] })).statusCode).toBe(200);
    });

    it('lists, saves and validates signInMethods and emailSignInDomains', async () => {
      t = await createTestApp({ dialect, env: SMTP });
      const headers = await owner();
      const res = await patch(headers, { signInMethods: ['email', 'external'], emailSignInDomains: ['Example.com', 'example.com', 'xn--bcher-kva.ch'] });
      expect(res.statusCode).toBe(200);
      const listed = (res.json().settings as { name: string }[]).filter((s) => s.name === 'signInMethods' || s.name === 'emailSignInDomains');
      expect(listed).toEqual([
        { name: 'signInMethods', variable: null, value: ['external', 'email'], locked: false },
        { name: 'emailSignInDomains', variable: null, value: ['example.com', 'xn--bcher-kva.ch'], locked: false },
      ]);
      for (const [payload, message] of [
        [{ signInMethods: [] }, 'signInMethods must be a non-empty list of "external" and "email"'],
        [{ signInMethods: ['sms'] }, 'signInMethods must be a non-empty list of "external" and "email"'],
        [{ signInMethods: ['email', 'email'] }, 'signInMethods must not name a method twice'],
        [{ emailSignInDomains: ['not a domain'] }, 'emailSignInDomains must be domains like example.com (letters, digits, hyphens; xn-- for international names)'],
        [{ emailSignInDomains: 'example.com' }, 'emailSignInDomains must be a list of at most 100 domains, or null'],
      ] as const) {
        const refused = await patch(headers, payload);
        expect([refused.statusCode, refused.json().error], JSON.stringify(payload)).toEqual([400, { code: 'bad_request', message }]);
      }
      expect((await patch(headers, { emailSignInDomains: null })).json().settings.find((s: { name: string }) => s.name === 'emailSignInDomains').value).toEqual([]);
    });
  });
});
