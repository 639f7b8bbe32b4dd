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
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
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

function ipv4Private(ip: string): boolean {
  const [a = 0, b = 0] = ip.split('.').map(Number);
  return (
    a === 0 || a === 10 || a === 127 || a >= 224 || (a === 100 && b >= 64 && b < 128) || (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168) || (a === 198 && (b === 18 || b === 19))
  );
}

/**
 * Loopback, private (RFC 1918), shared (RFC 6598), benchmarking (RFC 2544), link-local, unique-local
 * (RFC 4193), multicast, reserved and unspecified addresses, v4 and v6 (a v4-mapped v6 address by its v4
 * part). Anything that is not an IP address counts as private: the rule fails closed.
 */
export function isPrivateAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 4) return ipv4Private(ip);
  if (family !== 6) return true;
  const lower = ip.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (mapped) return ipv4Private(mapped[1] as string);
  return lower === '::' || lower === '::1' || /^f[cd]/.test(lower) || /^fe[89ab]/.test(lower) || /^ff/.test(lower);
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
      {
        method: input.method,
        headers: { ...input.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
        // Connect to the address checked above, not to whatever a second lookup answers (DNS rebinding).
        lookup: (_hostname, options, callback) => {
          const cb = callback as (error: null, address: string | { address: string; family: number }[], family?: number) => void;
          if ((options as { all?: boolean }).all) cb(null, [pinned]);
          else cb(null, pinned.address, pinned.family);
        },
        agent: false,
      },
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
