/**
 * The admin panel's client for docs/admin-api.md: same-origin, authenticated by the panel's session cookie
 * (cookie-authenticated writes carry the page's own Origin, which the browser adds). Every failure is an
 * `ApiError` with the server's code; a lost session (401) or a member's session (403 admin_required) is also
 * reported to `onSessionError`, so the whole panel can switch to its signed-out or admins-only state.
 */
import type { Static } from '@sinclair/typebox';
import type { Assistant, AssistantPatchBodySchema, AssistantTestSchema, AssistantUsage, CannedReply, CustomerSchema, InboxViewCounts, Profile } from '#shared/admin-api.js';
import type { Attachment, Conversation, Message, MeResponse, MessagePage, User } from '#shared/api.js';
import type { WebhookDelivery, WebhookEndpoint } from '#shared/webhooks-api.js';
import { ApiError, endsSession, readResponse } from '../api/client.js';
import { uploadFile } from '../chat/upload.js';

export type Role = User['role'];

export interface Overview {
  seats: { used: number; limit: number };
  last24h: { accountsCreated: number; signIns: Record<string, number> };
}

export type SettingName = 'seatLimit' | 'allowedOrigins' | 'tokenMaxLifetime' | 'externalAuthEnabled' | 'signInMethods' | 'emailSignInDomains' | 'smtpUrl' | 'mailFrom';
export interface Setting {
  name: SettingName;
  variable: string | null;
  value: unknown;
  locked: boolean;
}
export interface SettingsPatch {
  seatLimit?: number;
  allowedOrigins?: string[] | null;
  tokenMaxLifetime?: string;
  externalAuthEnabled?: boolean;
  signInMethods?: string[];
  emailSignInDomains?: string[] | null;
  /** Write-only: it reads back with the password hidden (`smtp://user:••••@host:587`). */
  smtpUrl?: string | null;
  mailFrom?: string | null;
}
/** `GET`/`PATCH /api/v1/admin/settings` whole: the settings, and whether email can be sent (an SMTP server is set). */
export interface SettingsBody {
  settings: Setting[];
  /** Absent from servers before email. */
  email?: { enabled: boolean };
}

export interface SigningKey {
  kid: string;
  alg: string;
  source: 'environment' | 'database';
  createdAt: string;
  lastUsedAt: string | null;
  retiredAt: string | null;
}
export interface KeyList {
  enabled: boolean;
  keys: SigningKey[];
}
export type ExampleLanguage = 'node' | 'python' | 'php' | 'go';

export type CreatedVia = 'external_token' | 'owner_link' | 'admin' | 'api' | 'email';
export interface AdminUser extends User {
  active: boolean;
  createdVia: CreatedVia;
  lastSeenAt: string | null;
}
export interface UserPage {
  users: AdminUser[];
  nextCursor: string | null;
  total: number;
}
export interface NewUser {
  name?: string;
  email?: string;
  externalId?: string;
  role?: 'member' | 'admin';
}

export interface InboxConversation extends Conversation {
  unanswered: boolean;
  /** `agent` and `lastReadMessageId` as the server answers them; a participant added live has neither yet. */
  participants: { id: string; name: string | null; agent?: boolean; lastReadMessageId?: string | null }[];
}
/** `GET /api/v1/admin/inbox/counts`. */
export interface InboxCounts {
  waiting: number;
}

export interface InboxPage {
  conversations: InboxConversation[];
  nextCursor: string | null;
  /** How many conversations each view holds (absent from servers before views). */
  counts?: InboxViewCounts;
}
export type { CannedReply, InboxViewCounts, Profile };
export type Customer = Static<typeof CustomerSchema>;

/** `GET /api/v1/admin/conversations`: a view (status and assignee), or a search with `q`. */
export type InboxQuery = {
  status?: 'open' | 'resolved' | 'snoozed' | 'all';
  assignee?: string;
  q?: string;
  cursor?: string;
  limit?: number;
};
/** `PATCH /api/v1/admin/conversations/:id`. */
export interface ConversationPatch {
  title?: string;
  status?: Conversation['status'];
  snoozedUntil?: string;
  assigneeId?: string | null;
}
export interface ProfilePatch {
  name?: string;
  avatarUrl?: string | null;
  sound?: boolean;
  agentEmails?: boolean;
}

