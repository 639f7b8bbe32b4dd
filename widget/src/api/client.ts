/**
 * The browser's client for Parley's API. The hosted page authenticates with its HttpOnly cookie; the widget
 * (later) with a bearer token kept in memory. Every failure becomes an `ApiError` carrying the server's
 * stable code, or `network_error` when no answer arrived.
 */
import type { Attachment, ConversationList, Conversation, DocumentRoom, MarkReadResponse, MeResponse, Message, MessagePage, Presence } from '#shared/api.js';

/** `fileToken` (the exchange's): what an <img> carries instead of the bearer header. */
export type Auth = { kind: 'cookie' } | { kind: 'bearer'; token: string; fileToken?: string };

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The JSON body of a successful response (undefined for 204), or the server's coded error as an ApiError. */
export async function readResponse(response: Response): Promise<unknown> {
  if (response.status === 204) return undefined;
  let json: unknown;
  try {
    json = await response.json();
  } catch {
    json = undefined;
  }
  if (response.ok) return json;
  const error = (json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  throw new ApiError(
    response.status,
    typeof error?.code === 'string' ? error.code : 'internal_error',
    typeof error?.message === 'string' ? error.message : `HTTP ${response.status}`,
  );
}

/** What `createConversation` sends: an optional title and an optional first message. */
export interface NewConversation {
  title?: string;
  message?: { text: string; clientMessageId: string };
}

/** Whether an error means this session is over for good: a 401, or the 403 of an account deactivated meanwhile. */
export const endsSession = (error: unknown): error is ApiError => error instanceof ApiError && (error.status === 401 || error.code === 'user_deactivated');

/** The `error.code` a failed response's body names, if any (read from a clone: the response stays unread). */
export function errorCodeOf(response: Response): Promise<string | undefined> {
  return response
    .clone()
    .json()
    .then(
      (body: { error?: { code?: unknown } } | null) => (typeof body?.error?.code === 'string' ? body.error.code : undefined),
      () => undefined,
    );
}

export interface ApiClient {
  me(): Promise<MeResponse>;
  listConversations(cursor?: string): Promise<ConversationList>;
  /**
   * Starts a conversation. With `message`, the conversation and its first message are created together (a
   * retry with the same clientMessageId answers the same conversation); without a title it takes the
   * message's. With neither, an empty untitled conversation.
   */
  createConversation(body?: NewConversation): Promise<Conversation>;
  /**
   * Moves the user's read marker forward to `messageId` (never back); answers what is still unread.
   * Optional, like `openDocument`, so that test fakes without read state still type-check.
   */
  markRead?(conversationId: string, messageId: string): Promise<MarkReadResponse>;
  listMessages(conversationId: string, before?: string): Promise<MessagePage>;
  postMessage(conversationId: string, text: string, clientMessageId: string, attachmentIds?: string[]): Promise<Message>;
  /**
   * Uploads a file for my next message in the conversation, telling its progress (0–1); the upload code
   * loads on first use. Optional, like `markRead`.
   */
  upload?(conversationId: string, file: File, onProgress: (fraction: number) => void, signal?: AbortSignal): Promise<Attachment>;
  /** The attaching code (chat/upload.ts), loaded on first use. */
  uploads?(): Promise<typeof import('../chat/upload.js')>;
  /** "Talk to a person": hands the conversation to the team (docs/assistant.md). Optional, like `markRead`. */
  handoff?(conversationId: string): Promise<Conversation>;
  /** Stops the assistant's reply in progress there. */
  stopReply?(conversationId: string): Promise<void>;
  /** Where an attachment is read from (for the widget, with its session's file token). */
  fileUrl?(attachment: Attachment): string;
  /**
   * A document's shared room and the user's access to it (the room is created by an editor's first open).
   * Optional so that clients without document rooms (test fakes) still type-check.
   */
  openDocument?(documentId: string): Promise<DocumentRoom>;
  /**
   * Tells the conversation's other participants that the user is typing (the caller sends it at most every
   * TYPING_SEND_INTERVAL_MS). This and the three below are optional like `markRead`.
   */
  typing?(conversationId: string): Promise<void>;
  /** Changes the text of my own message (`403 message_locked` once MESSAGE_EDIT_WINDOW_MS has passed). */
  editMessage?(conversationId: string, messageId: string, text: string): Promise<Message>;
  /** Deletes my own message, within the same window. */
  deleteMessage?(conversationId: string, messageId: string): Promise<void>;
  /** Whether someone of the team is online. */
  presence?(): Promise<Presence>;
  logout(): Promise<void>;
}

export function createApiClient(baseUrl: string, auth: () => Auth, fetchImpl: typeof fetch = fetch.bind(globalThis)): ApiClient {
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const current = auth();
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (current.kind === 'bearer') headers['authorization'] = `Bearer ${current.token}`;
    let response: Response;
    try {
      response = await fetchImpl(baseUrl + path, {
        method,
        headers,
        credentials: current.kind === 'cookie' ? 'same-origin' : 'omit',
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch {
      throw new ApiError(0, 'network_error', 'Parley could not be reached.');
    }
    return (await readResponse(response)) as T;
  }

  const enc = encodeURIComponent;
  let uploads: Promise<typeof import('../chat/upload.js')> | undefined;
  const load = () => (uploads ??= import(/* @vite-ignore */ baseUrl + (typeof __PARLEY_UPLOAD__ === 'string' ? __PARLEY_UPLOAD__ : '/assets/upload.js')));
  return {
    me: () => call('GET', '/api/v1/me'),
    listConversations: (cursor) => call('GET', `/api/v1/conversations${cursor ? `?cursor=${enc(cursor)}` : ''}`),
    createConversation: async (body = {}) =>
      (
        await call<{ conversation: Conversation }>('POST', '/api/v1/conversations', {
          ...(body.title ? { title: body.title } : {}),
          ...(body.message ? { message: { text: body.message.text, clientMessageId: body.message.clientMessageId } } : {}),
        })
      ).conversation,
    markRead: (id, messageId) => call('POST', `/api/v1/conversations/${enc(id)}/read`, { messageId }),
    listMessages: (id, before) => call('GET', `/api/v1/conversations/${enc(id)}/messages${before ? `?before=${enc(before)}` : ''}`),
    postMessage: async (id, text, clientMessageId, attachmentIds) =>
      (await call<{ message: Message }>('POST', `/api/v1/conversations/${enc(id)}/messages`, { text, clientMessageId, ...(attachmentIds?.length ? { attachmentIds } : {}) })).message,
    openDocument: (id) => call('POST', `/api/v1/documents/${enc(id)}/open`),
    typing: (id) => call('POST', `/api/v1/conversations/${enc(id)}/typing`),
    editMessage: async (id, messageId, text) => (await call<{ message: Message }>('PATCH', `/api/v1/conversations/${enc(id)}/messages/${enc(messageId)}`, { text })).message,
    deleteMessage: (id, messageId) => call('DELETE', `/api/v1/conversations/${enc(id)}/messages/${enc(messageId)}`),
    presence: () => call('GET', '/api/v1/presence'),
    logout: () => call('POST', '/api/v1/auth/logout'),
    handoff: async (id) => (await call<{ conversation: Conversation }>('POST', `/api/v1/conversations/${enc(id)}/handoff`)).conversation,
    stopReply: (id) => call('POST', `/api/v1/conversations/${enc(id)}/assistant/stop`),
    uploads: load,
    // Rejects with the API's `{status, code, message}` (upload.ts).
    upload: async (id, file, onProgress, signal) => (await load()).uploadFile(`${baseUrl}/api/v1/conversations/${enc(id)}/attachments`, (auth() as { token?: string }).token, file, onProgress, signal),
    fileUrl(a) {
      const current = auth();
      return baseUrl + a.url + (current.kind === 'bearer' && current.fileToken ? `?token=${current.fileToken}` : '');
    },
  };
}

/** A clientMessageId: random, so a retry of the same message reuses it and nothing else does. */
export function newClientMessageId(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return 'c_' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
