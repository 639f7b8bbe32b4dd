/**
 * The words and markup of Parley's emails, in the locales the widget speaks (en, fr, ar). Every value put
 * into the HTML goes through `escapeHtml`, the text of messages included; the text part is plain text.
 */

export type MailLocale = 'en' | 'fr' | 'ar';

interface MailStrings {
  userSubject: (team: string) => string;
  userIntro: (team: string) => string;
  open: string;
  linkNote: string;
  unsubscribe: string;
  agentSubject: (title: string) => string;
  agentIntro: (who: string) => string;
  agentOpen: string;
}

const STRINGS: ReadonlyMap<MailLocale, MailStrings> = new Map<MailLocale, MailStrings>([
  [
    'en',
    {
      userSubject: (team) => `New reply from ${team}`,
      userIntro: (team) => `${team} answered you:`,
      open: 'Open the conversation',
      linkNote: 'This link signs you in once and works for 24 hours.',
      unsubscribe: 'Stop these emails',
      agentSubject: (title) => `Waiting for an answer: ${title}`,
      agentIntro: (who) => `${who} is waiting for an answer and nobody of the team is online:`,
      agentOpen: 'Open it in the inbox',
    },
  ],
  [
    'fr',
    {
      userSubject: (team) => `Nouvelle réponse de ${team}`,
      userIntro: (team) => `${team} vous a répondu :`,
      open: 'Ouvrir la conversation',
      linkNote: 'Ce lien vous connecte une seule fois et reste valable 24 heures.',
      unsubscribe: 'Ne plus recevoir ces e-mails',
      agentSubject: (title) => `En attente de réponse : ${title}`,
      agentIntro: (who) => `${who} attend une réponse et personne de l’équipe n’est en ligne :`,
      agentOpen: 'L’ouvrir dans la boîte de réception',
    },
  ],
  [
    'ar',
    {
      userSubject: (team) => `رد جديد من ${team}`,
      userIntro: (team) => `رد عليك ${team}:`,
      open: 'افتح المحادثة',
      linkNote: 'يسجل هذا الرابط دخولك مرة واحدة ويبقى صالحًا لمدة 24 ساعة.',
      unsubscribe: 'إيقاف هذه الرسائل',
      agentSubject: (title) => `بانتظار الرد: ${title}`,
      agentIntro: (who) => `${who} بانتظار رد ولا أحد من الفريق متصل:`,
      agentOpen: 'افتحها في صندوق الوارد',
    },
  ],
]);

/** `en`, `fr` or `ar` from a stored locale or language tag (`fr-CA` → `fr`); English otherwise. */
export function mailLocale(tag: unknown): MailLocale {
  const base = typeof tag === 'string' ? tag.trim().toLowerCase().split(/[-_]/)[0] : '';
  return base === 'fr' || base === 'ar' ? base : 'en';
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** A message's text as HTML: escaped, its line breaks kept. */
const paragraph = (text: string) => escapeHtml(text).replace(/\r?\n/g, '<br>');

function layout(locale: MailLocale, body: string): string {
  const dir = locale === 'ar' ? 'rtl' : 'ltr';
  return `<!doctype html><html lang="${locale}" dir="${dir}"><head><meta charset="utf-8"></head><body style="font-family:system-ui,sans-serif;line-height:1.5;color:#1f2328">${body}</body></html>`;
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** The email to a user about the team's replies they have not read. */
export function userNotificationMail(input: { locale: MailLocale; team: string; messages: readonly { author: string; text: string }[]; link: string; unsubscribeUrl: string }): RenderedMail {
  const t = STRINGS.get(input.locale)!;
  const quoted = input.messages.map((m) => `${m.author}:\n${m.text}`).join('\n\n');
  const text = `${t.userIntro(input.team)}\n\n${quoted}\n\n${t.open}: ${input.link}\n${t.linkNote}\n\n${t.unsubscribe}: ${input.unsubscribeUrl}\n`;
  const items = input.messages.map((m) => `<p><strong>${escapeHtml(m.author)}</strong><br>${paragraph(m.text)}</p>`).join('');
  const html = layout(
    input.locale,
    `<p>${escapeHtml(t.userIntro(input.team))}</p>${items}<p><a href="${escapeHtml(input.link)}">${escapeHtml(t.open)}</a></p><p style="color:#656d76;font-size:12px">${escapeHtml(t.linkNote)}<br><a href="${escapeHtml(input.unsubscribeUrl)}">${escapeHtml(t.unsubscribe)}</a></p>`,
  );
  return { subject: t.userSubject(input.team), text, html };
}

/** The email to an administrator about a conversation waiting for the team. */
export function agentNotificationMail(input: { locale: MailLocale; title: string; who: string; text: string; link: string }): RenderedMail {
  const t = STRINGS.get(input.locale)!;
  const text = `${t.agentIntro(input.who)}\n\n${input.text}\n\n${t.agentOpen}: ${input.link}\n`;
  const html = layout(input.locale, `<p>${escapeHtml(t.agentIntro(input.who))}</p><p>${paragraph(input.text)}</p><p><a href="${escapeHtml(input.link)}">${escapeHtml(t.agentOpen)}</a></p>`);
  return { subject: t.agentSubject(input.title), text, html };
}
