/**
 * The widget's sign-in: exchanges the externalAuthCode for a bearer session (kept in memory only), telling
 * the server the page it was opened on, and when the session or the code has expired asks the integrator's
 * `authProvider.generateToken()` for a fresh code: one call at a time, with backoff between failures, giving
 * up after a limit, and never after logout.
 */
import type { User } from '#shared/api.js';
import { ApiError, readResponse } from '../api/client.js';

export interface AuthProvider {
  generateToken(): Promise<string> | string;
}

/**
 * Why a `token_expired` ended the session for good: the code given was already expired (`first_code`), a
 * session ended with no auth provider to renew it (`session_ended`), or the provider failed every attempt.
 */
export type SessionEndReason = 'first_code' | 'session_ended' | 'gave_up';

export type SessionState =
  | { status: 'idle' }
  | { status: 'signing-in' }
  | { status: 'signed-in'; user: User; token: string; fileToken?: string }
  | { status: 'error'; code: string; message: string; retrying: boolean; reason?: SessionEndReason }
  | { status: 'signed-out' };

export interface SessionOptions {
  baseUrl: string;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Called with `{code, message}` for every failure the integrator should hear about. */
  onError?: (error: { code: string; message: string }) => void;
  maxRefreshAttempts?: number;
}

export class ExchangeError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const REFRESH_BASE_DELAY_MS = 1000;
/** Failures that say nothing about the code itself: the same code is tried again. */
const TRANSIENT = ['network_error', 'database_unavailable', 'internal_error'];

/**
 * The page the widget was opened on, for the team's inbox: its origin and path, never its query or fragment
 * (they may hold tokens), at most PAGE_MAX_CHARS; nothing outside a browser.
 */
export const pageOf = (): { page?: string } => (typeof location === 'undefined' ? {} : { page: (location.origin + location.pathname).slice(0, PAGE_MAX_CHARS) });
export const PAGE_MAX_CHARS = 300;

