/**
 * What the panel says for each error code the admin API answers with (docs/admin-api.md). Codes are stable,
 * messages are not: the server's own message is shown only where it carries detail (which field was bad).
 */
import { ApiError } from '../api/client.js';

const TEXT = new Map<string, string>([
  ['seat_limit_reached', 'Every seat is taken: deactivate someone or raise the seat limit in Settings.'],
  ['last_owner', 'This is the last owner: make someone else an owner first.'],
  ['owner_required', 'Only an owner can make someone an owner or change an owner’s role.'],
  ['email_conflict', 'Another account already has this email address.'],
  ['external_id_conflict', 'Another account already has this external ID.'],
  ['setting_locked', 'This setting is fixed by the environment and cannot be changed here.'],
  ['user_not_found', 'This user no longer exists. Reload the list.'],
  ['account_not_found', 'This user no longer exists. Reload the list.'],
  ['key_not_found', 'This key no longer exists or is already retired.'],
  ['api_key_not_found', 'This API key no longer exists or is already revoked.'],
  ['api_credential_not_found', 'This credential no longer exists or is already revoked.'],
  ['conversation_not_found', 'This conversation no longer exists.'],
  ['message_empty', 'Write a message first.'],
  ['message_too_long', 'A message may have at most 10,000 characters.'],
  ['csrf_rejected', 'The request was refused as cross-site. Reload the panel and try again.'],
  ['rate_limited', 'Too many requests. Wait a moment and try again.'],
  ['webhook_not_found', 'This webhook endpoint no longer exists. Reload the page.'],
  ['delivery_in_progress', 'This delivery is being sent right now. Try again in a moment.'],
  ['webhook_url_private', 'This URL is on a private or local address, which Parley does not send to (unless PARLEY_WEBHOOKS_ALLOW_PRIVATE=true).'],
  ['email_not_configured', 'Email sign-in needs an SMTP server: set one first (PARLEY_SMTP_URL or the SMTP setting).'],
  ['assistant_not_found', 'This assistant no longer exists. Reload the page.'],
  ['assistant_url_refused', 'Parley does not call this base URL: it is on a private or loopback address. For a model on this machine or your network, such as a local Ollama, turn on “Allow a private address”.'],
  ['network_error', 'Parley could not be reached. Check the connection and try again.'],
]);

/** The sentence to show for a failed request. */
export function errorText(error: unknown): string {
  if (!(error instanceof ApiError)) return 'Something went wrong. Try again.';
  const known = TEXT.get(error.code);
  if (known) return known;
  if (error.code === 'bad_request' && error.message) return `Not accepted: ${error.message}`;
  // The provider's own answer (its status, or the timeout) is what the administrator needs to fix it.
  if (error.code === 'assistant_unavailable') return `The model provider failed${error.message ? `: ${error.message}` : '.'}`;
  return `Something went wrong (${error.code}). Try again.`;
}