/** An AI assistant as `/api/v1/admin/assistants` answers it (docs/admin-api.md): never its API key, only `apiKeyHint`. */
export type { Assistant, AssistantUsage };
export type AssistantAnswers = Assistant['answers'];
/** Per UTC day, per user and per organization; null is unlimited. */
export type AssistantLimits = Assistant['limits'];
/** `POST`/`PATCH /api/v1/admin/assistants`: `apiKey` is write-only, and in a PATCH it replaces the key. */
export type AssistantInput = Static<typeof AssistantPatchBodySchema>;
/** `POST /api/v1/admin/assistants/:id/test`: the provider's reply to a test message, and how long its first token took. */
export type AssistantTestResult = Static<typeof AssistantTestSchema>;
export type { WebhookDelivery, WebhookEndpoint };
/** `POST`/`PATCH /api/v1/admin/webhooks`. */
export interface WebhookInput {
  url?: string;
  description?: string | null;
  events?: string[];
  enabled?: boolean;
}
export interface DeliveryPage {
  deliveries: WebhookDelivery[];
  nextCursor: string | null;
}

export type AuditKind = 'admin' | 'sign_in';
export interface AuditEntry {
  id: string;
  at: string;
  kind: AuditKind;
  action: string;
  actor: { id: string | null; label: string };
  outcome: string;
  origin: string | null;
  ip: string | null;
  target: string | null;
}
export interface AuditPage {
  entries: AuditEntry[];
  nextCursor: string | null;
}

/** An admin API key (`X-API-KEY`); the key itself is only in the answer that creates it. */
export interface AdminApiKey {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  /** `label` is null when the account that created it no longer exists. */
  createdBy: { id: string; label: string | null };
}
export interface CreatedApiKey {
  apiKey: AdminApiKey;
  key: string;
}

/**
 * A token API credential (docs/token-api.md, Credentials): integrators send `apiKey` as `x-api-key` and the
 * auth token as `x-auth-token` to mint user tokens; the auth token is only in the answer that creates it.
 */
export interface TokenApiCredential {
  apiKey: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}
export interface CreatedTokenApiCredential {
  credential: TokenApiCredential;
  apiKey: string;
  authToken: string;
}

