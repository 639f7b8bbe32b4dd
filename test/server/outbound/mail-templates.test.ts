/**
 * The emails' templates escape everything put into HTML (a message's text, the team's name, links) and pick
 * the user's locale; the unsubscribe token names its user and is refused when altered or signed otherwise;
 * SMTP errors lose the password before they are recorded.
 */
import { describe, expect, it } from 'vitest';
import { escapeHtml, mailLocale, userNotificationMail } from '../../../server/src/outbound/mail-templates.js';
import { signUnsubscribeToken, verifyUnsubscribeToken } from '../../../server/src/outbound/unsubscribe-tokens.js';
import { redactMailError } from '../../../server/src/outbound/mail-sender.js';

const SECRET = Buffer.alloc(32, 7).toString('base64url');

describe('notification email templates', () => {
  it('escapes the text, the author, the team and the links in HTML and keeps the text part as written', () => {
    const mail = userNotificationMail({
      locale: 'en',
      team: 'A&B <Team>',
      messages: [{ author: '<script>x</script>', text: 'Line "1" & <img src=x onerror=alert(1)>\nLine 2' }],
      link: 'https://chat.example/email/open?token=a"b',
      unsubscribeUrl: 'https://chat.example/email/unsubscribe?token=t&x=<y>',
    });
    expect(mail.subject).toBe('New reply from A&B <Team>');
    expect(mail.html).not.toMatch(/<script>|<img|<Team>|a"b/);
    expect(mail.html).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(mail.html).toContain('Line &quot;1&quot; &amp; &lt;img src=x onerror=alert(1)&gt;<br>Line 2');
    expect(mail.html).toContain('href="https://chat.example/email/open?token=a&quot;b"');
    expect(mail.text).toContain('<script>x</script>:\nLine "1" & <img src=x onerror=alert(1)>\nLine 2');
    expect(escapeHtml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;');
  });

  it('speaks the user’s locale, English otherwise; Arabic right to left', () => {
    expect([mailLocale('fr-CA'), mailLocale('ar'), mailLocale('de'), mailLocale(undefined), mailLocale(42)]).toEqual(['fr', 'ar', 'en', 'en', 'en']);
    const fr = userNotificationMail({ locale: 'fr', team: 'Acme', messages: [], link: 'l', unsubscribeUrl: 'u' });
    expect(fr.subject).toBe('Nouvelle réponse de Acme');
    expect(userNotificationMail({ locale: 'ar', team: 'Acme', messages: [], link: 'l', unsubscribeUrl: 'u' }).html).toContain('dir="rtl"');
  });
});

describe('unsubscribe tokens', () => {
  it('name their user, and nothing altered or signed with another secret verifies', () => {
    const token = signUnsubscribeToken(SECRET, 'usr_abc');
    expect(verifyUnsubscribeToken(SECRET, token)).toBe('usr_abc');
    const [id, mac] = token.split('.') as [string, string];
    expect(verifyUnsubscribeToken(SECRET, `${Buffer.from('usr_other').toString('base64url')}.${mac}`)).toBeNull();
    expect(verifyUnsubscribeToken(SECRET, `${id}.${mac.slice(0, -1)}${mac.endsWith('A') ? 'B' : 'A'}`)).toBeNull();
    expect(verifyUnsubscribeToken(Buffer.alloc(32, 8).toString('base64url'), token)).toBeNull();
    for (const bad of [undefined, 42, '', 'x', `${id}.`, `${token}.x`, 'a'.repeat(500)]) expect(verifyUnsubscribeToken(SECRET, bad)).toBeNull();
  });
});

describe('SMTP errors', () => {
  it('lose the password, its base64 forms and any link before they are recorded', () => {
    const smtp = { host: 'h', port: 587, secure: false, user: 'mailer', password: 'p@ss w0rd' };
    const plain = Buffer.from('\u0000mailer\u0000p@ss w0rd').toString('base64');
    const text = redactMailError(`Invalid login: 535 for p@ss w0rd AUTH PLAIN ${plain} at https://x.example/?token=abc`, smtp);
    expect(text).not.toContain('p@ss w0rd');
    expect(text).not.toContain(plain);
    expect(text).not.toContain('token=abc');
    expect(text).toContain('535');
  });
});
