/** The widget in English (every table is complete: the type says so, and a missing string fails the typecheck). */
import { en as chatEn } from '../chat/strings.js';
import { LAUNCHER_STRINGS } from './launcher.js';
import type { LocaleStrings } from './locale-strings.js';

export const enErrors = {
  token_missing: 'No sign-in code was given to the chat. Reload the page or contact the site administrator.',
  token_invalid: 'The chat could not sign you in: the sign-in code is not valid. Contact the site administrator.',
  token_expired: 'Your sign-in has expired. Signing you in again…',
  external_auth_disabled: 'Sign-in is not enabled on this chat yet. Contact your administrator.',
  user_not_found: 'There is no chat account for you. Contact your administrator.',
  email_conflict: 'Your email address already belongs to another chat account. Contact your administrator.',
  seat_limit_reached: 'This chat is full: every seat is taken. Contact your administrator.',
  user_deactivated: 'Your chat account has been deactivated. Contact your administrator.',
  origin_not_allowed: 'This site is not allowed to show the chat. Contact the site administrator.',
  rate_limited: 'Too many attempts. Wait a moment and try again.',
  email_code_invalid: 'This code does not match. Check the email and try again.',
  email_code_expired: 'This code is no longer valid. Ask for a new one.',
  session_invalid: 'Your session has ended. Signing you in again…',
  network_error: 'The chat cannot be reached. Check your connection.',
  internal_error: 'Something went wrong on our side. Try again later.',
  database_unavailable: 'The chat is briefly unavailable. Trying again…',
};

export const en: LocaleStrings = {
  ...chatEn,
  ...LAUNCHER_STRINGS.get('en')!,
  chatTitle: 'Chat',
  greeting: 'Hi {name} 👋 — ask us anything',
  signingIn: 'Signing you in…',
  gaveUp: 'We could not sign you in again. Reload the page to retry.',
  codeExpired: 'This sign-in link has expired. Reload the page to get a new one.',
  sessionEnded: 'Your chat session has ended. Reload the page to continue.',
  signedOut: 'You are signed out of the chat.',
  errors: enErrors,
};

export default en;
