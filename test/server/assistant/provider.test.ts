/**
 * The Chat Completions client (assistant/provider.ts) on its own, against servers on 127.0.0.1: a character
 * split across chunks, the usage chunk, an `error` object in the stream, and the SSRF guard at call time (a
 * base URL on a loopback address is refused before any connection unless allowed).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ProviderError, readChunk, streamCompletion, type CompletionPiece } from '../../../server/src/assistant/provider.js';

const servers: ReturnType<typeof createServer>[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((resolve) => s.close(resolve));
});

/** A server that answers every request with `writes`, one write each. */
async function serve(writes: (string | Buffer)[]): Promise<{ url: string; hits: () => number }> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    req.resume();
    req.on('end', async () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const w of writes) await new Promise<void>((resolve) => res.write(w, () => setImmediate(resolve)));
      res.end();
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, hits: () => hits };
}

const request = (baseUrl: string, allowPrivateAddress = true) => ({ baseUrl, apiKey: 'k', model: 'm', temperature: 0, messages: [{ role: 'user' as const, content: 'hi' }], allowPrivateAddress, totalTimeoutMs: 5000 });

async function collect(pieces: AsyncIterable<CompletionPiece>): Promise<CompletionPiece[]> {
  const out: CompletionPiece[] = [];
  for await (const p of pieces) out.push(p);
  return out;
}

describe('the Chat Completions client', () => {
  it('joins a character split across chunks, and reads the usage chunk', async () => {
    const line = Buffer.from(`data: ${JSON.stringify({ choices: [{ delta: { content: 'café 👋' } }] })}\n\n`);
    const at = line.indexOf(Buffer.from('é')) + 1; // in the middle of é's two bytes
    const { url } = await serve([line.subarray(0, at), line.subarray(at), `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } })}\n\n`, 'data: [DONE]\n\n']);
    expect(await collect(streamCompletion(request(url)))).toEqual([{ delta: 'café 👋' }, { usage: { promptTokens: 5, completionTokens: 2, totalTokens: 7 } }]);
  });

  it('an error object in the stream is a failure, quoted', async () => {
    const { url } = await serve([`data: ${JSON.stringify({ error: { message: 'model overloaded' } })}\n\n`]);
    await expect(collect(streamCompletion(request(url)))).rejects.toEqual(new ProviderError('http', 'the provider answered an error: model overloaded'));
  });

  it('refuses a loopback base URL before connecting unless private addresses are allowed', async () => {
    const { url, hits } = await serve(['data: [DONE]\n\n']);
    const refused = await collect(streamCompletion(request(url, false))).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ProviderError);
    expect((refused as ProviderError).failure).toBe('refused');
    expect(hits()).toBe(0);
    // A public name that resolves to loopback is refused as well (DNS is asked once, and judged).
    const rebound = await collect(streamCompletion({ ...request('http://api.example.test/v1', false), resolve: async () => [{ address: '127.0.0.1', family: 4 }] })).catch((e: unknown) => e);
    expect((rebound as ProviderError).failure).toBe('refused');
    expect(await collect(streamCompletion(request(url, true)))).toEqual([]);
    expect(hits()).toBe(1);
  });

  it('reads chunks: content, none, or not a chunk', () => {
    expect(readChunk('{"choices":[{"delta":{"role":"assistant"}}]}')).toEqual({});
    expect(readChunk('{"choices":[{"delta":{"content":"x"}}]}')).toEqual({ delta: 'x' });
    expect(() => readChunk('[1,2]')).toThrow(new ProviderError('malformed', 'the provider sent a line that is not a chunk'));
    expect(() => readChunk('{"choices":"x"}')).toThrow(new ProviderError('malformed', 'the provider sent a chunk without choices'));
  });
});
