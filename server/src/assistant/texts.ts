/**
 * What Parley itself says in a conversation the assistant serves (system messages), in the user's language
 * (en, fr, ar: the `locale` of their signed-token metadata, as for emails: outbound/mail-templates.ts).
 */
import { mailLocale, type MailLocale } from '../outbound/mail-templates.js';
import type { UserRow } from '../store/users.js';

export type AssistantNotice = 'handed_off' | 'failed' | 'limit_reached';

const TEXTS: ReadonlyMap<MailLocale, Record<AssistantNotice, string>> = new Map([
  [
    'en',
    {
      handed_off: 'The conversation was passed to the team.',
      failed: 'The assistant could not answer. A person from the team will reply.',
      limit_reached: 'The assistant has reached its daily limit. A person from the team will reply.',
    },
  ],
  [
    'fr',
    {
      handed_off: 'La conversation a été transmise à l’équipe.',
      failed: 'L’assistant n’a pas pu répondre. Une personne de l’équipe va vous répondre.',
      limit_reached: 'L’assistant a atteint sa limite du jour. Une personne de l’équipe va vous répondre.',
    },
  ],
  [
    'ar',
    {
      handed_off: 'تم تحويل المحادثة إلى الفريق.',
      failed: 'لم يتمكن المساعد من الرد. سيرد عليك أحد أعضاء الفريق.',
      limit_reached: 'بلغ المساعد حده اليومي. سيرد عليك أحد أعضاء الفريق.',
    },
  ],
]);

/** The user's language: their signed-token metadata's `locale`, else English. */
export function localeOf(user: Pick<UserRow, 'metadata'> | undefined): MailLocale {
  if (!user) return 'en';
  try {
    return mailLocale((JSON.parse(user.metadata) as Record<string, unknown>)['locale']);
  } catch {
    return 'en';
  }
}

export const noticeText = (notice: AssistantNotice, locale: MailLocale): string => TEXTS.get(locale)![notice];
