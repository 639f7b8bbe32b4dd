/**
 * A Chat Completions server on 127.0.0.1 that speaks the streaming protocol (`data: {chunk}` lines, an
 * optional usage chunk, `data: [DONE]`) and misbehaves on demand: each request takes the next scripted
 * behaviour (the default reply once the script is used up). A step may wait on a gate the test opens, so a
 * test can hold a reply mid-stream without sleeping.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Behaviour =
  /** Streams `pieces`, each after its gate (if any) opens; `usage` as a last chunk; `[DONE]` unless `noDone`. */
  | { kind: 'reply'; pieces: string[]; usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number }; gates?: Map<number, Promise<void>>; noDone?: boolean }
  /** Answers headers, then nothing: no first token ever. */
  | { kind: 'silent' }
  /** An HTTP error with this body. */
  | { kind: 'status'; status: number; body: string }
  /** Streams `pieces`, then closes the connection mid-answer. */
  | { kind: 'cut'; pieces: string[] }
  /** Streams `pieces`, then a line that is not JSON. */
  | { kind: 'invalid'; pieces: string[] }
  /** Streams `pieces`, then an error chunk with `message` (as a provider refusing a key mid-stream). */
  | { kind: 'error'; pieces: string[]; message: string };

export interface RecordedRequest {
  path: string;
  authorization: string | undefined;
  body: { model: string; messages: { role: string; content: string }[]; stream: boolean; stream_options?: { include_usage?: boolean }; temperature: number };
}

export interface FakeProvider {
  url: string;
  /** Behaviours for the next requests, in order. */
  script: Behaviour[];
  requests: RecordedRequest[];
  /** Resolves when `n` requests have arrived. */
  requested(n: number): Promise<void>;
  close(): Promise<void>;
}

export const gate = () => {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
};

const chunk = (content: string) => `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;

export async function startFakeProvider(defaultReply: Behaviour = { kind: 'reply', pieces: ['Hello', ' there', '!'] }): Promise<FakeProvider> {
  const requests: RecordedRequest[] = [];
  const waiters = new Set<() => void>();
  const script: Behaviour[] = [];
  const open = new Set<ServerResponse>();

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw = '';
    for await (const part of req) raw += String(part);
    requests.push({ path: req.url ?? '', authorization: req.headers.authorization, body: JSON.parse(raw) as RecordedRequest['body'] });
    for (const wake of waiters) wake();
    const behaviour = script.shift() ?? defaultReply;
    if (behaviour.kind === 'status') {
      res.writeHead(behaviour.status, { 'content-type': 'application/json' }).end(behaviour.body);
      return;
    }
    open.add(res);
    res.on('close', () => open.delete(res));
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(': ok\n\n');
    if (behaviour.kind === 'silent') return;
    for (const [i, piece] of behaviour.pieces.entries()) {
      if (behaviour.kind === 'reply') await behaviour.gates?.get(i);
      if (res.destroyed) return;
      res.write(chunk(piece));
    }
    if (behaviour.kind === 'cut') {
      // Let the pieces leave before the connection goes.
      await new Promise<void>((resolve) => res.write('', () => resolve()));
      res.socket?.destroy();
      return;
    }
    if (behaviour.kind === 'invalid') {
      res.end('data: {"choices": [not json\n\n');
      return;
    }
    if (behaviour.kind === 'error') {
      res.end(`data: ${JSON.stringify({ error: { message: behaviour.message } })}\n\n`);
      return;
    }
    if (behaviour.usage) res.write(`data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', choices: [], usage: behaviour.usage })}\n\n`);
    res.end(behaviour.noDone ? undefined : 'data: [DONE]\n\n');
  }

  const server: Server = createServer((req, res) => {
    answer(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    script,
    requests,
    requested(n) {
      return new Promise((resolve) => {
        const check = () => {
          if (requests.length >= n) {
            waiters.delete(check);
            resolve();
          }
        };
        waiters.add(check);
        check();
      });
    },
    async close() {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
