/**
 * Email over a real SMTP server (test/helpers/smtp-trap.ts), on SQLite and PostgreSQL: a team's reply still
 * unread after PARLEY_NOTIFY_AFTER is emailed once (text, escaped HTML, RFC 8058 headers), replies within
 * the hour join it, a read reply is never emailed; the email's link signs the user in once; the one-click
 * unsubscribe stops further emails; a waiting conversation is emailed to its assignee while nobody of the
 * team is online; an SMTP server that is down delays the email, never the reply; a 550 is not retried.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { DIALECTS } from '../../helpers/databases.js';
import { freePort, startSmtpTrap, type SmtpTrap } from '../../helpers/smtp-trap.js';

type Headers = Record<string, string>;
const NOTIFY_AFTER_MS = 600_000;
const AGENT_AFTER_MS = 300_000;

describe.each(DIALECTS)('email notifications on %s', (dialect) => {
  let t: TestApp;
  let smtp: SmtpTrap | null;
  let port: number;
  let ids = 0;

  async function setUp(options: { smtpUp?: boolean } = {}) {
    port = await freePort();
    smtp = options.smtpUp === false ? null : await startSmtpTrap(port);
    t = await createTestApp({ dialect, env: { PARLEY_SMTP_URL: `smtp://mailer:s3cret-pass@127.0.0.1:${port}`, PARLEY_MAIL_FROM: 'Acme Support <support@acme.test>' } });
  }
  beforeEach(() => {
    smtp = null;
  });
  afterEach(async () => {
    await t.close();
    await smtp?.close();
  });

  async function sessionFor(id: string, role: 'owner' | 'admin' | 'member' = 'member', extra: Record<string, unknown> = {}) {
    const user = { id, name: id === 'alice' ? 'Alice <Ally>' : id, email: `${id}@example.com`, ...extra };
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await t.sign({ user }) } });
    expect(res.statusCode).toBe(200);
    const { session, user: created } = res.json();
    if (role !== 'member') await t.app.services.users.setRole(created.id, role);
    return { headers: { authorization: `Bearer ${session.token}` } as Headers, userId: created.id as string };
  }
  const call = (headers: Headers, method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) => t.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
  const start = async (who: { headers: Headers }, text: string) => {
    const res = await call(who.headers, 'POST', '/api/v1/conversations', { message: { text, clientMessageId: `c-${++ids}` } });
    expect(res.statusCode).toBe(201);
    return res.json().conversation.id as string;
  };
  const reply = async (who: { headers: Headers }, id: string, text: string) => {
    const res = await call(who.headers, 'POST', `/api/v1/admin/conversations/${id}/messages`, { text, clientMessageId: `r-${++ids}` });
    expect(res.statusCode).toBe(201);
    return res.json().message.id as string;
  };
  const to = (address: string) => smtp!.messages.filter((m) => m.to && !Array.isArray(m.to) && m.to.value[0]?.address === address);
  /** Advances the clock and sends everything due; then waits until the SMTP server has `expected` messages. */
  async function advance(ms: number, expected?: number) {
    t.clock.now += ms;
    await t.app.services.outboundWorker.drain();
    if (expected !== undefined) await vi.waitFor(() => expect(smtp!.messages.length).toBe(expected));
  }
  const linkIn = (text: string, path: string) => new RegExp(`http://127\\.0\\.0\\.1:3000${path.replace(/\//g, '\\/')}\\?token=[A-Za-z0-9._-]+`).exec(text)?.[0];

  it('emails an unread reply once after 10 minutes, escaped, with the unsubscribe headers; the link signs in once', async () => {
    await setUp();
    const alice = await sessionFor('alice', 'member', { locale: 'en' });
    const ada = await sessionFor('ada', 'admin');
    const id = await start(alice, 'My invoice is wrong');
    const repliedAt = t.clock.now;
    await reply(ada, id, 'Fixed: <b>refund</b> & "credit" sent');

    await advance(NOTIFY_AFTER_MS - 1);
    expect(smtp!.messages).toEqual([]);
    await advance(1, 1);
    const [mail] = to('alice@example.com');
    expect(mail!.subject).toBe('New reply from Parley');
    expect(mail!.from!.value).toEqual([{ address: 'support@acme.test', name: 'Acme Support' }]);
    expect(mail!.text).toContain('Fixed: <b>refund</b> & "credit" sent');
    expect(mail!.html).toContain('Fixed: &lt;b&gt;refund&lt;/b&gt; &amp; &quot;credit&quot; sent');
    expect(mail!.html).not.toContain('<b>refund');
    const unsubscribe = linkIn(mail!.text!, '/email/unsubscribe')!;
    const header = (name: string) => mail!.headerLines.filter((h) => h.key === name).map((h) => h.line.replace(/\r?\n[ \t]+/g, ' '));
    expect(header('list-unsubscribe-post')).toEqual(['List-Unsubscribe-Post: List-Unsubscribe=One-Click']);
    expect(header('list-unsubscribe')).toEqual([`List-Unsubscribe: <${unsubscribe}>`]);
    expect(smtp!.logins).toContain('mailer');
    // Sent, the email's row keeps whom it was for and its subject, not its one-time links.
    await vi.waitFor(async () => expect((await t.db.store.db.selectFrom('outbox').select(['status', 'payload']).where('kind', '=', 'mail').execute()).map((r) => [r.status, JSON.parse(r.payload)])).toEqual([['done', { to: 'alice@example.com', subject: 'New reply from Parley' }]]));
    // The delay between the reply and its email, on the injected clock (production adds the worker's poll, ≤ 1 s).
    const row = (await t.app.services.outbox.listFor('user_notification', alice.userId, 1))[0]!;
    expect(row.done_at! - repliedAt).toBe(NOTIFY_AFTER_MS);
    console.info(`[email-notifications ${dialect}] reply → email: ${row.done_at! - repliedAt} ms on the clock (+ poll ≤ 1000 ms)`);

    const open = linkIn(mail!.text!, '/email/open')!;
    const url = open.replace('http://127.0.0.1:3000', '');
    const first = await t.app.inject({ method: 'GET', url });
    expect(first.statusCode).toBe(303);
    expect(first.headers.location).toBe(`/?conversation=${id}`);
    const cookie = first.cookies.find((c) => c.name === 'parley_session')!;
    const me = await t.app.inject({ method: 'GET', url: '/api/v1/me', cookies: { parley_session: cookie.value } });
    expect([me.statusCode, me.json().user.id]).toEqual([200, alice.userId]);
    const second = await t.app.inject({ method: 'GET', url });
    expect(second.statusCode).toBe(410);
    expect(second.cookies).toEqual([]);
    expect(t.logs.join('\n')).not.toContain(url.split('token=')[1]!);
  });

  it('sends nothing for a reply read within the 10 minutes; two replies within the hour are one email', async () => {
    await setUp();
    const alice = await sessionFor('alice');
    const bob = await sessionFor('bob');
    const ada = await sessionFor('ada', 'admin');
    const a = await start(alice, 'Question A');
    const b = await start(bob, 'Question B');
    const read = await reply(ada, a, 'Answer for Alice');
    await reply(ada, b, 'First answer for Bob');
    t.clock.now += 60_000;
    expect((await call(alice.headers, 'POST', `/api/v1/conversations/${a}/read`, { messageId: read })).statusCode).toBe(200);
    await reply(ada, b, 'Second answer for Bob');
    await advance(NOTIFY_AFTER_MS, 1);
    expect(to('alice@example.com')).toEqual([]);
    const [bobs] = to('bob@example.com');
    expect(bobs!.text).toContain('First answer for Bob');
    expect(bobs!.text).toContain('Second answer for Bob');
    // A reply 20 minutes after that email waits for the hour since it: one more email, at that hour.
    const sentAt = t.clock.now;
    await advance(20 * 60_000);
    await reply(ada, b, 'Third answer for Bob');
    await advance(NOTIFY_AFTER_MS);
    await advance(sentAt + 3_600_000 - 1 - t.clock.now);
    expect(smtp!.messages.length).toBe(1);
    await advance(1, 2);
    expect(to('bob@example.com')[1]!.text).toContain('Third answer for Bob');
    expect(to('alice@example.com')).toEqual([]);
  });

  it('stops emailing a user who unsubscribed with one click; a GET only shows the button; the REST turns it back on', async () => {
    await setUp();
    const alice = await sessionFor('alice');
    const ada = await sessionFor('ada', 'admin');
    const id = await start(alice, 'Hello');
    await reply(ada, id, 'Hi there');
    await advance(NOTIFY_AFTER_MS, 1);
    const link = linkIn(smtp!.messages[0]!.text!, '/email/unsubscribe')!.replace('http://127.0.0.1:3000', '');
    const page = await t.app.inject({ method: 'GET', url: link });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<form method="post"');
    expect((await call(alice.headers, 'GET', '/api/v1/me/email')).json()).toEqual({ emailNotifications: true });
    const forged = await t.app.inject({ method: 'POST', url: `${link.slice(0, -3)}AAA`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' });
    expect(forged.statusCode).toBe(404);
    const oneClick = await t.app.inject({ method: 'POST', url: link, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' });
    expect(oneClick.statusCode).toBe(200);
    expect((await call(alice.headers, 'GET', '/api/v1/me/email')).json()).toEqual({ emailNotifications: false });

    await advance(2 * 3_600_000);
    await reply(ada, id, 'Anything else?');
    await advance(2 * 3_600_000);
    expect(smtp!.messages.length).toBe(1);

    const on = await call(alice.headers, 'PATCH', '/api/v1/me/email', { emailNotifications: true });
    expect([on.statusCode, on.json()]).toEqual([200, { emailNotifications: true }]);
    await reply(ada, id, 'Still there?');
    await advance(NOTIFY_AFTER_MS, 2);
    expect(smtp!.messages[1]!.text).toContain('Still there?');
  });

  it('emails the assignee of a waiting conversation while nobody is online, and nobody when someone is', async () => {
    await setUp();
    const owner = await sessionFor('olga', 'owner');
    const ada = await sessionFor('ada', 'admin');
    const alice = await sessionFor('alice');
    const first = await start(alice, 'Please help');
    expect((await call(owner.headers, 'PATCH', `/api/v1/admin/conversations/${first}`, { assigneeId: ada.userId })).statusCode).toBe(200);
    await advance(AGENT_AFTER_MS - 1);
    expect(smtp!.messages).toEqual([]);
    await advance(1, 1);
    const [mail] = to('ada@example.com');
    expect(mail!.subject).toBe('Waiting for an answer: Please help');
    expect(mail!.text).toContain(`http://127.0.0.1:3000/admin#/inbox/${first}`);

    // Someone of the team has the panel open: no email.
    const second = await start(alice, 'Another question');
    const olga = (await t.app.services.users.findById(owner.userId))!;
    await t.app.services.presence.seen(olga, t.clock.now + AGENT_AFTER_MS - 1000);
    await advance(AGENT_AFTER_MS);
    expect(smtp!.messages.length).toBe(1);
    expect(second).toMatch(/^cnv_/);
  });

  it('answers the reply at once while SMTP is down, and delivers the email once it is up and the outbox retries', async () => {
    await setUp({ smtpUp: false });
    const alice = await sessionFor('alice');
    const ada = await sessionFor('ada', 'admin');
    const id = await start(alice, 'Is anyone there?');
    await reply(ada, id, 'Yes, we are');
    await advance(NOTIFY_AFTER_MS);
    // The worker's own poll may be the one sending it: wait for the first try's record.
    const mailRow = await vi.waitFor(async () => {
      const [row] = await t.app.services.outbox.listFor('mail', alice.userId, 5);
      expect(row).toMatchObject({ status: 'pending', attempts: 1 });
      return row!;
    });
    expect(mailRow.last_error).toMatch(/ECONNREFUSED/);
    expect(mailRow.last_error).not.toContain('s3cret-pass');
    expect(t.logs.join('\n')).not.toContain('s3cret-pass');
    smtp = await startSmtpTrap(port);
    await advance(30_000, 1);
    expect(to('alice@example.com')[0]!.text).toContain('Yes, we are');
    expect(await t.app.services.outbox.find(mailRow.id)).toMatchObject({ status: 'done', attempts: 2 });
  });

  it('fails a 550 refusal for good and retries nothing', async () => {
    await setUp();
    smtp!.refuse.add('alice@example.com');
    const alice = await sessionFor('alice');
    const ada = await sessionFor('ada', 'admin');
    await reply(ada, await start(alice, 'Hi'), 'Hello');
    await advance(NOTIFY_AFTER_MS);
    await vi.waitFor(async () => {
      const [mailRow] = await t.app.services.outbox.listFor('mail', alice.userId, 5);
      expect(mailRow).toMatchObject({ status: 'failed', attempts: 1, last_error: expect.stringContaining('550') });
    });
  });
});
