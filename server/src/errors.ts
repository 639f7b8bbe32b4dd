/**
 * Domain errors. Anything a caller did wrong is a `ParleyError` with a stable code from shared/src/errors.ts;
 * the error handler turns it into `{"error":{"code","message"}}` with the code's status. Programming
 * mistakes stay TypeErrors and come out as a bare 500 `internal_error`.
 */
import type { FastifyReply } from 'fastify';
import { ERROR_STATUS, type ErrorCode } from '#shared/errors.js';

export const DEFAULT_MESSAGES: ReadonlyMap<ErrorCode, string> = new Map<ErrorCode, string>([
  ['token_missing', 'A sign-in token is required.'],
  ['token_invalid', 'The sign-in token is not valid.'],
  ['token_expired', 'The sign-in token has expired.'],
  ['external_auth_disabled', 'External authentication is not enabled on this instance.'],
  ['user_not_found', 'No account matches this sign-in token.'],
  ['email_conflict', 'This email address belongs to another account.'],
  ['seat_limit_reached', 'Every seat on this instance is taken. Contact your administrator.'],
  ['user_deactivated', 'This account has been deactivated. Contact your administrator.'],
  ['origin_not_allowed', 'This site is not allowed to embed Parley.'],
  ['rate_limited', 'Too many attempts. Try again shortly.'],
  ['email_sign_in_disabled', 'Sign-in by email is not enabled on this instance.'],
  ['email_not_configured', 'Email sign-in needs an SMTP server: set PARLEY_SMTP_URL first.'],
  ['email_code_invalid', 'This code is not the one we sent. Check the email and try again.'],
  ['email_code_expired', 'This code or link is no longer valid. Ask for a new one.'],
  ['session_missing', 'Sign in first.'],
  ['session_invalid', 'The session has ended. Sign in again.'],
  ['csrf_rejected', 'The request came from another site.'],
  ['metrics_token_invalid', 'Metrics need the bearer token of PARLEY_METRICS_TOKEN.'],
  ['bad_request', 'The request is malformed.'],
  ['not_found', 'Not found.'],
  ['method_not_allowed', 'Method not allowed.'],
  ['payload_too_large', 'The request body is too large.'],
  ['unsupported_media_type', 'Send the body as application/json.'],
  ['admin_required', 'Administrators only.'],
  ['owner_required', 'Only an owner may do this.'],
  ['last_owner', 'The last owner cannot be removed, demoted or deactivated.'],
  ['setting_locked', 'This setting is fixed by the environment.'],
  ['key_not_found', 'No active key has this id.'],
  ['external_id_conflict', 'This external id belongs to another account.'],
  ['link_invalid', 'This link is not valid.'],
  ['link_used', 'This link has already been used.'],
  ['account_not_found', 'No account has this id.'],
  ['api_key_invalid', 'The API key is not valid (unknown, revoked, or its creator is no longer an administrator).'],
  ['api_key_not_found', 'No API key has this id.'],
  ['api_credential_not_found', 'No active API credential has this apiKey.'],
  ['conversation_not_found', 'No such conversation.'],
  ['read_only', 'You can read this conversation but not write in it (viewer access).'],
  ['document_not_found', 'No conversation for this document yet, or no access to it.'],
  ['message_empty', 'A message needs some text.'],
  ['message_too_long', 'A message may have at most 10,000 characters.'],
  ['client_message_id_conflict', 'This clientMessageId was already used for another conversation.'],
  ['attachment_too_large', 'The file is larger than this instance accepts.'],
  ['attachment_quota_exceeded', 'Your files would pass your storage quota. Delete some messages with files first.'],
  ['attachment_type_unsupported', 'This kind of file cannot be attached: images (PNG, JPEG, GIF, WebP), PDF, text, CSV, ZIP and office documents can, named by what they are.'],
  ['attachment_truncated', 'The upload ended before the whole file arrived. Try again.'],
  ['attachment_not_found', 'No such file.'],
  ['attachment_used', 'This file is already attached to a message.'],
  ['too_many_attachments', 'A message may carry at most 10 files.'],
  ['webhook_not_found', 'No webhook endpoint has this id.'],
  ['webhook_url_private', 'The webhook URL is, or resolves to, a private address.'],
  ['delivery_in_progress', 'This delivery is being sent right now; resend it once that try has ended.'],
  ['assistant_not_found', 'No assistant has this id.'],
  ['assistant_url_refused', 'The base URL is, or resolves to, a private or loopback address.'],
  ['assistant_unavailable', 'The assistant’s provider could not answer.'],
  ['internal_error', 'Something went wrong on our side.'],
  ['service_unavailable', 'The service is not ready.'],
  ['database_unavailable', 'The database cannot be reached right now. Try again shortly.'],
]);

export class ParleyError extends Error {
  override name = 'ParleyError';
  readonly statusCode: number;
  /** Sent as Retry-After when this error is the answer (a limit), and only then. */
  readonly retryAfterSeconds: number | undefined;
  constructor(
    readonly code: ErrorCode,
    message: string = DEFAULT_MESSAGES.get(code) ?? code,
    options: { retryAfterSeconds?: number } = {},
  ) {
    super(message);
    this.statusCode = ERROR_STATUS[code];
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** Sends `{"error":{"code","message"}}` with the code's status. */
export function sendError(reply: FastifyReply, code: ErrorCode, message?: string) {
  const error = new ParleyError(code, message);
  return reply.code(error.statusCode).type('application/json; charset=utf-8').send({ error: { code, message: error.message } });
}
