/**
 * The sender of the outbox's `mail` rows (outbound/mail.ts): one pooled nodemailer transport built from the
 * effective SMTP settings (the environment's PARLEY_SMTP_URL, else the admin panel's `smtpUrl`), built again
 * when they change. An SMTP permanent refusal (a 5xx reply, RFC 5321 §4.2.1: "550 no such user") fails the
 * row for good; a connection error or a transient 4xx is tried again after the next delay. Errors are
 * recorded and logged without the password, a token or a link: nodemailer's messages may quote the
 * server's reply, the command sent (AUTH carries the credentials) or the message.
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type { SmtpConfig } from '../config.js';
import type { OutboxRow } from '../store/outbox.js';
import { MAIL_KIND, type MailMessage } from './mail.js';
import type { OutboxSender, SendOutcome } from './worker.js';

/** 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h: a server down for an afternoon still gets the email. */
export const MAIL_RETRY_DELAYS_MS = [30_000, 120_000, 600_000, 1_800_000, 3_600_000, 7_200_000, 14_400_000] as const;

/** What the mail sender reads at each send: the effective SMTP server and From (null: email is off). */
export interface MailSettings {
  smtp: SmtpConfig | null;
  /** The From of every email, already defaulted (`parley@<public host>`). */
  from: string;
}

/** The From when none is set: `parley@` the public URL's host (README, Configuration). */
export function defaultMailFrom(publicUrl: string): string {
  return `parley@${new URL(publicUrl).hostname}`;
}

/**
 * Removes what must never reach a log or the outbox's record from an SMTP error's text: the password (and
 * its base64 forms, as AUTH PLAIN/LOGIN send it), anything that looks like a URL, and long token-like runs.
 */
export function redactMailError(text: string, smtp: SmtpConfig | null): string {
  let out = text;
  const secrets = [smtp?.password, smtp?.user && smtp.password ? `\u0000${smtp.user}\u0000${smtp.password}` : null].filter((s): s is string => typeof s === 'string' && s !== '');
  for (const secret of secrets) {
    for (const form of [secret, Buffer.from(secret).toString('base64'), encodeURIComponent(secret)]) if (form.length > 0) out = out.split(form).join('[redacted]');
  }
  return out
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, '[link]')
    .replace(/\bAUTH\s+\S+(\s+\S+)?/gi, 'AUTH [redacted]')
    .replace(/[A-Za-z0-9_-]{32,}={0,2}/g, '[redacted]');
}

/** Whether an SMTP error is a permanent refusal (a 5xx reply): no retry can help. */
function permanent(error: unknown): boolean {
  const code = (error as { responseCode?: unknown }).responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

/** The payload of a `mail` row, narrowed. */
function readMessage(payload: string): Omit<MailMessage, 'target'> | null {
  try {
    const value = JSON.parse(payload) as Record<string, unknown>;
    if (typeof value['to'] !== 'string' || typeof value['subject'] !== 'string' || typeof value['text'] !== 'string' || typeof value['html'] !== 'string') return null;
    const headers = new Map<string, string>();
    const raw = value['headers'];
    if (typeof raw === 'object' && raw !== null) for (const [k, v] of Object.entries(raw)) if (typeof v === 'string' && !/[\r\n]/.test(v)) headers.set(k, v);
    return { to: value['to'], subject: value['subject'], text: value['text'], html: value['html'], headers: Object.fromEntries(headers) };
  } catch {
    return null;
  }
}

export interface MailTransport {
  /** Sends one message now; throws what nodemailer throws. */
  send(message: Omit<MailMessage, 'target'>): Promise<void>;
  /** The settings in use (null SMTP: email is off). */
  settings(): Promise<MailSettings>;
  close(): void;
}

/** One pooled transport, built again whenever the effective SMTP settings differ from the last send's. */
export function createMailTransport(settings: () => Promise<MailSettings>): MailTransport {
  let built: { key: string; transporter: Transporter } | null = null;
  const transporterFor = (smtp: SmtpConfig): Transporter => {
    const key = JSON.stringify(smtp);
    if (built?.key === key) return built.transporter;
    built?.transporter.close();
    const transporter = nodemailer.createTransport({
      pool: true,
      maxConnections: 3,
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure,
      ...(smtp.user !== null ? { auth: { user: smtp.user, pass: smtp.password ?? '' } } : {}),
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
      // Never log the conversation with the server: it carries the AUTH exchange and the message.
      logger: false,
      debug: false,
    });
    built = { key, transporter };
    return transporter;
  };
  return {
    settings,
    async send(message) {
      const { smtp, from } = await settings();
      if (!smtp) throw new TypeError('email is off: no SMTP server is set');
      await transporterFor(smtp).sendMail({ from, to: message.to, subject: message.subject, text: message.text, html: message.html, headers: message.headers ?? {} });
    },
    close() {
      built?.transporter.close();
      built = null;
    },
  };
}

/** The outbox sender of kind `mail`. */
export function createMailSender(transport: MailTransport): OutboxSender {
  return {
    kind: MAIL_KIND,
    retryDelaysMs: MAIL_RETRY_DELAYS_MS,
    // Once sent (or given up), only who it was for and what about stay: not its one-time links and codes.
    keptPayload(row) {
      const message = readMessage(row.payload);
      return JSON.stringify(message ? { to: message.to, subject: message.subject } : {});
    },
    async send(row: OutboxRow): Promise<SendOutcome> {
      const message = readMessage(row.payload);
      if (!message) return { ok: false, error: 'not an email', retry: false };
      const { smtp } = await transport.settings();
      // Email was turned off after the row was written: it stays failed (Resend sends it again).
      if (!smtp) return { ok: false, error: 'email is off: no SMTP server is set', retry: false };
      try {
        await transport.send(message);
        return { ok: true };
      } catch (error) {
        const code = (error as { responseCode?: unknown }).responseCode;
        const text = redactMailError(error instanceof Error ? error.message : String(error), smtp);
        return { ok: false, error: text, statusCode: typeof code === 'number' ? code : null, retry: !permanent(error) };
      }
    },
  };
}
