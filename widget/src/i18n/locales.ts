/**
 * The widget's locale tables: English, French and Arabic (right to left). A locale is picked by
 * `data-locale`, else the browser's languages, else English; a missing string falls back to English.
 */
import { en as chatEn, type Strings } from '../chat/strings.js';

export interface LocaleStrings extends Strings {
  openChat: string;
  closeChat: string;
  chatTitle: string;
  unread: (n: number) => string;
  signingIn: string;
  gaveUp: string;
  errors: Record<string, string>;
}

const en: LocaleStrings = {
  ...chatEn,
  openChat: 'Open chat',
  closeChat: 'Close chat',
  chatTitle: 'Chat',
  unread: (n) => (n === 1 ? '1 unread message' : `${n} unread messages`),
  back: 'Back to conversations',
  signingIn: 'Signing you in…',
  gaveUp: 'We could not sign you in again. Reload the page to retry.',
  errors: {
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
    session_invalid: 'Your session has ended. Signing you in again…',
    network_error: 'The chat cannot be reached. Check your connection.',
    internal_error: 'Something went wrong on our side. Try again later.',
  },
};

const fr: LocaleStrings = {
  ...en,
  conversations: 'Conversations',
  newConversation: 'Nouvelle conversation',
  noConversations: 'Aucune conversation pour l’instant. Lancez-en une !',
  pickConversation: 'Choisissez une conversation ou lancez-en une.',
  emptyConversation: 'Aucun message. Dites bonjour !',
  loadingOlder: 'Chargement des messages plus anciens…',
  composerLabel: 'Message',
  composerPlaceholder: 'Écrivez un message… (Entrée envoie, Maj+Entrée pour une nouvelle ligne)',
  send: 'Envoyer',
  sending: 'Envoi…',
  failed: 'Non envoyé.',
  retry: 'Réessayer',
  you: 'Vous',
  signOut: 'Se déconnecter',
  signedInAs: 'Connecté en tant que',
  loading: 'Chargement…',
  liveLost: 'Connexion perdue. Reconnexion…',
  tooLong: 'Un message compte au plus 10 000 caractères.',
  errorGeneric: 'Une erreur est survenue. Réessayez.',
  readOnly: 'Vous pouvez lire cette conversation mais pas y écrire.',
  documentEmpty: 'Aucun message dans ce document pour l’instant.',
  documentNotFound: 'Vous n’avez pas accès à ce document.',
  openChat: 'Ouvrir le chat',
  closeChat: 'Fermer le chat',
  chatTitle: 'Chat',
  unread: (n) => (n === 1 ? '1 message non lu' : `${n} messages non lus`),
  back: 'Retour aux conversations',
  signingIn: 'Connexion en cours…',
  gaveUp: 'Impossible de vous reconnecter. Rechargez la page pour réessayer.',
  errors: {
    token_missing: 'Aucun code de connexion n’a été fourni au chat. Rechargez la page ou contactez l’administrateur du site.',
    token_invalid: 'Le chat n’a pas pu vous connecter : le code de connexion n’est pas valide. Contactez l’administrateur du site.',
    token_expired: 'Votre connexion a expiré. Reconnexion en cours…',
    external_auth_disabled: 'La connexion n’est pas encore activée sur ce chat. Contactez votre administrateur.',
    user_not_found: 'Aucun compte de chat ne vous correspond. Contactez votre administrateur.',
    email_conflict: 'Votre adresse e-mail appartient déjà à un autre compte. Contactez votre administrateur.',
    seat_limit_reached: 'Ce chat est complet : toutes les places sont prises. Contactez votre administrateur.',
    user_deactivated: 'Votre compte de chat a été désactivé. Contactez votre administrateur.',
    origin_not_allowed: 'Ce site n’est pas autorisé à afficher le chat. Contactez l’administrateur du site.',
    rate_limited: 'Trop de tentatives. Patientez un instant puis réessayez.',
    session_invalid: 'Votre session a pris fin. Reconnexion en cours…',
    network_error: 'Le chat est injoignable. Vérifiez votre connexion.',
    internal_error: 'Une erreur est survenue de notre côté. Réessayez plus tard.',
  },
};

const ar: LocaleStrings = {
  ...en,
  conversations: 'المحادثات',
  newConversation: 'محادثة جديدة',
  noConversations: 'لا توجد محادثات بعد. ابدأ واحدة!',
  pickConversation: 'اختر محادثة أو ابدأ محادثة جديدة.',
  emptyConversation: 'لا توجد رسائل بعد. قل مرحبًا!',
  loadingOlder: 'جارٍ تحميل الرسائل الأقدم…',
  composerLabel: 'رسالة',
  composerPlaceholder: 'اكتب رسالة… (Enter للإرسال، Shift+Enter لسطر جديد)',
  send: 'إرسال',
  sending: 'جارٍ الإرسال…',
  failed: 'لم تُرسل.',
  retry: 'إعادة المحاولة',
  you: 'أنت',
  loading: 'جارٍ التحميل…',
  readOnly: 'يمكنك قراءة هذه المحادثة لكن لا يمكنك الكتابة فيها.',
  documentEmpty: 'لا توجد رسائل في هذا المستند بعد.',
  documentNotFound: 'ليس لديك صلاحية الوصول إلى هذا المستند.',
  openChat: 'فتح الدردشة',
  closeChat: 'إغلاق الدردشة',
  chatTitle: 'الدردشة',
  unread: (n) => `${n} رسائل غير مقروءة`,
  back: 'العودة إلى المحادثات',
  signingIn: 'جارٍ تسجيل الدخول…',
  gaveUp: 'تعذر تسجيل دخولك مجددًا. أعد تحميل الصفحة للمحاولة.',
  errors: {
    ...en.errors,
    token_expired: 'انتهت صلاحية تسجيل الدخول. جارٍ تسجيل دخولك مجددًا…',
    seat_limit_reached: 'هذه الدردشة ممتلئة: جميع المقاعد مشغولة. تواصل مع المسؤول.',
    origin_not_allowed: 'هذا الموقع غير مسموح له بعرض الدردشة. تواصل مع مسؤول الموقع.',
    token_invalid: 'تعذر تسجيل دخولك: رمز الدخول غير صالح. تواصل مع مسؤول الموقع.',
    user_deactivated: 'تم تعطيل حسابك. تواصل مع المسؤول.',
    network_error: 'تعذر الوصول إلى الدردشة. تحقق من اتصالك.',
  },
};

const LOCALES = new Map<string, LocaleStrings>([
  ['en', en],
  ['fr', fr],
  ['ar', ar],
]);
const RTL: ReadonlySet<string> = new Set(['ar', 'he', 'fa', 'ur']);

/** The best supported locale for `requested` (data-locale) and the browser's languages. */
export function pickLocale(requested: string | null | undefined, browser: readonly string[]): { code: string; strings: LocaleStrings; dir: 'ltr' | 'rtl' } {
  for (const candidate of [requested, ...browser]) {
    if (!candidate) continue;
    const code = candidate.toLowerCase().split('-')[0] ?? '';
    const strings = LOCALES.get(code);
    if (strings) return { code, strings, dir: RTL.has(code) ? 'rtl' : 'ltr' };
  }
  return { code: 'en', strings: en, dir: 'ltr' };
}

/** The message for an error code in this locale (English, then a generic message, as fallbacks). */
export function errorMessage(strings: LocaleStrings, code: string): string {
  return strings.errors[code] ?? en.errors[code] ?? strings.errorGeneric;
}
