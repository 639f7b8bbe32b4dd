/**
 * The few words the loader needs before the panel exists (the launcher's label and its unread count), per
 * locale, and the choice of locale itself. The panel's full tables (locales.ts) extend these, so the launcher
 * and the panel always speak the same language.
 */

/** A count in the plural form `code` asks for (Arabic has six): `#` is the number, `other` the fallback form. */
export function plural(code: string, forms: Partial<Record<Intl.LDMLPluralRule, string>> & { other: string }): (n: number) => string {
  const rules = new Intl.PluralRules(code);
  return (n) => (forms[rules.select(n)] ?? forms.other).replace('#', String(n));
}

export interface LauncherStrings {
  openChat: string;
  closeChat: string;
  unread: (n: number) => string;
}

export const LAUNCHER_STRINGS: ReadonlyMap<string, LauncherStrings> = new Map([
  ['en', { openChat: 'Open chat', closeChat: 'Close chat', unread: plural('en', { one: '# unread message', other: '# unread messages' }) }],
  ['fr', { openChat: 'Ouvrir le chat', closeChat: 'Fermer le chat', unread: plural('fr', { one: '# message non lu', other: '# messages non lus' }) }],
  [
    'ar',
    {
      openChat: 'فتح الدردشة',
      closeChat: 'إغلاق الدردشة',
      unread: plural('ar', { zero: 'لا توجد رسائل غير مقروءة', one: 'رسالة واحدة غير مقروءة', two: 'رسالتان غير مقروءتين', few: '# رسائل غير مقروءة', other: '# رسالة غير مقروءة' }),
    },
  ],
]);

const RTL: ReadonlySet<string> = new Set(['ar', 'he', 'fa', 'ur']);

/** The best supported locale for `requested` (data-locale) and the browser's languages; English otherwise. */
export function pickLocaleCode(requested: string | null | undefined, browser: readonly string[]): { code: string; dir: 'ltr' | 'rtl' } {
  for (const candidate of [requested, ...browser]) {
    const code = candidate?.toLowerCase().split('-')[0] ?? '';
    if (LAUNCHER_STRINGS.has(code)) return { code, dir: RTL.has(code) ? 'rtl' : 'ltr' };
  }
  return { code: 'en', dir: 'ltr' };
}
