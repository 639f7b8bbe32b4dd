/**
 * The OpenAI-compatible Chat Completions API, streamed (docs/assistant.md, The provider protocol):
 * `POST {baseUrl}/chat/completions` with `stream: true` and `stream_options.include_usage`, the key as
 * `Authorization: Bearer`, through the one guarded HTTP module (outbound/http.ts). The answer is server-sent
 * events: `data: {json}` lines whose `choices[0].delta.content` are the reply's pieces, perhaps a last chunk
 * with `usage`, then `data: [DONE]`. Anything else (an HTTP error, a line that is not JSON, an `error`
 * object, the body ending before `[DONE]`) is a `ProviderError`; the key is never part of its message.
 */
import { StringDecoder } from 'node:string_decoder';
import { OutboundError, outboundStream, type Resolve } from '../outbound/http.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface CompletionRequest {
  baseUrl: string;
  apiKey: string;
  model: string;
  temperature: number;
  messages: readonly ChatMessage[];
  allowPrivateAddress: boolean;
  /** The deadline of the whole exchange. */
  totalTimeoutMs: number;
  /** Ends the exchange early (a first-token deadline, a stop). */
  signal?: AbortSignal;
  resolve?: Resolve;
}

/** The completion request of an assistant's settings: where, with which key and model, on which addresses. */
export function completionOf(
  assistant: Pick<CompletionRequest, 'baseUrl' | 'apiKey' | 'model' | 'temperature' | 'allowPrivateAddress'>,
  messages: readonly ChatMessage[],
  run: { totalTimeoutMs: number; signal: AbortSignal; resolve?: Resolve | undefined },
): CompletionRequest {
  const { baseUrl, apiKey, model, temperature, allowPrivateAddress } = assistant;
  return { baseUrl, apiKey, model, temperature, messages, allowPrivateAddress, totalTimeoutMs: run.totalTimeoutMs, signal: run.signal, ...(run.resolve ? { resolve: run.resolve } : {}) };
}

/** What went wrong, for the log and for the test endpoint's message. */
export type ProviderFailure = 'refused' | 'connect' | 'http' | 'malformed' | 'cut' | 'timeout';

export class ProviderError extends Error {
  override name = 'ProviderError';
  constructor(
    readonly failure: ProviderFailure,
    message: string,
    /** The HTTP status, when the provider answered one. */
    readonly statusCode: number | null = null,
    /** Whether the request may be tried again (a 429, a 5xx, a failed connection), if nothing was streamed yet. */
    readonly retryable = false,
  ) {
    super(message);
  }
}

export interface CompletionPiece {
  delta?: string;
  usage?: { promptTokens: number; completionTokens: number; totalTokens: number };
}

/** At most this much of a streamed answer is read (a reply is at most 10,000 characters anyway). */
const MAX_STREAM_BYTES = 4 * 1024 * 1024;
/** At most this much of an error answer is quoted. */
const QUOTED_ERROR_CHARS = 300;

export const completionsUrl = (baseUrl: string) => `${baseUrl.replace(/\/+$/, '')}/chat/completions`;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Removes the key from a text that may quote the request (a provider echoing headers). */
function withoutKey(text: string, apiKey: string): string {
  return apiKey.length >= 4 ? text.split(apiKey).join('[key]') : text;
}

/** The pieces of one `data:` payload; throws `malformed` for anything that is not a chunk. */
export function readChunk(payload: string): CompletionPiece {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    throw new ProviderError('malformed', 'the provider sent a line that is not JSON');
  }
  if (!isRecord(parsed)) throw new ProviderError('malformed', 'the provider sent a line that is not a chunk');
  if (isRecord(parsed['error'])) {
    const message = typeof parsed['error']['message'] === 'string' ? parsed['error']['message'] : 'an error';
    throw new ProviderError('http', `the provider answered an error: ${message.slice(0, QUOTED_ERROR_CHARS)}`);
  }
  const piece: CompletionPiece = {};
  const choices = parsed['choices'];
  if (Array.isArray(choices) && isRecord(choices[0]) && isRecord(choices[0]['delta'])) {
    const content = choices[0]['delta']['content'];
    if (typeof content === 'string' && content !== '') piece.delta = content;
  } else if (choices !== undefined && !(Array.isArray(choices) && choices.length === 0)) {
    throw new ProviderError('malformed', 'the provider sent a chunk without choices');
  }
  const usage = parsed['usage'];
  if (isRecord(usage)) {
    const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.round(v) : 0);
    const promptTokens = n(usage['prompt_tokens']);
    const completionTokens = n(usage['completion_tokens']);
    piece.usage = { promptTokens, completionTokens, totalTokens: n(usage['total_tokens']) || promptTokens + completionTokens };
  }
  return piece;
}

