/**
 * The database's tables as Kysely sees them. Times are integer milliseconds since the epoch and booleans are
 * 0/1 integers, so that SQLite and PostgreSQL store and return exactly the same values.
 */
import type { ColumnType, Generated } from 'kysely';

export interface OrganizationsTable {
  id: string;
  name: string;
  created_at: number;
}

export type Role = 'owner' | 'admin' | 'member';
export type CreatedVia = 'external_token' | 'owner_link' | 'admin' | 'api' | 'email';

export interface UsersTable {
  id: string;
  /** The integrator's `user.id`; null for accounts made in Parley itself. */
  external_id: string | null;
  email: string | null;
  /**
   * NFC + lower case, for the case-insensitive `email` sign-in and for uniqueness: no two accounts share an
   * email compared this way (docs/external-auth.md, The token; `email_conflict` in Outcomes).
   */
  email_normalized: string | null;
  name: string | null;
  avatar_url: string | null;
  /** JSON object of the other signed profile claims. */
  metadata: string;
  role: Role;
  organization_id: string;
  active: number;
  created_via: CreatedVia;
  created_at: number;
  last_seen_at: number | null;
  /** Moves on when all the account's sessions end (a deactivation): older sessions carry an older epoch. */
  session_epoch: ColumnType<number, number | undefined, number>;
  /** JSON object: an administrator's preferences (`{"sound": true}`). */
  preferences: ColumnType<string, string | undefined, string>;
  /** Origin and path of the page where the account last opened the widget or hosted page. */
  last_page: ColumnType<string | null, string | null | undefined, string | null>;
  /** When an administrator last had the admin panel open (its live stream): the team's presence. */
  panel_seen_at: ColumnType<number | null, number | null | undefined, number | null>;
}

export type KeyAlg = 'HS256' | 'ES256' | 'EdDSA' | 'RS256' | 'JWKS';

export interface AuthKeysTable {
  kid: string;
  /** HS256: a shared secret; ES256/EdDSA/RS256: a public key; JWKS: keys fetched from `jwks_url`. */
  alg: KeyAlg;
  /** The HS256 secret as shown once to the administrator (43 base64url characters, 256 random bits); its UTF-8 bytes are the HMAC key. */
  secret: string | null;
  /** The public key as a JWK JSON object (ES256, EdDSA, RS256). */
  public_jwk: string | null;
  /** https URL of a JWK Set (JWKS). */
  jwks_url: string | null;
  created_at: number;
  retired_at: number | null;
  last_used_at: number | null;
}

/** Sessions ended before their expiry (a logout): signed session tokens carry everything else. */
export interface RevokedSessionsTable {
  /** The session id inside the token (128 random bits, base64url). */
  id: string;
  /** The session's own expiry: past it the token is refused anyway and the row can go. */
  expires_at: number;
  revoked_at: number;
}

/** Secrets the instance makes for itself at first use (the key that signs session tokens). */
export interface InstanceSecretsTable {
  name: string;
  value: string;
  created_at: number;
}

export interface ConversationsTable {
  id: string;
  organization_id: string;
  /**
   * Set for a document room: the shared conversation of that document (docs/token-api.md, Organizations,
   * grants, document rooms).
   */
  document_id: string | null;
  /**
   * Given at creation or by a rename, else set from the first message (chat/chat-service.ts); null until
   * then. A document room's is its document id.
   */
  title: string | null;
  created_by: string | null;
  created_at: number;
  last_message_at: number | null;
  status: ColumnType<ConversationStatus, ConversationStatus | undefined, ConversationStatus>;
  /** The administrator it is assigned to, or null. */
  assignee_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** While snoozed: when it opens again by itself (chat/snooze-waker.ts). */
  snoozed_until: ColumnType<number | null, number | null | undefined, number | null>;
  /** When it was handed to the team (docs/assistant.md): from then on the assistant does not answer in it. */
  assistant_off_at: ColumnType<number | null, number | null | undefined, number | null>;
}

export type ConversationStatus = 'open' | 'resolved' | 'snoozed';

export interface ParticipantsTable {
  conversation_id: string;
  user_id: string;
  joined_at: number;
}

