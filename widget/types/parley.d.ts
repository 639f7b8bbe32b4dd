/**
 * Type declarations for `window.Parley`, the JS API of widget.js (README.md, JS API). Reference this file (or
 * copy it) in an integrating app: `/// <reference path="parley.d.ts" />`.
 */

export type ParleyEventName = 'ready' | 'open' | 'close' | 'message' | 'unread' | 'error';

export interface ParleyError {
  /** A stable code: token_expired, seat_limit_reached, origin_not_allowed, identity_mismatch, document_not_found, … */
  code: string;
  message: string;
}

export interface ParleyMessage {
  id: string;
  conversationId: string;
  /** `agent`: written by the team (an owner or admin), whose `name` and `avatarUrl` are those of their profile. */
  author: { type: 'user' | 'assistant' | 'system'; id: string | null; name: string | null; avatarUrl: string | null; agent: boolean };
  /** Empty once deleted. */
  text: string;
  clientMessageId: string | null;
  createdAt: string;
  /** Always false here: internal notes never reach users. */
  internal: boolean;
  editedAt: string | null;
  deletedAt: string | null;
  /** Its files; an image's `width` and `height` are known before it loads. `url` is relative to Parley's URL. */
  attachments: ParleyAttachment[];
}

export interface ParleyAttachment {
  id: string;
  name: string;
  /** The media type its content was recognised as. */
  type: string;
  size: number;
  width: number | null;
  height: number | null;
  url: string;
}

export interface ParleyEventPayloads {
  ready: undefined;
  open: undefined;
  close: undefined;
  message: ParleyMessage;
  unread: { count: number };
  error: ParleyError;
}

export interface ParleyUser {
  userId: string;
  /** Display only: never changes identity, email or role. */
  name?: string;
  email?: string;
  organizationId?: string;
  photoUrl?: string;
}

export interface ParleyAuthProvider {
  /** Returns a fresh externalAuthCode; called one at a time, with backoff, never after logout(). */
  generateToken(): Promise<string> | string;
}

export interface ParleySubscribable<T> {
  subscribe(callback: (payload: T) => void): { unsubscribe(): void };
}

export interface ParleyApi {
  identify(user: ParleyUser, options?: { authToken?: string }): void;
  open(): void;
  close(): void;
  toggle(): void;
  logout(): void;
  /**
   * Shows the shared conversation of a document (as `data-document-id` does): readable by the user's viewer
   * grants, writable by editor grants, created by an editor's first visit. `null` goes back to the user's
   * conversations.
   */
  setDocument(documentId: string | null): void;
  /** Calls `callback` at each event; answers a function that stops it. */
  on<E extends ParleyEventName>(event: E, callback: (payload: ParleyEventPayloads[E]) => void): () => void;
  /** Velt's shape: `Parley.on('error').subscribe(cb)` answers `{ unsubscribe() }`. */
  on<E extends ParleyEventName>(event: E): ParleySubscribable<ParleyEventPayloads[E]>;
  init(options: { authProvider?: ParleyAuthProvider }): void;
}

declare global {
  interface Window {
    Parley: ParleyApi;
  }
}