/**
 * Streams one completion: yields its pieces as they arrive and returns once `[DONE]` came. Throws a
 * `ProviderError` for every way it can fail.
 */
export async function* streamCompletion(request: CompletionRequest): AsyncGenerator<CompletionPiece, void> {
  const body = JSON.stringify({
    model: request.model,
    messages: request.messages,
    temperature: request.temperature,
    stream: true,
    stream_options: { include_usage: true },
  });
  let response;
  try {
    response = await outboundStream(
      {
        url: completionsUrl(request.baseUrl),
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${request.apiKey}`, 'user-agent': 'Parley-Assistant/1' },
        body,
      },
      {
        schemes: ['http:', 'https:'],
        allowPrivate: request.allowPrivateAddress,
        timeoutMs: request.totalTimeoutMs,
        maxBodyBytes: MAX_STREAM_BYTES,
        ...(request.signal ? { signal: request.signal } : {}),
        ...(request.resolve ? { resolve: request.resolve } : {}),
      },
    );
  } catch (error) {
    if (!(error instanceof OutboundError)) throw error;
    if (error.reason === 'private_address' || error.reason === 'bad_url' || error.reason === 'scheme' || error.reason === 'credentials') throw new ProviderError('refused', `the base URL was refused: ${error.message}`);
    if (error.reason === 'timeout') throw new ProviderError('timeout', 'the provider did not answer in time');
    throw new ProviderError('connect', `the provider could not be reached: ${withoutKey(error.message, request.apiKey)}`, null, error.reason === 'network' && !request.signal?.aborted);
  }
  if (response.statusCode < 200 || response.statusCode >= 300) {
    let text = '';
    try {
      for await (const chunk of response.body) {
        text += chunk.toString('utf8');
        if (text.length > QUOTED_ERROR_CHARS * 4) break;
      }
    } catch {
      // What came of the error's body is enough.
    }
    response.abort();
    let detail = text.trim();
    try {
      const parsed: unknown = JSON.parse(detail);
      if (isRecord(parsed) && isRecord(parsed['error']) && typeof parsed['error']['message'] === 'string') detail = parsed['error']['message'];
    } catch {
      // Not JSON: quoted as it is.
    }
    detail = withoutKey(detail, request.apiKey).slice(0, QUOTED_ERROR_CHARS);
    const status = response.statusCode;
    throw new ProviderError('http', `the provider answered HTTP ${status}${detail ? `: ${detail}` : ''}`, status, status === 429 || status >= 500);
  }
  let buffer = '';
  let done = false;
  // A character may be split across chunks: the decoder keeps its first bytes until the rest arrives.
  const decoder = new StringDecoder('utf8');
  try {
    for await (const chunk of response.body) {
      buffer += decoder.write(chunk);
      let end: number;
      while ((end = buffer.indexOf('\n')) !== -1) {
        const line = buffer.slice(0, end).replace(/\r$/, '');
        buffer = buffer.slice(end + 1);
        if (line === '' || line.startsWith(':') || !line.startsWith('data:')) continue;
        const payload = line.slice(5).trim();
        if (payload === '[DONE]') {
          done = true;
          break;
        }
        yield readChunk(payload);
      }
      if (done) break;
    }
  } catch (error) {
    // An error chunk may quote the key (a provider refusing it often does): no message leaves with it.
    if (error instanceof ProviderError) throw new ProviderError(error.failure, withoutKey(error.message, request.apiKey), error.statusCode, error.retryable);
    if (error instanceof OutboundError) {
      if (error.reason === 'timeout') throw new ProviderError('timeout', 'the provider did not finish in time');
      throw new ProviderError('cut', 'the provider’s stream was cut');
    }
    throw error;
  } finally {
    response.abort();
  }
  if (!done) throw new ProviderError('cut', 'the provider’s stream ended without [DONE]');
}
