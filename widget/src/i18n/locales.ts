/**
 * The widget's locale tables: English, French and Arabic (right to left). A locale is picked by
 * `data-locale`, else the browser's languages, else English. Every table is complete (the types say so: a
 * missing string or error code fails the typecheck); only an error code the widget does not know falls
 * back, to the generic message. The embedded widget loads one table (its loader imports the module of the
 * locale it picked); this module, with all of them, serves the tests and whoever needs every locale.
 */
import { ar } from './ar.js';
import { en } from './en.js';
import { fr } from './fr.js';
import { pickLocaleCode } from './launcher.js';
import type { LocaleStrings } from './locale-strings.js';

export { errorMessage, type ErrorCode, type LocaleStrings } from './locale-strings.js';

const LOCALES = new Map<string, LocaleStrings>([
  ['en', en],
  ['fr', fr],
  ['ar', ar],
]);

/** The best supported locale for `requested` (data-locale) and the browser's languages. */
export function pickLocale(requested: string | null | undefined, browser: readonly string[]): { code: string; strings: LocaleStrings; dir: 'ltr' | 'rtl' } {
  const { code, dir } = pickLocaleCode(requested, browser);
  return { code, dir, strings: LOCALES.get(code)! };
}

/** The full table of a locale code that pickLocaleCode chose (English for any other). */
export const localeStrings = (code: string): LocaleStrings => LOCALES.get(code) ?? en;

