/**
 * The one guarded way Parley makes an HTTP request to an address an administrator typed (a webhook
 * endpoint, a JWK Set URL). The guard against server-side request forgery:
 * - the URL's scheme is one the caller allows, and it carries no credentials;
 * - the host is resolved once, and refused if any of its addresses is private, loopback, link-local,
 *   unique-local, multicast or unspecified (unless the caller's setting allows private addresses);
 * - the connection goes to the address that was checked, never to a second lookup's answer (DNS rebinding);
 * - redirects are never followed: a 3xx is answered as it is, and the caller decides (a webhook counts it
 *   as a failed delivery);
 * - the whole request (connect, send, answer) has one deadline, and at most `maxBodyBytes` of the answer
 *   are read.
 * Written on node:http rather than taken from a client library because the pinned lookup and the total
 * deadline are the whole point, and both are a few lines here.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingHttpHeaders, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';

/** Why a request was not made or did not complete. */
export type OutboundFailure = 'bad_url' | 'scheme' | 'credentials' | 'unresolved' | 'private_address' | 'timeout' | 'too_large' | 'network';

export class OutboundError extends Error {
  override name = 'OutboundError';
  constructor(
    readonly reason: OutboundFailure,
    message: string,
  ) {
    super(message);
  }
}

/** RFC 1918, RFC 6598, RFC 2544, loopback, link-local, this-network, multicast, reserved and broadcast. */
function ipv4Private(v4: ArrayLike<number>): boolean {
  const a = v4[0] ?? 0;
  const b = v4[1] ?? 0;
  return (
    a === 0 || a === 10 || a === 127 || a >= 224 || (a === 100 && b >= 64 && b < 128) || (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168) || (a === 198 && (b === 18 || b === 19))
  );
}

function ipv4Bytes(text: string): number[] | null {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return null;
  return parts.map(Number);
}

/** The 16 bytes of an IPv6 address in any RFC 4291 §2.2 text form (a zone, `%eth0`, dropped), else null. */
export function ipv6Bytes(text: string): Uint8Array | null {
  const ip = text.replace(/%.*$/, '');
  const halves = ip.split('::');
  if (halves.length > 2) return null;
  const groups = (half: string): number[] | null => {
    if (half === '') return [];
    const out: number[] = [];
    const parts = half.split(':');
    for (const [i, part] of parts.entries()) {
      if (i === parts.length - 1 && part.includes('.')) {
        const v4 = ipv4Bytes(part);
        if (!v4) return null;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-f]{1,4}$/i.test(part)) out.push(parseInt(part, 16));
      else return null;
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  all.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return bytes;
}

const zeros = (bytes: Uint8Array, from: number, to: number) => bytes.subarray(from, to).every((b) => b === 0);

/**
 * The IPv4 address an IPv6 address stands for, if it embeds one that a router or the host's own stack may
 * deliver to: IPv4-mapped `::ffff:0:0/96` and IPv4-compatible `::/96` (RFC 4291 §2.5.5), IPv4-translated
 * `::ffff:0:0:0/96` (RFC 2765 §2.1), NAT64's well-known
 * prefix `64:ff9b::/96` (RFC 6052 §2.1) and 6to4 `2002::/16` (RFC 3056 §2, the IPv4 in bytes 2-5).
 */
function embeddedIpv4(bytes: Uint8Array): Uint8Array | null {
  if (zeros(bytes, 0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return bytes.subarray(12);
  if (zeros(bytes, 0, 12)) return bytes.subarray(12);
  if (zeros(bytes, 0, 8) && bytes[8] === 0xff && bytes[9] === 0xff && bytes[10] === 0 && bytes[11] === 0) return bytes.subarray(12);
  if (bytes[0] === 0x00 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b && zeros(bytes, 4, 12)) return bytes.subarray(12);
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return bytes.subarray(2, 6);
  return null;
}

/**
 * Loopback, private (RFC 1918), shared (RFC 6598), benchmarking (RFC 2544), link-local, unique-local
 * (RFC 4193), site-local, multicast, reserved and unspecified addresses, v4 and v6. Judged on the address's
 * bytes, never its text: the URL parser writes `[::ffff:127.0.0.1]` as `::ffff:7f00:1`. An IPv6 address that
 * embeds an IPv4 one (mapped, compatible, translated, NAT64, 6to4) is judged by that IPv4 address; so `::1` and `::`,
 * which are in `::/96`, are private as 0.0.0.1 and 0.0.0.0. NAT64's local-use prefix `64:ff9b:1::/48`
 * (RFC 8215), whose embedded address may sit anywhere, is private outright. Anything that is not an IP
 * address counts as private: the rule fails closed.
 */
export function isPrivateAddress(ip: string): boolean {
  const family = isIP(ip.replace(/%.*$/, ''));
  if (family === 4) return ipv4Private(ipv4Bytes(ip) ?? [0]);
  if (family !== 6) return true;
  const bytes = ipv6Bytes(ip);
  if (!bytes) return true;
  const v4 = embeddedIpv4(bytes);
  if (v4) return ipv4Private(v4);
  const [b0 = 0, b1 = 0] = bytes;
  return (
    (b0 & 0xfe) === 0xfc || // fc00::/7 unique-local
    (b0 === 0xfe && (b1 & 0xc0) === 0x80) || // fe80::/10 link-local
    (b0 === 0xfe && (b1 & 0xc0) === 0xc0) || // fec0::/10 site-local (deprecated, still routed by some stacks)
    b0 === 0xff || // ff00::/8 multicast
    (b0 === 0x00 && b1 === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b && bytes[4] === 0x00 && bytes[5] === 0x01) // 64:ff9b:1::/48
  );
}

export type Resolve = (host: string) => Promise<{ address: string; family: number }[]>;
const systemResolve: Resolve = (host) => dnsLookup(host, { all: true, verbatim: true });

/** Parses `raw` as an absolute URL of one of `schemes`, without credentials. */
export function checkOutboundUrl(raw: string, schemes: readonly string[]): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new OutboundError('bad_url', 'the URL is not a URL');
  }
  if (!schemes.includes(url.protocol)) throw new OutboundError('scheme', `the URL must use ${schemes.map((s) => s.replace(':', '')).join(' or ')}`);
  if (url.username || url.password) throw new OutboundError('credentials', 'the URL must not carry credentials');
  return url;
}

/**
 * The address to connect to for `url`'s host: resolved once, every answer checked. Throws
 * `private_address` when one is private and `allowPrivate` is off, `unresolved` when there is none.
 */
export async function resolveOutboundHost(url: URL, allowPrivate: boolean, resolve: Resolve = systemResolve): Promise<{ address: string; family: number }> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: { address: string; family: number }[];
  if (isIP(host)) addresses = [{ address: host, family: isIP(host) }];
  else {
    try {
      addresses = await resolve(host);
    } catch {
      throw new OutboundError('unresolved', 'the host does not resolve');
    }
  }
  if (addresses.length === 0) throw new OutboundError('unresolved', 'the host does not resolve');
  if (!allowPrivate && addresses.some((a) => isPrivateAddress(a.address))) throw new OutboundError('private_address', 'the host is a private address');
  return addresses[0]!;
}

