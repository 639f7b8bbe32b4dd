/**
 * Server-sent events read with `fetch` streaming, so the session travels in the Authorization header and
 * never in a URL. On a dropped connection (or a heartbeat that stops arriving) it reconnects with jittered
 * exponential backoff and resumes from the last event id; ids at or below the last seen are dropped, so
 * nothing is shown twice.
 */
import { errorCodeOf } from './client.js';

export interface EventStreamOptions {
  url: string;
  /** The current bearer token, read at every (re)connect. */
  token: () => string | null;
  onEvent: (type: string, data: unknown) => void;
  /** Connection state for the UI: `live` after `ready`, `reconnecting` while retrying. */
  onState?: (state: 'connecting' | 'live' | 'reconnecting') => void;
  /**
   * A 401 (the session ended) or a 403 `user_deactivated` ends the stream with the server's code: the owner
   * decides whether to sign in again.
   */
  onUnauthorized?: (code: string) => void;
  /** Resume after this id (a stream reopened for a new session must not skip what happened meanwhile). */
  initialLastEventId?: number | null;
  /** Told every id delivered, so the owner can pass it to the next stream. */
  onLastEventId?: (id: number) => void;
  /** A stream silent this long is treated as dropped (the server's heartbeat is every 15 s). */
  idleTimeoutMs?: number;
  fetch?: typeof fetch;
  random?: () => number;
}

const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 30_000;

/** The delay before reconnect attempt `n` (0-based): exponential, capped, with full jitter. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(MAX_DELAY_MS, MIN_DELAY_MS * 2 ** attempt);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Parses complete SSE blocks out of `buffer`; returns the frames and what is left over. */
export function parseSseFrames(buffer: string): { frames: { id?: string; event: string; data: string }[]; rest: string } {
  const frames: { id?: string; event: string; data: string }[] = [];
  // A trailing CR may be the first half of a CRLF split across reads: keep it for the next read.
  const held = buffer.endsWith('\r') ? '\r' : '';
  const normalized = (held ? buffer.slice(0, -1) : buffer).replace(/\r\n?/g, '\n');
  const blocks = normalized.split('\n\n');
  const rest = (blocks.pop() ?? '') + held;
  for (const block of blocks) {
    let event = 'message';
    let id: string | undefined;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'data') data.push(value);
      else if (field === 'id') id = value;
    }
    if (id !== undefined || data.length > 0) frames.push({ ...(id !== undefined ? { id } : {}), event, data: data.join('\n') });
  }
  return { frames, rest };
}

export function openEventStream(options: EventStreamOptions): () => void {
  const fetchImpl = options.fetch ?? fetch.bind(globalThis);
  const idleTimeoutMs = options.idleTimeoutMs ?? 45_000;
  let lastId: number | null = options.initialLastEventId ?? null;
  const advance = (id: number) => {
    lastId = id;
    options.onLastEventId?.(id);
  };
  let stopped = false;
  let attempt = 0;
  let controller: AbortController | null = null;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  const scheduleReconnect = () => {
    if (stopped) return;
    options.onState?.('reconnecting');
    retryTimer = setTimeout(connect, backoffDelay(attempt++, options.random));
  };

  async function connect(): Promise<void> {
    if (stopped) return;
    const token = options.token();
    if (!token) return;
    options.onState?.('connecting');
    controller = new AbortController();
    const current = controller;
    let idleTimer: ReturnType<typeof setTimeout> | undefined;
    const touch = () => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => current.abort(), idleTimeoutMs);
    };
    try {
      const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'text/event-stream' };
      if (lastId !== null) headers['last-event-id'] = String(lastId);
      touch();
      const response = await fetchImpl(options.url, { headers, signal: current.signal, cache: 'no-store' });
      if (response.status === 401 || response.status === 403) {
        clearTimeout(idleTimer);
        const code = await errorCodeOf(response);
        if (response.status === 401 || code === 'user_deactivated') {
          options.onUnauthorized?.(code ?? 'session_invalid');
          return;
        }
        throw new Error(`HTTP ${response.status}`);
      }
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        touch();
        buffer += value;
        const { frames, rest } = parseSseFrames(buffer);
        buffer = rest;
        for (const frame of frames) {
          const id = frame.id !== undefined && /^\d+$/.test(frame.id) ? Number(frame.id) : null;
          if (frame.event === 'ready') {
            attempt = 0;
            if (id !== null && (lastId === null || id > lastId)) advance(id);
            options.onState?.('live');
            continue;
          }
          if (id !== null) {
            if (lastId !== null && id <= lastId) continue;
            advance(id);
          }
          let data: unknown;
          try {
            data = JSON.parse(frame.data);
          } catch {
            continue;
          }
          options.onEvent(frame.event, data);
        }
      }
    } catch {
      // dropped, aborted by the idle timer, or refused: reconnect below unless stopped
    } finally {
      clearTimeout(idleTimer);
    }
    scheduleReconnect();
  }

  void connect();
  return () => {
    stopped = true;
    clearTimeout(retryTimer);
    controller?.abort();
  };
}
