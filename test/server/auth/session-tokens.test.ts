import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MAX_ACCOUNT_ID_BYTES, openSessionToken, sealSessionToken, SESSION_TOKEN_PREFIX } from '../../../server/src/auth/session-tokens.js';

const KEY = new Uint8Array(32).fill(7);
const OTHER_KEY = new Uint8Array(32).fill(8);
const SESSION_ID = Uint8Array.from({ length: 16 }, (_, i) => i * 13 + 1);
const ISSUED_AT = 1_790_000_000_000;
const EXPIRES_AT = ISSUED_AT + 24 * 3600 * 1000;
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

const claims = (userId = 'usr_abc', epoch = 3) => ({ userId, epoch, issuedAt: ISSUED_AT, expiresAt: EXPIRES_AT });
const seal = (userId?: string, key: Uint8Array = KEY) => sealSessionToken(key, SESSION_ID, claims(userId));

/**
 * A token built by hand, as someone holding the key could: the layout of session-tokens.ts (version 1 |
 * id 16 | epoch 4 | issued 6 | expires 6 | account | HMAC-SHA-256 truncated to 16), with any version and
 * any account length.
 */
function handMade(options: { version?: number; userId?: string; key?: Uint8Array } = {}): string {
  const account = Buffer.from(options.userId ?? 'usr_abc', 'utf8');
  const body = Buffer.alloc(1 + 16 + 4 + 6 + 6 + account.length);
  body[0] = options.version ?? 1;
  body.set(SESSION_ID, 1);
  body.writeUInt32BE(3, 17);
  body.writeUIntBE(ISSUED_AT, 21, 6);
  body.writeUIntBE(EXPIRES_AT, 27, 6);
  account.copy(body, 33);
  const tag = createHmac('sha256', options.key ?? KEY).update(body).digest().subarray(0, 16);
  return SESSION_TOKEN_PREFIX + Buffer.concat([body, tag]).toString('base64url');
}