export interface OutboundRequest {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
}

export interface OutboundPolicy {
  /** The schemes allowed, as URL protocols (`https:`). */
  schemes: readonly string[];
  allowPrivate: boolean;
  /** The deadline of the whole request. */
  timeoutMs: number;
  /** At most this much of the answer is read. */
  maxBodyBytes: number;
  /** What happens past `maxBodyBytes`: the answer so far (`truncate`), or a `too_large` failure. */
  overflow: 'truncate' | 'fail';
  resolve?: Resolve;
}

export interface OutboundResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  /** At most `maxBodyBytes`. */
  body: Buffer;
  truncated: boolean;
}

/** The request's options: its method and headers, and a lookup that answers the address checked, never a second lookup's (DNS rebinding). */
function requestOptions(input: OutboundRequest, body: Buffer | undefined, pinned: { address: string; family: number }): RequestOptions {
  return {
    method: input.method,
    headers: { ...input.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
    lookup: (_hostname, options, callback) => {
      const cb = callback as (error: null, address: string | { address: string; family: number }[], family?: number) => void;
      if ((options as { all?: boolean }).all) cb(null, [pinned]);
      else cb(null, pinned.address, pinned.family);
    },
    agent: false,
  };
}

/** Makes one request under `policy`; rejects with an `OutboundError` for every way it can fail. */
export async function outboundRequest(input: OutboundRequest, policy: OutboundPolicy): Promise<OutboundResponse> {
  const url = checkOutboundUrl(input.url, policy.schemes);
  const deadline = AbortSignal.timeout(policy.timeoutMs);
  const pinned = await Promise.race([
    resolveOutboundHost(url, policy.allowPrivate, policy.resolve),
    new Promise<never>((_, reject) => deadline.addEventListener('abort', () => reject(new OutboundError('timeout', `no answer within ${policy.timeoutMs} ms`)), { once: true })),
  ]);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const body = input.body === undefined ? undefined : Buffer.from(input.body, 'utf8');
  return new Promise<OutboundResponse>((resolve, reject) => {
    let settled = false;
    const fail = (error: OutboundError) => {
      if (settled) return;
      settled = true;
      req.destroy();
      reject(error);
    };
    const onDeadline = () => fail(new OutboundError('timeout', `no answer within ${policy.timeoutMs} ms`));
    const req = request(
      url,
      requestOptions(input, body, pinned),
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        let truncated = false;
        const finish = () => {
          if (settled) return;
          settled = true;
          deadline.removeEventListener('abort', onDeadline);
          resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), truncated });
          req.destroy();
        };
        res.on('data', (chunk: Buffer) => {
          if (settled) return;
          const room = policy.maxBodyBytes - size;
          if (chunk.length > room) {
            if (policy.overflow === 'fail') return fail(new OutboundError('too_large', `the answer is over ${policy.maxBodyBytes} bytes`));
            chunks.push(chunk.subarray(0, room));
            size += room;
            truncated = true;
            return finish();
          }
          chunks.push(chunk);
          size += chunk.length;
        });
        res.on('end', finish);
        res.on('error', (error) => fail(new OutboundError('network', error.message)));
      },
    );
    deadline.addEventListener('abort', onDeadline, { once: true });
    if (deadline.aborted) onDeadline();
    req.on('error', (error: NodeJS.ErrnoException) => fail(new OutboundError('network', error.code ? `${error.code}: ${error.message}` : error.message)));
    req.end(body);
  });
}

