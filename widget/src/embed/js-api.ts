/**
 * `window.Parley` (README.md, JS API): the integrator's handle on the widget. Events are emitted to `on`
 * subscribers; a subscriber that throws is isolated from the others and from the widget. Calls queued by
 * the README's snippet before the bundle loaded (`Parley.q`) are replayed in order.
 */
import type { ParleyApi as PublishedApi, ParleyUser } from '../../types/parley.js';
import type { AuthProvider } from './session.js';

export type ParleyEvent = 'ready' | 'open' | 'close' | 'message' | 'unread' | 'error';
const EVENTS: ReadonlySet<string> = new Set<ParleyEvent>(['ready', 'open', 'close', 'message', 'unread', 'error']);

export type IdentifyUser = ParleyUser;
/** The API object is exactly what widget/types/parley.d.ts publishes. */
export type ParleyApi = PublishedApi;

export interface Commands {
  identify(user: IdentifyUser, authToken: string | undefined): void;
  open(): void;
  close(): void;
  toggle(): void;
  logout(): void;
  setDocument(documentId: string | null): void;
  setAuthProvider(provider: AuthProvider | null): void;
}

export function createEmitter() {
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  return {
    on(event: string, callback: (payload: unknown) => void): () => void {
      if (!EVENTS.has(event)) throw new TypeError(`Parley.on: unknown event "${event}"`);
      if (typeof callback !== 'function') throw new TypeError('Parley.on: callback must be a function');
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(callback);
      return () => void set.delete(callback);
    },
    emit(event: ParleyEvent, payload?: unknown): void {
      for (const callback of listeners.get(event) ?? []) {
        try {
          callback(payload);
        } catch (error) {
          // The host's bug must not break the widget; report it where the host will look.
          console.error('Parley: an event listener threw', error);
        }
      }
    },
  };
}

export type Emitter = ReturnType<typeof createEmitter>;

type QueuedCall = [string, ArrayLike<unknown>];

/** Builds the API object and replays the snippet's queue onto it. */
export function createParleyApi(commands: Commands, emitter: Emitter, queued: QueuedCall[] = []): ParleyApi {
  const api: ParleyApi = {
    identify: (user, options) => {
      if (!user || typeof user.userId !== 'string' || user.userId === '') throw new TypeError('Parley.identify: user.userId must be a non-empty string');
      commands.identify(user, options?.authToken);
    },
    open: () => commands.open(),
    close: () => commands.close(),
    toggle: () => commands.toggle(),
    logout: () => commands.logout(),
    setDocument: (documentId) => {
      if (documentId === null || documentId === undefined) return commands.setDocument(null);
      const id = typeof documentId === 'string' ? documentId.trim() : '';
      if (id === '' || id.length > 256) throw new TypeError('Parley.setDocument: documentId must be a non-empty string of at most 256 characters, or null');
      commands.setDocument(id);
    },
    // `on(name, cb)` answers an off function; `on(name)` answers Velt's shape, `{ subscribe(cb) }` whose
    // result has `unsubscribe()` (`client.on('error').subscribe(…)`).
    on: ((event: ParleyEvent, callback?: (payload: unknown) => void) => {
      if (callback !== undefined) return emitter.on(event, callback);
      emitter.on(event, () => undefined)(); // checks the event name now, as the two-argument form does
      return { subscribe: (cb: (payload: unknown) => void) => ({ unsubscribe: emitter.on(event, cb) }) };
    }) as ParleyApi['on'],
    init: (options) => commands.setAuthProvider(options?.authProvider ?? null),
  };
  const unsubscribes = new Map<ArrayLike<unknown>, () => void>();
  const replay = ([method, args]: QueuedCall) => {
    try {
      if (method === '_off') unsubscribes.get(args)?.();
      else if (method === 'on') unsubscribes.set(args, api.on(args[0] as ParleyEvent, args[1] as (p: unknown) => void));
      else if (method in api) (api[method as keyof ParleyApi] as (...a: unknown[]) => unknown)(...Array.from(args));
    } catch (error) {
      console.error(`Parley: queued call ${method} failed`, error);
    }
  };
  queued.forEach(replay);
  // The snippet's stubs may still be called after this (an `off()` kept from before the load): they push
  // onto the same array, which from now on runs each call at once.
  if (Array.isArray(queued)) Object.defineProperty(queued, 'push', { value: (...calls: QueuedCall[]) => (calls.forEach(replay), 0) });
  return api;
}

/** Reads the claims of a JWT without verifying it (the server verifies); null if it is not one. */
export function peekClaims(token: string): Record<string, unknown> | null {
  const part = token.split('.')[1];
  if (!part) return null;
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = Uint8Array.from(json, (c) => c.charCodeAt(0));
    const value: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/**
 * Checks `identify(user, {authToken})` (docs/token-api.md, Minted tokens): the token's user id must be
 * `user.userId`, and its organizationId and email, where the token has them, must match. Answers an error
 * code or null.
 */
export function identityMismatch(user: IdentifyUser, token: string): string | null {
  const claims = peekClaims(token);
  if (!claims) return 'token_invalid';
  const signedUser = claims['user'];
  const inner = typeof signedUser === 'object' && signedUser !== null ? (signedUser as Record<string, unknown>) : claims;
  const id = inner['id'] ?? inner['userId'];
  if (id !== user.userId) return 'identity_mismatch';
  for (const field of ['organizationId', 'email'] as const) {
    const signed = inner[field];
    const given = user[field];
    if (typeof signed === 'string' && given !== undefined && signed.toLowerCase() !== given.toLowerCase()) return 'identity_mismatch';
  }
  return null;
}
