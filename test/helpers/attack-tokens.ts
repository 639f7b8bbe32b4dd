/**
 * Raw material for token attacks: JWS built byte by byte (any header JSON, any payload bytes, any signature,
 * any HMAC hash), keys of an attacker's own, and the pieces of a token to look for in logs and responses.
 */
import { createHmac, generateKeyPairSync, randomBytes, sign as cryptoSign, type KeyObject } from 'node:crypto';

export const b64u = (value: string | Uint8Array) => Buffer.from(value).toString('base64url');

type Json = string | object | unknown[] | number | boolean | null;
/** A header or payload: a string is raw JSON text (or any text), bytes are sent as they are, anything else is JSON.stringify'd. */
export type Segment = Json | Uint8Array;

const bytesOf = (segment: Segment): Uint8Array =>
  segment instanceof Uint8Array ? segment : new TextEncoder().encode(typeof segment === 'string' ? segment : JSON.stringify(segment));

export type Signer =
  | { hmac: 'sha256' | 'sha384' | 'sha512'; secret: string | Uint8Array }
  | { raw: Uint8Array | string }
  | { key: KeyObject; alg: 'ES256' | 'EdDSA' | 'RS256' | 'PS256' };

/** `b64u(header).b64u(payload).signature`, the signature computed over the two encoded segments. */
export function forge(header: Segment, payload: Segment, signer: Signer): string {
  const signingInput = `${b64u(bytesOf(header))}.${b64u(bytesOf(payload))}`;
  return `${signingInput}.${signatureOf(signingInput, signer)}`;
}

export function signatureOf(signingInput: string, signer: Signer): string {
  if ('raw' in signer) return typeof signer.raw === 'string' ? signer.raw : b64u(signer.raw);
  if ('hmac' in signer) return createHmac(signer.hmac, signer.secret).update(signingInput).digest('base64url');
  const data = Buffer.from(signingInput);
  switch (signer.alg) {
    case 'ES256':
      return b64u(cryptoSign('sha256', data, { key: signer.key, dsaEncoding: 'ieee-p1363' }));
    case 'EdDSA':
      return b64u(cryptoSign(null, data, signer.key));
    case 'RS256':
      return b64u(cryptoSign('sha256', data, signer.key));
    case 'PS256':
      return b64u(cryptoSign('sha256', data, { key: signer.key, padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: 32 }));
  }
}

/** An attacker's own keys, generated once per test file. */
export function attackerKeys() {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ed = generateKeyPairSync('ed25519');
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const hmacSecret = randomBytes(32);
  return {
    hmacSecret,
    hmacJwk: { kty: 'oct', k: b64u(hmacSecret), alg: 'HS256' },
    ec,
    ecJwk: { ...ec.publicKey.export({ format: 'jwk' }), alg: 'ES256', kid: 'attacker-ec' },
    ed,
    edJwk: { ...ed.publicKey.export({ format: 'jwk' }), alg: 'EdDSA', kid: 'attacker-ed' },
    rsa,
    rsaJwk: { ...rsa.publicKey.export({ format: 'jwk' }), alg: 'RS256', kid: 'attacker-rsa' },
  };
}

/** Every casing of a word: none, None, NONE, nOnE, … */
export function everyCase(word: string): string[] {
  const out: string[] = [];
  for (let mask = 0; mask < 1 << word.length; mask++) {
    out.push([...word].map((c, i) => (mask & (1 << i) ? c.toUpperCase() : c.toLowerCase())).join(''));
  }
  return [...new Set(out)];
}

/**
 * Re-encodes a base64url segment whose last character carries unused low bits, with those bits set: the
 * same bytes, a different spelling. Answers one variant per unused-bit pattern (empty if there are none).
 */
export function nonCanonicalSpellings(segment: string): string[] {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const unusedBits = ({ 2: 4, 3: 2 } as Record<number, number>)[segment.length % 4] ?? 0;
  const last = alphabet.indexOf(segment[segment.length - 1]!);
  const spellings: string[] = [];
  for (let low = 1; low < 1 << unusedBits; low++) spellings.push(segment.slice(0, -1) + alphabet[last | low]!);
  return spellings.filter((s) => Buffer.from(s, 'base64url').equals(Buffer.from(segment, 'base64url')));
}

/**
 * The pieces of a token worth looking for in a log or a response: the token itself, and every run of more
 * than 8 base64-ish characters in it or in its URL encoding (plain lower-case words such as "signature" are
 * left out, since logs legitimately contain them).
 */
export function secretPieces(token: string): string[] {
  const pieces = new Set<string>([token]);
  for (const form of [token, encodeURIComponent(token)]) {
    for (const piece of form.split(/[^A-Za-z0-9_\-+/]+/)) if (piece.length > 8 && !/^[a-z]+$/.test(piece)) pieces.add(piece);
  }
  return [...pieces];
}

/** The first piece of `token` found in `text`, or undefined. */
export function leakedPiece(token: string, text: string): string | undefined {
  return secretPieces(token).find((piece) => text.includes(piece));
}
