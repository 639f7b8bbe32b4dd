/**
 * The shape checks a token passes before any cryptography (docs/external-auth.md, The token, 1–3): size,
 * compact serialisation, canonical base64url, a JSON object header. They are cheap, total, and never throw.
 */

export const MAX_TOKEN_BYTES = 8 * 1024;

// Three non-empty base64url segments: compact JWS. A JWE has five; JSON serialisation has braces.
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

import { hasDuplicateMembers } from './json-duplicates.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export interface CompactParts {
  header: Record<string, unknown>;
  payloadBytes: Uint8Array;
  signature: Uint8Array;
}

/** Decodes base64url only if it is canonical (no padding, no stray bits), so one token has one spelling. */
export function decodeBase64Url(segment: string): Uint8Array | undefined {
  if (segment.length % 4 === 1) return undefined;
  const bytes = Buffer.from(segment, 'base64url');
  return bytes.toString('base64url') === segment ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length) : undefined;
}

/**
 * Parses UTF-8 JSON that must be a plain object; undefined for anything else (arrays, strings, bad UTF-8)
 * and for an object anywhere inside that repeats a member name. RFC 7515 §4 and RFC 7519 §4 let a parser
 * either reject duplicates or keep the last one; Parley rejects them, so that no other parser on the
 * integrator's side (one that keeps the first) can read a different header or identity from the same token.
 */
export function parseJsonObject(bytes: Uint8Array): Record<string, unknown> | undefined {
  let value: unknown;
  let text: string;
  try {
    text = utf8.decode(bytes);
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return hasDuplicateMembers(text) ? undefined : (value as Record<string, unknown>);
}

/**
 * The protected header of what looks like a compact JWS, decoding nothing else: enough to pick a key set
 * or a rate-limit counter before verification. Undefined when the header is not a canonical JSON object.
 */
export function peekJwsHeader(token: unknown): Record<string, unknown> | undefined {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_BYTES) return undefined;
  const dot = token.indexOf('.');
  if (dot <= 0) return undefined;
  const headerBytes = decodeBase64Url(token.slice(0, dot));
  return headerBytes && parseJsonObject(headerBytes);
}

/** Splits a compact JWS, or explains in a few words why it is not one. */
export function parseCompactJws(token: string): CompactParts | string {
  if (token.length > MAX_TOKEN_BYTES) return 'longer than 8 KB';
  if (!COMPACT_JWS.test(token)) return 'not a compact JWS';
  const [h = '', p = '', s = ''] = token.split('.');
  const headerBytes = decodeBase64Url(h);
  const payloadBytes = decodeBase64Url(p);
  const signature = decodeBase64Url(s);
  if (!headerBytes || !payloadBytes || !signature) return 'not canonical base64url';
  const header = parseJsonObject(headerBytes);
  if (!header) return 'header is not a JSON object';
  return { header, payloadBytes, signature };
}
