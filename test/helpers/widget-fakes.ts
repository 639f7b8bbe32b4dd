/**
 * A fake of the network the widget talks to, for happy-dom and unit tests: a `fetch` that records every
 * request and answers from per-route handlers, JSON responses, and server-sent event streams the test
 * writes frames into (and that error out when the request's signal aborts, as a real fetch body does).
 */
import type { Message, User } from '#shared/api.js';
import { messageFixture } from './fixtures.js';

export interface RecordedRequest {
  method: string;
  url: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
  credentials: RequestCredentials | undefined;
  signal: AbortSignal | undefined;
}

export type Handler = (request: RecordedRequest) => Response | Promise<Response>;

/** A minimal Response: what the widget reads (status, ok, json(), body, clone()). */
export function jsonResponse(status: number, body?: unknown): Response {
  const text = body === undefined ? '' : JSON.stringify(body);
  return {
    status,
    ok: status >= 200 && status < 300,
    body: null,
    headers: new Headers({ 'content-type': 'application/json' }),
    json: async () => JSON.parse(text) as unknown,
    text: async () => text,
    clone: () => jsonResponse(status, body),
  } as unknown as Response;
}

/** `{"error":{"code","message"}}` with its status, as the server answers every failure. */
export const errorResponse = (status: number, code: string, message = `${code} (test)`) => jsonResponse(status, { error: { code, message } });

export interface SseStream {
  response: Response;
  /** Writes raw text (one or more frames) to the stream. */
  write(text: string): void;
  /** Writes one frame. */
  send(frame: { id?: number | string; event?: string; data?: unknown }): void;
  /** Ends the stream cleanly (the server closed it). */
  end(): void;
  /** True once the client aborted the request (or the test ended the stream). */
  readonly closed: boolean;
  request: RecordedRequest;
}

/** A `text/event-stream` answer whose frames the test writes; an aborted request errors its body. */
export function sseStream(request: RecordedRequest, status = 200): SseStream {
  const encoder = new TextEncoder();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let closed = false;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    cancel() {
      closed = true;
    },
  });
  const onAbort = () => {
    if (closed) return;
    closed = true;
    controller.error(new DOMException('The operation was aborted.', 'AbortError'));
  };
  if (request.signal?.aborted) onAbort();
  else request.signal?.addEventListener('abort', onAbort, { once: true });
  const write = (text: string) => {
    if (!closed) controller.enqueue(encoder.encode(text));
  };
  return {
    response: {
      status,
      ok: status >= 200 && status < 300,
      body,
      headers: new Headers({ 'content-type': 'text/event-stream' }),
      json: async () => {
        throw new SyntaxError('not JSON');
      },
    } as unknown as Response,
    write,
    send(frame) {
      let text = '';
      if (frame.id !== undefined) text += `id: ${frame.id}\n`;
      if (frame.event !== undefined) text += `event: ${frame.event}\n`;
      text += `data: ${typeof frame.data === 'string' ? frame.data : JSON.stringify(frame.data ?? {})}\n\n`;
      write(text);
    },
    end() {
      if (closed) return;
      closed = true;
      controller.close();
    },
    get closed() {
      return closed;
    },
    request,
  };
}

export interface FakeFetch {
  fetch: typeof fetch;
  requests: RecordedRequest[];
  /** Requests to one route ("POST /api/v1/auth/exchange"). */
  to(route: string): RecordedRequest[];
  /** Every event stream opened so far, oldest first. */
  streams: SseStream[];
  /** Resolves with the next event stream the client opens (bounded by `timeoutMs`). */
  nextStream(timeoutMs?: number): Promise<SseStream>;
  /** Sets (or replaces) the handler of a route. */
  on(route: string, handler: Handler): void;
}

/**
 * A fetch answering from `handlers` keyed by "METHOD /path"; `GET /api/v1/events` answers an `sseStream`
 * unless a handler says otherwise; anything else is a 404 `not_found`.
 */
export function createFakeFetch(handlers: Record<string, Handler> = {}): FakeFetch {
  const routes = new Map(Object.entries(handlers));
  const requests: RecordedRequest[] = [];
  const streams: SseStream[] = [];
  const waiting: ((s: SseStream) => void)[] = [];

  const fetchImpl = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries((init?.headers ?? {}) as Record<string, string>)) headers[key.toLowerCase()] = value;
    const request: RecordedRequest = {
      method: (init?.method ?? 'GET').toUpperCase(),
      url,
      path: new URL(url).pathname,
      headers,
      body: typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined,
      credentials: init?.credentials,
      signal: init?.signal ?? undefined,
    };
    requests.push(request);
    const route = `${request.method} ${request.path}`;
    const handler = routes.get(route);
    if (handler) return handler(request);
    if (route === 'GET /api/v1/events') {
      const stream = sseStream(request);
      streams.push(stream);
      waiting.splice(0).forEach((wake) => wake(stream));
      return stream.response;
    }
    return errorResponse(404, 'not_found');
  };

  return {
    fetch: fetchImpl as typeof fetch,
    requests,
    to: (route) => requests.filter((r) => `${r.method} ${r.path}` === route),
    streams,
    nextStream(timeoutMs = 2000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no event stream opened within ${timeoutMs} ms`)), timeoutMs);
        waiting.push((s) => {
          clearTimeout(timer);
          resolve(s);
        });
      });
    },
    on: (route, handler) => void routes.set(route, handler),
  };
}

/** A promise the test settles by hand. */
export function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export const TEST_USER: User = {
  id: 'usr_mia',
  externalId: 'mia',
  email: 'mia@example.com',
  name: 'Mia',
  avatarUrl: null,
  role: 'member',
  organizationId: 'default',
  createdAt: '2026-01-01T00:00:00.000Z',
};

/** The exchange's success body for `user` with session token `token`. */
export const exchangeOk = (token = 'sess-1', user: User = TEST_USER) =>
  jsonResponse(200, { session: { token, expiresAt: '2026-12-31T00:00:00.000Z' }, user });

let messageSeq = 0;
/** A message as the server presents it. */
export function testMessage(text: string, author: { id: string; name: string }, conversationId = 'cnv_1'): Message {
  messageSeq++;
  const createdAt = new Date(Date.UTC(2026, 0, 1, 12, 0, messageSeq)).toISOString();
  return messageFixture(`msg_${messageSeq}`, conversationId, text, createdAt, { type: 'user', id: author.id, name: author.name }, `c_${messageSeq}`);
}