export interface MessagesTable {
  /** Grows with every message (the ordering key); exposed as a string id. */
  seq: Generated<number>;
  id: string;
  conversation_id: string;
  author_type: 'user' | 'assistant' | 'system';
  author_id: string | null;
  text: string;
  client_message_id: string | null;
  created_at: number;
  /** 1 for an internal note: administrators see it, the conversation's users never do. */
  internal: ColumnType<number, number | undefined, number>;
  edited_at: ColumnType<number | null, number | null | undefined, number | null>;
  /** Set when deleted; the text is then empty. */
  deleted_at: ColumnType<number | null, number | null | undefined, number | null>;
  /** An assistant's message (author_type `assistant`, author_id its id): the assistant's name when it wrote. */
  assistant_name: ColumnType<string | null, string | null | undefined, string | null>;
  /** Its files as presented (JSON: StoredAttachment[] of store/attachments.ts), or null: none. */
  attachments: ColumnType<string | null, string | null | undefined, string | null>;
}

/** A file attached to a message (store/attachments.ts); its bytes are in the file storage under `storage_key`. */
export interface AttachmentsTable {
  id: string;
  conversation_id: string;
  /** Null once the account was deleted (its files are then `deleted`). */
  uploader_id: string | null;
  message_id: string | null;
  /** The file's name as uploaded, made safe (attachments/file-name.ts). */
  name: string;
  /** The media type its content was recognised as (attachments/file-types.ts), never the uploader's claim. */
  type: string;
  size: number;
  width: number | null;
  height: number | null;
  /** `deleted`: its message was deleted; the sweeper removes its bytes, then the row. */
  state: 'uploading' | 'ready' | 'deleted';
  storage_key: string;
  created_at: number;
}

/** The bytes of a file kept in the database, in chunks (storage/database-blobs.ts). */
export interface BlobChunksTable {
  storage_key: string;
  n: number;
  data: Uint8Array;
}

/** An AI assistant (docs/assistant.md); `api_key` is never answered by any route. */
export interface AssistantsTable {
  id: string;
  name: string;
  base_url: string;
  model: string;
  api_key: string;
  system_prompt: string;
  temperature: number;
  answers: 'always' | 'when_offline' | 'never';
  /** JSON list of organization ids; null: every organization. */
  organization_ids: string | null;
  document_rooms: number;
  share_token_metadata: number;
  allow_private_address: number;
  context_tokens: number;
  /** JSON: {userMessagesPerDay, userTokensPerDay, organizationMessagesPerDay, organizationTokensPerDay}, each a number or null. */
  limits: string;
  created_at: number;
  updated_at: number;
}

export type AssistantReplyState = 'pending' | 'streaming' | 'done' | 'stopped' | 'failed' | 'skipped';

/** One reply of an assistant, from the outbox row that asks for it to its end (assistant/sender.ts). */
export interface AssistantRepliesTable {
  id: string;
  conversation_id: string;
  assistant_id: string;
  user_id: string;
  state: AssistantReplyState;
  stop_requested: ColumnType<number, number | undefined, number>;
  partial_text: ColumnType<string, string | undefined, string>;
  /** The `seq` of the newest message its context held: the reply answers up to there. */
  context_seq: ColumnType<number | null, number | null | undefined, number | null>;
  created_at: number;
  updated_at: number;
}

/** An assistant's replies and tokens for one user on one UTC day (`YYYY-MM-DD`). */
export interface AssistantUsageTable {
  assistant_id: string;
  day: string;
  user_id: string;
  organization_id: string;
  messages: number;
  tokens: number;
}

/** How far a participant has read a conversation: up to the message with this `seq`, which only grows. */
export interface ReadMarkersTable {
  conversation_id: string;
  user_id: string;
  seq: number;
  updated_at: number;
}

/** One row (id 1): the newest event id retention has deleted (store/events.ts, prune). */
export interface EventsPrunedTable {
  id: number;
  through: number;
}

export interface EventsTable {
  /** The SSE event id: only grows. */
  id: Generated<number>;
  conversation_id: string;
  organization_id: string | null;
  /** Set for events of a document room: who may see them is decided by grants, not participation. */
  document_id: string | null;
  type: string;
  payload: string;
  created_at: number;
  /** 1 for an event only administrators may receive (an internal note's). */
  internal: ColumnType<number, number | undefined, number>;
}

export interface UsedJtisTable {
  issuer: string;
  jti: string;
  expires_at: number;
}

export interface SettingsTable {
  name: string;
  /** JSON. */
  value: string;
  updated_at: number;
}

