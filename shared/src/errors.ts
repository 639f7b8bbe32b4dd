/**
 * Every error Parley answers with, by stable code, with its HTTP status. Clients branch on `code`, never on
 * `message`; the server's error handler and the widget's messages are both keyed by this table.
 */
export const ERROR_STATUS = {
  // sign-in outcomes (docs/external-auth.md, Outcomes)
  token_missing: 401,
  token_invalid: 401,
  token_expired: 401,
  external_auth_disabled: 403,
  user_not_found: 401,
  email_conflict: 409,
  seat_limit_reached: 403,
  user_deactivated: 403,
  origin_not_allowed: 403,
  rate_limited: 429,
  // email sign-in (docs/admin-api.md, Email sign-in)
  /** Email is not among signInMethods (or no SMTP server is configured). */
  email_sign_in_disabled: 403,
  /** signInMethods cannot include email without PARLEY_SMTP_URL. */
  email_not_configured: 400,
  /** The code does not match the latest one sent to this address. */
  email_code_invalid: 401,
  /** No code or link is live for this address: none sent, used, superseded, 15 minutes passed, or 5 wrong tries. */
  email_code_expired: 401,
  // sessions and requests
  session_missing: 401,
  session_invalid: 401,
  csrf_rejected: 403,
  /** GET /metrics without the bearer token of PARLEY_METRICS_TOKEN. */
  metrics_token_invalid: 401,
  bad_request: 400,
  not_found: 404,
  method_not_allowed: 405,
  payload_too_large: 413,
  unsupported_media_type: 415,
  // administration
  admin_required: 403,
  owner_required: 403,
  last_owner: 409,
  setting_locked: 409,
  key_not_found: 404,
  external_id_conflict: 409,
  link_invalid: 404,
  link_used: 410,
  account_not_found: 404,
  api_key_invalid: 401,
  api_key_not_found: 404,
  api_credential_not_found: 404,
  /** An uploaded launcher icon over 64 KB. */
  icon_too_large: 413,
  /** An uploaded launcher icon whose bytes are not PNG, JPEG, GIF or WebP. */
  icon_type_unsupported: 415,
  // chat
  conversation_not_found: 404,
  read_only: 403,
  document_not_found: 404,
  message_empty: 400,
  message_too_long: 400,
  client_message_id_conflict: 409,
  message_not_found: 404,
  /** Only the author may change a message, within 15 minutes; an administrator may delete any. */
  message_locked: 403,
  /** A deleted message cannot be edited. */
  message_deleted: 409,
  canned_reply_not_found: 404,
  // attachments (docs/attachments.md)
  /** A file over PARLEY_MAX_UPLOAD. */
  attachment_too_large: 413,
  /** The account's files would pass PARLEY_UPLOAD_QUOTA (uploads in progress count). */
  attachment_quota_exceeded: 413,
  /** The content is none of the allowed kinds, or does not match the name's extension (an HTML file named .png). */
  attachment_type_unsupported: 415,
  /** The upload ended before the file did (the connection dropped, the multipart body was cut). */
  attachment_truncated: 400,
  /** No file with this id that the caller may read, or (posting) one they uploaded to this conversation. */
  attachment_not_found: 404,
  /** The file is already attached to a message. */
  attachment_used: 409,
  /** More than 10 files on one message. */
  too_many_attachments: 400,
  /** No webhook endpoint of the actor's organization has this id. */
  webhook_not_found: 404,
  /** A webhook URL whose host is, or resolves to, a private address (PARLEY_WEBHOOKS_ALLOW_PRIVATE is off). */
  webhook_url_private: 400,
  /** A delivery being sent at this moment cannot be sent again until that try ends. */
  delivery_in_progress: 409,
  // the assistant (docs/assistant.md)
  /** No assistant has this id. */
  assistant_not_found: 404,
  /** The base URL is, or resolves to, a private or loopback address, and the assistant's allowPrivateAddress is off. */
  assistant_url_refused: 400,
  /** The test call to the provider failed (502 an error or a bad answer, 503 unreachable, 504 no answer in time). */
  assistant_unavailable: 502,
  // anything unexpected
  internal_error: 500,
  service_unavailable: 503,
  /** The database cannot be reached for now: retry after the response's Retry-After. */
  database_unavailable: 503,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** The body of every error response. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

const codes: ReadonlySet<string> = new Set(Object.keys(ERROR_STATUS));

/** Narrows an unknown string (say, from a response body) to a known error code. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && codes.has(value);
}