export interface AdminApi {
  me(): Promise<MeResponse>;
  logout(): Promise<void>;
  overview(): Promise<Overview>;
  settings(): Promise<Setting[]>;
  updateSettings(patch: SettingsPatch): Promise<Setting[]>;
  /** The settings with `email.enabled`, read or changed. */
  settingsBody(patch?: SettingsPatch): Promise<SettingsBody>;
  /** A test email to the caller's own address; answers that address. */
  sendTestEmail(): Promise<string>;
  webhooks(): Promise<WebhookEndpoint[]>;
  /** The endpoint, and its signing secret (`whsec_…`), which is shown only here. */
  createWebhook(input: WebhookInput): Promise<{ endpoint: WebhookEndpoint; secret: string }>;
  updateWebhook(id: string, patch: WebhookInput): Promise<WebhookEndpoint>;
  deleteWebhook(id: string): Promise<void>;
  rotateWebhookSecret(id: string): Promise<string>;
  webhookDeliveries(id: string, cursor?: string): Promise<DeliveryPage>;
  resendDelivery(id: string, deliveryId: string): Promise<WebhookDelivery>;
  keys(): Promise<KeyList>;
  createKey(): Promise<{ kid: string; secret: string }>;
  retireKey(kid: string): Promise<SigningKey>;
  keyExamples(kid: string): Promise<Record<ExampleLanguage, string>>;
  users(query: { q?: string; cursor?: string; limit?: number }): Promise<UserPage>;
  createUser(body: NewUser): Promise<AdminUser>;
  deactivateUser(id: string): Promise<AdminUser>;
  reactivateUser(id: string): Promise<AdminUser>;
  setRole(id: string, role: Role): Promise<AdminUser>;
  deleteUser(id: string): Promise<void>;
  conversations(query: InboxQuery): Promise<InboxPage>;
  messages(conversationId: string, query: { before?: string; limit?: number }): Promise<MessagePage>;
  /** An answer to the conversation's users, or with `internal` a note only administrators see. */
  reply(conversationId: string, text: string, clientMessageId: string, internal?: boolean, attachmentIds?: string[]): Promise<Message>;
  /** Uploads a file for the next message in the conversation (docs/attachments.md); optional for test fakes. */
  upload?(conversationId: string, file: File, onProgress: (fraction: number) => void, signal?: AbortSignal): Promise<Attachment>;
  editMessage(conversationId: string, messageId: string, text: string): Promise<Message>;
  deleteMessage(conversationId: string, messageId: string): Promise<void>;
  /** Tells the conversation's users that an administrator is typing (send at most every TYPING_SEND_INTERVAL_MS). */
  typing(conversationId: string): Promise<void>;
  markRead(conversationId: string, messageId: string): Promise<void>;
  updateConversation(conversationId: string, patch: ConversationPatch): Promise<InboxConversation>;
  customer(conversationId: string): Promise<Customer | null>;
  profile(): Promise<Profile>;
  updateProfile(patch: ProfilePatch): Promise<Profile>;
  cannedReplies(q?: string): Promise<CannedReply[]>;
  createCannedReply(body: { title: string; text: string }): Promise<CannedReply>;
  updateCannedReply(id: string, body: { title?: string; text?: string }): Promise<CannedReply>;
  deleteCannedReply(id: string): Promise<void>;
  /** How many conversations wait for an answer (their last message is not an administrator's). */
  inboxCounts(): Promise<InboxCounts>;
  /** Renames a conversation (1 to 200 characters after trimming); answers it as the inbox shows it. */
  renameConversation(conversationId: string, title: string): Promise<InboxConversation>;
  /** Stops the assistant's reply in progress (stored with its text so far); nothing in progress is no error. */
  stopAssistant(conversationId: string): Promise<void>;
  /** The team takes the conversation over: its assistant answers there no more (docs/assistant.md). */
  takeOver(conversationId: string): Promise<Conversation>;
  audit(query: { kind?: AuditKind | ''; cursor?: string; limit?: number }): Promise<AuditPage>;
  apiKeys(): Promise<AdminApiKey[]>;
  createApiKey(name: string): Promise<CreatedApiKey>;
  revokeApiKey(id: string): Promise<AdminApiKey>;
  apiCredentials(): Promise<TokenApiCredential[]>;
  createApiCredential(name: string): Promise<CreatedTokenApiCredential>;
  revokeApiCredential(apiKey: string): Promise<TokenApiCredential>;
  assistants(): Promise<Assistant[]>;
  createAssistant(input: AssistantInput): Promise<Assistant>;
  updateAssistant(id: string, patch: AssistantInput): Promise<Assistant>;
  deleteAssistant(id: string): Promise<void>;
  /** Usage on one UTC day (`YYYY-MM-DD`; the server's today without one). */
  assistantUsage(id: string, day?: string): Promise<AssistantUsage>;
  /** Sends a test message to the provider; a provider failure is `assistant_unavailable`. */
  testAssistant(id: string): Promise<AssistantTestResult>;
}