export interface AdminLinksTable {
  /** SHA-256 of the one-time token. */
  id: string;
  purpose: 'owner_setup' | 'sign_in';
  /** The account it signs in (sign_in), or null for the owner set-up of a fresh instance. */
  user_id: string | null;
  /** For `admin create-owner --email`: the owner-to-be's email. */
  email: string | null;
  created_at: number;
  expires_at: number | null;
  used_at: number | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: number;
  kind: 'admin' | 'sign_in';
  action: string;
  actor_id: string | null;
  actor_label: string | null;
  /** `ok` or an error code. */
  outcome: string;
  origin: string | null;
  ip: string | null;
  target: string | null;
}

export interface AdminApiKeysTable {
  id: string;
  name: string;
  /** SHA-256 of the key: the key itself is shown once and never stored. */
  key_hash: string;
  /** The owner or admin whose rights the key carries. */
  created_by: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface ApiCredentialsTable {
  api_key: string;
  name: string;
  auth_token_hash: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface MintKeysTable {
  kid: string;
  /** The HMAC secret (256 random bits, base64url). */
  secret: string;
  created_at: number;
  retired_at: number | null;
}

export interface DocumentsTable {
  organization_id: string;
  id: string;
  folder_id: string | null;
}

export type ResourceType = 'organization' | 'folder' | 'document';
export type AccessRole = 'viewer' | 'editor';

export interface GrantsTable {
  user_id: string;
  organization_id: string;
  resource_type: ResourceType;
  /** The organization's, folder's or document's id (for an organization, its own id). */
  resource_id: string;
  access_role: AccessRole;
  /** Milliseconds; the grant ends at that moment. */
  expires_at: number | null;
}

/** An administrator's snippet, offered by `/` in the inbox composer. */
export interface CannedRepliesTable {
  id: string;
  organization_id: string;
  title: string;
  text: string;
  created_by: string | null;
  created_at: number;
  updated_at: number;
}

/** What leaves Parley, one row per email, webhook delivery or notice (store/outbox.ts). */
export interface OutboxTable {
  seq: Generated<number>;
  id: string;
  kind: string;
  target: string | null;
  ordering_key: string | null;
  payload: string;
  status: 'pending' | 'sending' | 'done' | 'failed';
  attempts: Generated<number>;
  next_attempt_at: number;
  locked_until: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  done_at: number | null;
}

export interface OutboxAttemptsTable {
  id: Generated<number>;
  outbox_seq: number;
  attempt: number;
  at: number;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
}

export interface WebhookEndpointsTable {
  id: string;
  organization_id: string;
  url: string;
  description: string | null;
  /** JSON array of event types. */
  events: string;
  enabled: Generated<number>;
  secret: string;
  failing_since: number | null;
  disabled_reason: string | null;
  created_at: number;
  updated_at: number;
}

export interface EmailSignInsTable {
  id: string;
  email_normalized: string;
  /** The address as typed (migration 0013; null in rows from before it). */
  email: string | null;
  code_hash: string;
  link_hash: string;
  attempts: Generated<number>;
  return_to: string | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

/** A notification email's one-time link (store/email-links.ts): the SHA-256 of its token. */
export interface EmailLinksTable {
  id: string;
  user_id: string;
  conversation_id: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export interface Database {
  email_links: EmailLinksTable;
  outbox: OutboxTable;
  outbox_attempts: OutboxAttemptsTable;
  webhook_endpoints: WebhookEndpointsTable;
  email_sign_ins: EmailSignInsTable;
  canned_replies: CannedRepliesTable;
  api_credentials: ApiCredentialsTable;
  mint_keys: MintKeysTable;
  documents: DocumentsTable;
  grants: GrantsTable;
  admin_api_keys: AdminApiKeysTable;
  settings: SettingsTable;
  admin_links: AdminLinksTable;
  audit_log: AuditLogTable;
  used_jtis: UsedJtisTable;
  organizations: OrganizationsTable;
  users: UsersTable;
  auth_keys: AuthKeysTable;
  revoked_sessions: RevokedSessionsTable;
  instance_secrets: InstanceSecretsTable;
  conversations: ConversationsTable;
  participants: ParticipantsTable;
  messages: MessagesTable;
  read_markers: ReadMarkersTable;
  events: EventsTable;
  events_pruned: EventsPrunedTable;
  attachments: AttachmentsTable;
  blob_chunks: BlobChunksTable;
  assistants: AssistantsTable;
  assistant_replies: AssistantRepliesTable;
  assistant_usage: AssistantUsageTable;
}