/** An answer whose body is read as it arrives (a model's streamed reply): see `outboundStream`. */
export interface OutboundStreamResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  /** The body's chunks as they arrive; ends with the answer, and throws an `OutboundError` if it is cut or times out. */
  body: AsyncIterable<Buffer>;
  /** Ends the request now (the reader stops early); the body's iteration then ends. */
  abort(): void;
}

/**
 * Makes one request under `policy`, as `outboundRequest` does (the same URL rules, pinned address, no
 * redirects followed), but answers once the status and headers arrive, with the body to read as it streams.
 * `policy.timeoutMs` bounds the whole exchange, reading included; `signal` ends it earlier (the caller's own
 * deadlines, a stop). At most `maxBodyBytes` are read: past them the body fails with `too_large`.
 */
export async function outboundStream(input: OutboundRequest, policy: Omit<OutboundPolicy, 'overflow'> & { signal?: AbortSignal }): Promise<OutboundStreamResponse> {
  const url = checkOutboundUrl(input.url, policy.schemes);
  const deadline = policy.signal ? AbortSignal.any([AbortSignal.timeout(policy.timeoutMs), policy.signal]) : AbortSignal.timeout(policy.timeoutMs);
  const reason = () => (policy.signal?.aborted ? new OutboundError('network', 'the request was ended') : new OutboundError('timeout', `no answer within ${policy.timeoutMs} ms`));
  const pinned = await Promise.race([
    resolveOutboundHost(url, policy.allowPrivate, policy.resolve),
    new Promise<never>((_, reject) => {
      if (deadline.aborted) reject(reason());
      deadline.addEventListener('abort', () => reject(reason()), { once: true });
    }),
  ]);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const body = input.body === undefined ? undefined : Buffer.from(input.body, 'utf8');
  return new Promise<OutboundStreamResponse>((resolve, reject) => {
    let answered = false;
    const req = request(
      url,
      requestOptions(input, body, pinned),
      (res) => {
        answered = true;
        let size = 0;
        let failure: OutboundError | null = null;
        let ended = false;
        const queue: Buffer[] = [];
        let wake: (() => void) | null = null;
        const notify = () => {
          wake?.();
          wake = null;
        };
        const fail = (error: OutboundError) => {
          if (ended || failure) return;
          failure = error;
          req.destroy();
          notify();
        };
        const onAbort = () => fail(reason());
        deadline.addEventListener('abort', onAbort, { once: true });
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > policy.maxBodyBytes) return fail(new OutboundError('too_large', `the answer is over ${policy.maxBodyBytes} bytes`));
          queue.push(chunk);
          notify();
        });
        res.on('end', () => {
          ended = true;
          deadline.removeEventListener('abort', onAbort);
          notify();
        });
        // A connection closed before the body's end (a cut stream) is an `aborted` response, then `close`.
        res.on('aborted', () => fail(new OutboundError('network', 'the connection closed before the answer ended')));
        res.on('error', (error) => fail(new OutboundError('network', error.message)));
        res.on('close', () => {
          if (!ended && !res.complete) fail(new OutboundError('network', 'the connection closed before the answer ended'));
        });
        async function* chunks(): AsyncGenerator<Buffer> {
          try {
            for (;;) {
              if (queue.length > 0) {
                yield queue.shift()!;
                continue;
              }
              if (failure) throw failure;
              if (ended) return;
              await new Promise<void>((r) => (wake = r));
            }
          } finally {
            deadline.removeEventListener('abort', onAbort);
            req.destroy();
          }
        }
        resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: chunks(), abort: () => fail(new OutboundError('network', 'the request was ended')) });
      },
    );
    const onEarlyAbort = () => {
      if (answered) return;
      req.destroy();
      reject(reason());
    };
    deadline.addEventListener('abort', onEarlyAbort, { once: true });
    if (deadline.aborted) onEarlyAbort();
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (answered) return;
      deadline.removeEventListener('abort', onEarlyAbort);
      reject(new OutboundError('network', error.code ? `${error.code}: ${error.message}` : error.message));
    });
    req.end(body);
  });
}
