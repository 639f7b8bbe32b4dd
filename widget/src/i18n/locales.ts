/**
 * The widget's locale tables: English, French and Arabic (right to left). A locale is picked by
 * `data-locale`, else the browser's languages, else English. Every table is complete (the types say so: a
 * missing string or error code fails the typecheck); only an error code the widget does not know falls
 * back, to the generic message.
 */
import { en as chatEn, type Strings } from '../chat/strings.js';

const enErrors = {
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
  database_unavailable: 'The chat is briefly unavailable. Trying again…',
};

/** The sign-in error codes the widget explains in every locale. */
export type ErrorCode = keyof typeof enErrors;

export interface LocaleStrings extends Strings {
  openChat: string;
  closeChat: string;
  chatTitle: string;
  unread: (n: number) => string;
  signingIn: string;
  gaveUp: string;
  errors: Record<ErrorCode, string>;
}

/** A count in the plural form `code` asks for (Arabic has six): `#` is the number, `other` the fallback form. */
function plural(code: string, forms: Partial<Record<Intl.LDMLPluralRule, string>> & { other: string }): (n: number) => string {
  const rules = new Intl.PluralRules(code);
  return (n) => (forms[rules.select(n)] ?? forms.other).replace('#', String(n));
}

const en: LocaleStrings = {
  ...chatEn,
  openChat: 'Open chat',
  closeChat: 'Close chat',
  chatTitle: 'Chat',
  unread: plural('en', { one: '# unread message', other: '# unread messages' }),
  signingIn: 'Signing you in…',
  gaveUp: 'We could not sign you in again. Reload the page to retry.',
  errors: enErrors,
};

const fr: LocaleStrings = {
  conversations: 'Conversations',
  newConversation: 'Nouvelle conversation',
  noConversations: 'Aucune conversation pour l’instant. Lancez-en une !',
  pickConversation: 'Choisissez une conversation ou lancez-en une.',
  emptyConversation: 'Aucun message. Dites bonjour !',
  loadOlder: 'Charger les messages plus anciens',
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
  notSignedInTitle: 'Vous n’êtes pas connecté',
  notSignedInBody: 'Ouvrez le chat depuis le produit que vous utilisez : il vous connecte automatiquement.',
  liveLost: 'Connexion perdue. Reconnexion…',
  tooLong: 'Un message compte au plus 10 000 caractères.',
  errorGeneric: 'Une erreur est survenue. Réessayez.',
  readOnly: 'Vous pouvez lire cette conversation mais pas y écrire.',
  documentEmpty: 'Aucun message dans ce document pour l’instant.',
  documentNotFound: 'Vous n’avez pas accès à ce document.',
  authors: { user: 'Utilisateur', assistant: 'Assistant', system: 'Système' },
  openChat: 'Ouvrir le chat',
  closeChat: 'Fermer le chat',
  chatTitle: 'Chat',
  unread: plural('fr', { one: '# message non lu', other: '# messages non lus' }),
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
    database_unavailable: 'Le chat est momentanément indisponible. Nouvel essai…',
  },
};

const ar: LocaleStrings = {
  conversations: 'المحادثات',
  newConversation: 'محادثة جديدة',
  noConversations: 'لا توجد محادثات بعد. ابدأ واحدة!',
  pickConversation: 'اختر محادثة أو ابدأ محادثة جديدة.',
  emptyConversation: 'لا توجد رسائل بعد. قل مرحبًا!',
  loadOlder: 'تحميل الرسائل الأقدم',
  loadingOlder: 'جارٍ تحميل الرسائل الأقدم…',
  composerLabel: 'رسالة',
  composerPlaceholder: 'اكتب رسالة… (Enter للإرسال، Shift+Enter لسطر جديد)',
  send: 'إرسال',
  sending: 'جارٍ الإرسال…',
  failed: 'لم تُرسل.',
  retry: 'إعادة المحاولة',
  you: 'أنت',
  signOut: 'تسجيل الخروج',
  signedInAs: 'تم تسجيل الدخول باسم',
  loading: 'جارٍ التحميل…',
  notSignedInTitle: 'لم تسجّل الدخول',
  notSignedInBody: 'افتح الدردشة من المنتج الذي تستخدمه: سيسجّل دخولك تلقائيًا.',
  liveLost: 'انقطع الاتصال. جارٍ إعادة الاتصال…',
  tooLong: 'لا يمكن أن تتجاوز الرسالة 10000 حرف.',
  errorGeneric: 'حدث خطأ ما. حاول مرة أخرى.',
  readOnly: 'يمكنك قراءة هذه المحادثة لكن لا يمكنك الكتابة فيها.',
  documentEmpty: 'لا توجد رسائل في هذا المستند بعد.',
  documentNotFound: 'ليس لديك صلاحية الوصول إلى هذا المستند.',
  authors: { user: 'مستخدم', assistant: 'المساعد', system: 'النظام' },
  openChat: 'فتح الدردشة',
  closeChat: 'إغلاق الدردشة',
  chatTitle: 'الدردشة',
  unread: plural('ar', {
    zero: 'لا توجد رسائل غير مقروءة',
    one: 'رسالة واحدة غير مقروءة',
    two: 'رسالتان غير مقروءتين',
    few: '# رسائل غير مقروءة',
    other: '# رسالة غير مقروءة',
  }),
  back: 'العودة إلى المحادثات',
  signingIn: 'جارٍ تسجيل الدخول…',
  gaveUp: 'تعذر تسجيل دخولك مجددًا. أعد تحميل الصفحة للمحاولة.',
  errors: {
    token_missing: 'لم يُقدَّم رمز تسجيل الدخول إلى الدردشة. أعد تحميل الصفحة أو تواصل مع مسؤول الموقع.',
    token_invalid: 'تعذر تسجيل دخولك: رمز الدخول غير صالح. تواصل مع مسؤول الموقع.',
    token_expired: 'انتهت صلاحية تسجيل الدخول. جارٍ تسجيل دخولك مجددًا…',
    external_auth_disabled: 'تسجيل الدخول غير مفعّل في هذه الدردشة بعد. تواصل مع المسؤول.',
    user_not_found: 'لا يوجد حساب دردشة باسمك. تواصل مع المسؤول.',
    email_conflict: 'عنوان بريدك الإلكتروني مرتبط بحساب دردشة آخر. تواصل مع المسؤول.',
    seat_limit_reached: 'هذه الدردشة ممتلئة: جميع المقاعد مشغولة. تواصل مع المسؤول.',
    user_deactivated: 'تم تعطيل حسابك. تواصل مع المسؤول.',
    origin_not_allowed: 'هذا الموقع غير مسموح له بعرض الدردشة. تواصل مع مسؤول الموقع.',
    rate_limited: 'محاولات كثيرة جدًا. انتظر قليلًا ثم حاول مرة أخرى.',
    session_invalid: 'انتهت جلستك. جارٍ تسجيل دخولك مجددًا…',
    network_error: 'تعذر الوصول إلى الدردشة. تحقق من اتصالك.',
    internal_error: 'حدث خطأ من جهتنا. حاول مرة أخرى لاحقًا.',
    database_unavailable: 'الدردشة غير متاحة مؤقتًا. جارٍ إعادة المحاولة…',
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

/** The message for an error code in this locale (the generic message for a code the widget does not know). */
export function errorMessage(strings: LocaleStrings, code: string): string {
  return {}.hasOwnProperty.call(strings.errors, code) ? strings.errors[code as ErrorCode] : strings.errorGeneric;
}
