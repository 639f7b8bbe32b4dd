/**
 * The shape of a widget locale table and what reads it. Each locale is its own module (en.ts, fr.ts, ar.ts):
 * the widget's loader fetches only the table of the locale it picked, beside the panel.
 */
import type { Strings } from '../chat/strings.js';
import type { enErrors } from './en.js';
import type { LauncherStrings } from './launcher.js';

/** The sign-in error codes the widget explains in every locale. */
export type ErrorCode = keyof typeof enErrors;

export interface LocaleStrings extends Strings, LauncherStrings {
  chatTitle: string;
  /** The home view's greeting when the administrator set none; `{name}` is the user's first name. */
  greeting: string;
  signingIn: string;
  /** A refresh through the integrator's auth provider failed every attempt. */
  gaveUp: string;
  /** The code the page gave was already expired (and nothing can fetch a fresh one). */
  codeExpired: string;
  /** The session ended (expired, signed out elsewhere, account changed) and nothing can renew it. */
  sessionEnded: string;
  signedOut: string;
  errors: Record<ErrorCode, string>;
}

/** The message for an error code in this locale (the generic message for a code the widget does not know). */
export function errorMessage(strings: LocaleStrings, code: string): string {
  return {}.hasOwnProperty.call(strings.errors, code) ? strings.errors[code as ErrorCode] : strings.errorGeneric;
}