/** `?a=1&b=x` from the defined, non-empty values only. */
function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== '') search.set(name, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** True when an error means the panel cannot be used with this session at all. */
export function isSessionError(error: unknown): error is ApiError {
  // `user_not_found` is a 401 sign-in outcome; servers before `account_not_found` also answered an unknown
  // user id with it, which is no reason to sign the panel out.
  return (endsSession(error) && error.code !== 'user_not_found') || (error instanceof ApiError && error.code === 'admin_required');
}

export function createAdminApi(onSessionError: (error: ApiError) => void = () => {}): AdminApi {
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Response;
    try {
      // Looked up per call (not bound once), so tests can stub the global.
      response = await fetch(path, {
        method,
        credentials: 'same-origin',
        headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch {
      throw new ApiError(0, 'network_error', 'Parley could not be reached.');
    }
    try {
      return (await readResponse(response)) as T;
    } catch (error) {
      if (isSessionError(error)) onSessionError(error);
      throw error;
    }
  }
  const enc = encodeURIComponent;
  const admin = '/api/v1/admin';
  const user = async (method: string, path: string, body?: unknown) => (await call<{ user: AdminUser }>(method, path, body)).user;
  const settings = async (method: string, body?: unknown) => (await call<{ settings: Setting[] }>(method, `${admin}/settings`, body)).settings;

  return {
    me: () => call('GET', '/api/v1/me'),
    logout: () => call('POST', '/api/v1/auth/logout'),
    overview: () => call('GET', `${admin}/overview`),
    settings: () => settings('GET'),
    updateSettings: (patch) => settings('PATCH', patch),
    settingsBody: (patch) => call(patch ? 'PATCH' : 'GET', `${admin}/settings`, patch),
    sendTestEmail: async () => (await call<{ to: string }>('POST', `${admin}/settings/test-email`)).to,
    webhooks: async () => (await call<{ endpoints: WebhookEndpoint[] }>('GET', `${admin}/webhooks`)).endpoints,
    createWebhook: (input) => call('POST', `${admin}/webhooks`, input),
    updateWebhook: async (id, patch) => (await call<{ endpoint: WebhookEndpoint }>('PATCH', `${admin}/webhooks/${enc(id)}`, patch)).endpoint,
    deleteWebhook: (id) => call('DELETE', `${admin}/webhooks/${enc(id)}`),
    rotateWebhookSecret: async (id) => (await call<{ secret: string }>('POST', `${admin}/webhooks/${enc(id)}/rotate-secret`)).secret,
    webhookDeliveries: (id, cursor) => call('GET', `${admin}/webhooks/${enc(id)}/deliveries${query({ cursor })}`),
    resendDelivery: async (id, deliveryId) => (await call<{ delivery: WebhookDelivery }>('POST', `${admin}/webhooks/${enc(id)}/deliveries/${enc(deliveryId)}/resend`)).delivery,
    keys: () => call('GET', `${admin}/keys`),
    createKey: () => call('POST', `${admin}/keys`),
    retireKey: async (kid) => (await call<{ key: SigningKey }>('POST', `${admin}/keys/${enc(kid)}/retire`)).key,
    keyExamples: async (kid) => (await call<{ examples: Record<ExampleLanguage, string> }>('GET', `${admin}/keys/${enc(kid)}/examples`)).examples,
    users: (q) => call('GET', `${admin}/users${query(q)}`),
    createUser: (body) => user('POST', `${admin}/users`, body),
    deactivateUser: (id) => user('POST', `${admin}/users/${enc(id)}/deactivate`),
    reactivateUser: (id) => user('POST', `${admin}/users/${enc(id)}/reactivate`),
    setRole: (id, role) => user('PATCH', `${admin}/users/${enc(id)}`, { role }),
    deleteUser: (id) => call('DELETE', `${admin}/users/${enc(id)}`),
    conversations: (q) => call('GET', `${admin}/conversations${query(q)}`),
    messages: (id, q) => call('GET', `${admin}/conversations/${enc(id)}/messages${query(q)}`),
    reply: async (id, text, clientMessageId, internal = false, attachmentIds = []) =>
      (await call<{ message: Message }>('POST', `${admin}/conversations/${enc(id)}/messages`, { text, clientMessageId, ...(internal ? { internal } : {}), ...(attachmentIds.length ? { attachmentIds } : {}) })).message,
    upload: (id, file, onProgress, signal) => uploadFile(`/api/v1/conversations/${enc(id)}/attachments`, undefined, file, onProgress, signal),
    editMessage: async (id, messageId, text) => (await call<{ message: Message }>('PATCH', `${admin}/conversations/${enc(id)}/messages/${enc(messageId)}`, { text })).message,
    deleteMessage: (id, messageId) => call('DELETE', `${admin}/conversations/${enc(id)}/messages/${enc(messageId)}`),
    typing: (id) => call('POST', `${admin}/conversations/${enc(id)}/typing`),
    markRead: async (id, messageId) => void (await call('POST', `${admin}/conversations/${enc(id)}/read`, { messageId })),
    updateConversation: async (id, patch) => (await call<{ conversation: InboxConversation }>('PATCH', `${admin}/conversations/${enc(id)}`, patch)).conversation,
    customer: async (id) => (await call<{ customer: Customer | null }>('GET', `${admin}/conversations/${enc(id)}/customer`)).customer,
    profile: async () => (await call<{ profile: Profile }>('GET', `${admin}/profile`)).profile,
    updateProfile: async (patch) => (await call<{ profile: Profile }>('PATCH', `${admin}/profile`, patch)).profile,
    cannedReplies: async (q) => (await call<{ cannedReplies: CannedReply[] }>('GET', `${admin}/canned-replies${query({ q })}`)).cannedReplies,
    createCannedReply: async (body) => (await call<{ cannedReply: CannedReply }>('POST', `${admin}/canned-replies`, body)).cannedReply,
    updateCannedReply: async (id, body) => (await call<{ cannedReply: CannedReply }>('PATCH', `${admin}/canned-replies/${enc(id)}`, body)).cannedReply,
    deleteCannedReply: (id) => call('DELETE', `${admin}/canned-replies/${enc(id)}`),
    inboxCounts: () => call('GET', `${admin}/inbox/counts`),
    renameConversation: async (id, title) => (await call<{ conversation: InboxConversation }>('PATCH', `${admin}/conversations/${enc(id)}`, { title })).conversation,
    // The user's route: an administrator of the conversation's organization may stop its reply too.
    stopAssistant: async (id) => void (await call('POST', `/api/v1/conversations/${enc(id)}/assistant/stop`)),
    takeOver: async (id) => (await call<{ conversation: Conversation }>('POST', `${admin}/conversations/${enc(id)}/take-over`)).conversation,
    audit: (q) => call('GET', `${admin}/audit${query(q)}`),
    apiKeys: async () => (await call<{ apiKeys: AdminApiKey[] }>('GET', `${admin}/api-keys`)).apiKeys,
    createApiKey: (name) => call('POST', `${admin}/api-keys`, { name }),
    revokeApiKey: async (id) => (await call<{ apiKey: AdminApiKey }>('POST', `${admin}/api-keys/${enc(id)}/revoke`)).apiKey,
    apiCredentials: async () => (await call<{ credentials: TokenApiCredential[] }>('GET', `${admin}/api-credentials`)).credentials,
    createApiCredential: (name) => call('POST', `${admin}/api-credentials`, { name }),
    revokeApiCredential: async (apiKey) =>
      (await call<{ credential: TokenApiCredential }>('POST', `${admin}/api-credentials/${enc(apiKey)}/revoke`)).credential,
    assistants: async () => (await call<{ assistants: Assistant[] }>('GET', `${admin}/assistants`)).assistants,
    createAssistant: async (input) => (await call<{ assistant: Assistant }>('POST', `${admin}/assistants`, input)).assistant,
    updateAssistant: async (id, patch) => (await call<{ assistant: Assistant }>('PATCH', `${admin}/assistants/${enc(id)}`, patch)).assistant,
    deleteAssistant: (id) => call('DELETE', `${admin}/assistants/${enc(id)}`),
    assistantUsage: (id, day) => call('GET', `${admin}/assistants/${enc(id)}/usage${query({ day })}`),
    testAssistant: (id) => call('POST', `${admin}/assistants/${enc(id)}/test`),
  };
}