export function createSession(options: SessionOptions) {
  const fetchImpl = options.fetch ?? fetch.bind(globalThis);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const maxAttempts = options.maxRefreshAttempts ?? 5;
  let state: SessionState = { status: 'idle' };
  let provider: AuthProvider | null = null;
  let refreshing: Promise<boolean> | null = null;
  let generation = 0; // bumped by logout: late answers from before it are ignored
  const listeners = new Set<(s: SessionState) => void>();

  const set = (next: SessionState) => {
    state = next;
    for (const l of listeners) l(state);
  };

  async function exchange(code: string): Promise<{ token: string; fileToken?: string; user: User }> {
    let response: Response;
    try {
      response = await fetchImpl(`${options.baseUrl}/api/v1/auth/exchange`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ externalAuthCode: code, ...pageOf() }),
        credentials: 'omit',
        cache: 'no-store',
      });
    } catch {
      throw new ExchangeError('network_error', 'Parley could not be reached.');
    }
    let body: unknown;
    try {
      body = await readResponse(response);
    } catch (error) {
      throw error instanceof ApiError ? new ExchangeError(error.code, error.message) : error;
    }
    const ok = body as { session: { token: string; fileToken?: string }; user: User };
    return { token: ok.session.token, user: ok.user, ...(ok.session.fileToken ? { fileToken: ok.session.fileToken } : {}) };
  }

  function fail(error: ExchangeError, retrying: boolean, report = true, reason?: SessionEndReason) {
    if (report) options.onError?.({ code: error.code, message: error.message });
    set({ status: 'error', code: error.code, message: error.message, retrying, ...(reason ? { reason } : {}) });
  }

  /** Exchanges a code and, unless a newer sign-in has started since `mine`, becomes signed in with it. */
  async function exchangeFor(mine: number, code: string): Promise<boolean> {
    const signedIn = await exchange(code);
    if (mine !== generation) return false;
    set({ status: 'signed-in', ...signedIn });
    return true;
  }

  /**
   * Signs in with a code; on an expired code, refreshes through the auth provider if there is one. A failure
   * no fault of the code (Parley unreachable, its database briefly down, an answer without a code) is tried
   * again with the same code, with backoff, up to the attempt limit; the integrator hears of the first
   * failure and of giving up.
   */
  async function signIn(code: string): Promise<boolean> {
    // A newer sign-in supersedes every older one still running (an answer arriving late, a refresh loop).
    const mine = ++generation;
    refreshing = null;
    set({ status: 'signing-in' });
    for (let attempt = 0; ; attempt++) {
      try {
        return await exchangeFor(mine, code);
      } catch (error) {
        if (mine !== generation) return false;
        const e = error instanceof ExchangeError ? error : new ExchangeError('internal_error', String(error));
        const again = TRANSIENT.includes(e.code) && attempt + 1 < maxAttempts;
        const canRefresh = e.code === 'token_expired' && provider !== null;
        fail(e, again || canRefresh, attempt === 0 || !again, e.code === 'token_expired' ? 'first_code' : undefined);
        if (!again) return canRefresh ? refresh() : false;
        await sleep(REFRESH_BASE_DELAY_MS * 2 ** attempt);
        if (mine !== generation) return false;
      }
    }
  }

  /** Fetches a fresh code from the provider and signs in with it: single-flight, with backoff. */
  function refresh(): Promise<boolean> {
    if (!provider) return Promise.resolve(false);
    if (refreshing) return refreshing;
    const loop: Promise<boolean> = (async () => {
      const mine = generation;
      try {
        for (let attempt = 0; attempt < maxAttempts; attempt++) {
          if (attempt > 0) await sleep(REFRESH_BASE_DELAY_MS * 2 ** (attempt - 1));
          if (mine !== generation || !provider) return false;
          let code: string;
          try {
            code = await provider.generateToken();
          } catch {
            continue;
          }
          if (mine !== generation) return false;
          if (typeof code !== 'string' || code === '') continue;
          try {
            return await exchangeFor(mine, code);
          } catch (error) {
            if (error instanceof ExchangeError && error.code !== 'token_expired' && error.code !== 'rate_limited' && !TRANSIENT.includes(error.code)) {
              fail(error, false);
              return false;
            }
          }
        }
        if (mine === generation) fail(new ExchangeError('token_expired', 'gave up refreshing the token'), false, true, 'gave_up');
        return false;
      } catch {
        return false;
      }
    })();
    refreshing = loop;
    // Only this loop clears the slot: a newer sign-in may already have started another.
    void loop.finally(() => {
      if (refreshing === loop) refreshing = null;
    });
    return loop;
  }

  return {
    get state() {
      return state;
    },
    subscribe(listener: (s: SessionState) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    signIn,
    setAuthProvider(next: AuthProvider | null) {
      provider = next;
    },
    /**
     * The API said the session with `token` ended (`code`: `user_deactivated` when the account was
     * deactivated): tell the integrator, then sign in again if a provider can and the account still may.
     * A late 401 for a session already replaced is ignored.
     */
    async sessionExpired(token?: string, code?: string): Promise<boolean> {
      if (state.status === 'signed-out') return false;
      if (token !== undefined && (state.status !== 'signed-in' || state.token !== token)) return false;
      // Deactivated: no new code can help, the person is told why.
      if (code === 'user_deactivated') {
        fail(new ExchangeError(code, 'The account has been deactivated.'), false);
        return false;
      }
      const canRefresh = provider !== null;
      fail(new ExchangeError('token_expired', 'The session has expired.'), canRefresh, true, 'session_ended');
      return canRefresh ? refresh() : false;
    },
    /** No code yet (`init({authProvider})` without `data-external-auth-code`): ask the provider for the first. */
    async startFromProvider(): Promise<boolean> {
      if (!provider || state.status !== 'idle') return false;
      set({ status: 'signing-in' });
      return refresh();
    },
    /** Signed in elsewhere (email sign-in's code): becomes signed in with that session, superseding any sign-in running. */
    adopt(token: string, user: User, fileToken?: string) {
      generation++;
      refreshing = null;
      set({ status: 'signed-in', token, user, ...(fileToken ? { fileToken } : {}) });
    },
    async logout(): Promise<void> {
      generation++;
      refreshing = null;
      const token = state.status === 'signed-in' ? state.token : null;
      set({ status: 'signed-out' });
      if (token) {
        await fetchImpl(`${options.baseUrl}/api/v1/auth/logout`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, credentials: 'omit' }).catch(() => undefined);
      }
    },
  };
}

export type Session = ReturnType<typeof createSession>;