describe('session tokens', () => {
  it('open to exactly the claims they were sealed with', () => {
    const token = seal();
    expect(token).toMatch(/^pss_[A-Za-z0-9_-]+$/);
    expect(openSessionToken(KEY, token, ISSUED_AT)).toEqual({
      id: Buffer.from(SESSION_ID).toString('base64url'),
      userId: 'usr_abc',
      epoch: 3,
      issuedAt: ISSUED_AT,
      expiresAt: EXPIRES_AT,
    });
  });

  it('carry the extremes of every field: epoch 0 and 2^32-1, times up to 2^48-1, a multi-byte account id', () => {
    for (const [epoch, issuedAt, expiresAt] of [
      [0, 0, 1],
      [2 ** 32 - 1, 2 ** 48 - 2, 2 ** 48 - 1],
    ] as const) {
      const token = sealSessionToken(KEY, SESSION_ID, { userId: 'usr_é漢', epoch, issuedAt, expiresAt });
      expect(openSessionToken(KEY, token, expiresAt - 1)).toEqual({ id: Buffer.from(SESSION_ID).toString('base64url'), userId: 'usr_é漢', epoch, issuedAt, expiresAt });
    }
  });

  it('are valid until the millisecond before expiresAt, and not at expiresAt or after', () => {
    const token = seal();
    expect(openSessionToken(KEY, token, EXPIRES_AT - 1)?.expiresAt).toBe(EXPIRES_AT);
    expect(openSessionToken(KEY, token, EXPIRES_AT)).toBeUndefined();
    expect(openSessionToken(KEY, token, EXPIRES_AT + 1)).toBeUndefined();
  });

  it('are refused under another key', () => {
    expect(openSessionToken(OTHER_KEY, seal(), ISSUED_AT)).toBeUndefined();
    expect(openSessionToken(KEY, seal('usr_abc', OTHER_KEY), ISSUED_AT)).toBeUndefined();
  });

  it('are refused with any single character changed, at every position, to any other character', () => {
    const token = seal();
    const accepted: string[] = [];
    for (let i = 0; i < token.length; i++) {
      for (const c of BASE64URL) {
        if (c === token[i]) continue;
        const altered = token.slice(0, i) + c + token.slice(i + 1);
        if (openSessionToken(KEY, altered, ISSUED_AT) !== undefined) accepted.push(altered);
      }
    }
    expect(accepted).toEqual([]);
    // The untouched token still opens: the refusals above are the changes, not the clock.
    expect(openSessionToken(KEY, token, ISSUED_AT)).toBeDefined();
  });

  it('are refused in a non-canonical base64url spelling that decodes to the same bytes', () => {
    const token = seal();
    const encoded = token.slice(SESSION_TOKEN_PREFIX.length);
    const bytes = Buffer.from(encoded, 'base64url');
    // 56 bytes: the last character carries 4 bits of data and 2 stray bits.
    expect(bytes.length % 3).toBe(2);
    const last = BASE64URL.indexOf(encoded.at(-1)!);
    const strayFlipped = SESSION_TOKEN_PREFIX + encoded.slice(0, -1) + BASE64URL[last ^ 1];
    expect(strayFlipped).not.toBe(token);
    expect(Buffer.from(strayFlipped.slice(SESSION_TOKEN_PREFIX.length), 'base64url')).toEqual(bytes);
    expect(openSessionToken(KEY, strayFlipped, ISSUED_AT)).toBeUndefined();
    // Padding is another spelling of the same bytes.
    expect(openSessionToken(KEY, `${token}==`, ISSUED_AT)).toBeUndefined();
  });

  it('are refused under a wrong prefix', () => {
    const rest = seal().slice(SESSION_TOKEN_PREFIX.length);
    for (const prefix of ['pst_', 'PSS_', 'pss', 'pss__', '', 'xpss_']) {
      expect([prefix, openSessionToken(KEY, prefix + rest, ISSUED_AT)]).toEqual([prefix, undefined]);
    }
  });

  it('are refused with characters outside base64url', () => {
    const token = seal();
    const at = 20;
    for (const c of ['+', '/', '=', '.', ' ', '%', 'é', '\n']) {
      const altered = token.slice(0, at) + c + token.slice(at + 1);
      expect([c, openSessionToken(KEY, altered, ISSUED_AT)]).toEqual([c, undefined]);
    }
    expect(openSessionToken(KEY, `${token}\n`, ISSUED_AT)).toBeUndefined();
    expect(openSessionToken(KEY, ` ${token}`, ISSUED_AT)).toBeUndefined();
  });

  it('are refused past 128 characters even when correctly signed', () => {
    const within = handMade({ userId: 'u'.repeat(MAX_ACCOUNT_ID_BYTES) });
    expect(within.length).toBeLessThanOrEqual(128);
    expect(openSessionToken(KEY, within, ISSUED_AT)?.userId).toBe('u'.repeat(MAX_ACCOUNT_ID_BYTES));
    // 47 bytes of account: 96 bytes, exactly 128 base64url characters plus the prefix.
    const over = handMade({ userId: 'u'.repeat(47) });
    expect(over.length).toBe(132);
    expect(openSessionToken(KEY, over, ISSUED_AT)).toBeUndefined();
  });

  it('are refused when too short to hold an account id', () => {
    expect(openSessionToken(KEY, handMade({ userId: '' }), ISSUED_AT)).toBeUndefined();
    expect(openSessionToken(KEY, 'pss_', ISSUED_AT)).toBeUndefined();
    expect(openSessionToken(KEY, 'pss_AA', ISSUED_AT)).toBeUndefined();
  });

  it('are refused under any version but 1, correctly signed', () => {
    // The hand-made layout is the real one: version 1 opens.
    expect(handMade()).toBe(seal());
    expect(openSessionToken(KEY, handMade({ version: 1 }), ISSUED_AT)?.userId).toBe('usr_abc');
    for (const version of [0, 2, 255]) {
      expect([version, openSessionToken(KEY, handMade({ version }), ISSUED_AT)]).toEqual([version, undefined]);
    }
  });

  it('cannot be sealed for an account id of more than MAX_ACCOUNT_ID_BYTES bytes, or none', () => {
    expect(MAX_ACCOUNT_ID_BYTES).toBe(40);
    expect(() => seal('u'.repeat(MAX_ACCOUNT_ID_BYTES + 1))).toThrow(TypeError);
    // Bytes, not characters: 21 two-byte characters are 42 bytes.
    expect(() => seal('é'.repeat(21))).toThrow(TypeError);
    expect(openSessionToken(KEY, seal('é'.repeat(20)), ISSUED_AT)?.userId).toBe('é'.repeat(20));
    expect(() => seal('')).toThrow(TypeError);
  });

  it('cannot be sealed with a session id of another length than 16 bytes', () => {
    for (const length of [0, 15, 17, 32]) {
      expect(() => sealSessionToken(KEY, new Uint8Array(length), claims())).toThrow(TypeError);
    }
  });

  it('for a 40-byte account id stay within 128 characters and open', () => {
    const userId = `usr_${'x'.repeat(36)}`;
    expect(Buffer.byteLength(userId)).toBe(40);
    for (let i = 0; i < 20; i++) {
      const token = sealSessionToken(KEY, randomBytes(16), { userId, epoch: 2 ** 32 - 1, issuedAt: ISSUED_AT, expiresAt: 2 ** 48 - 1 });
      expect(token.length).toBeLessThanOrEqual(128);
      expect(openSessionToken(KEY, token, ISSUED_AT)?.userId).toBe(userId);
    }
  });
});
