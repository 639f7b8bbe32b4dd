import { describe, expect, it } from 'vitest';
import { webcrypto } from 'node:crypto';
import {
  verifyExternalToken,
  type VerificationKey,
  type VerifyPolicy,
} from '../../../server/src/auth/verify-external-token.js';
import { signExternalToken } from '../../../server/src/auth/sign-external-token.js';
import { craftToken, b64u } from '../../helpers/jwt.js';

const NOW = 1_800_000_000;
const SECRET = 'a-secret-of-at-least-thirty-two-bytes!!';
const OTHER = 'another-secret-of-at-least-32-bytes!!!!';
const enc = (s: string) => new TextEncoder().encode(s);
const key = (kid: string, secret: string): VerificationKey => ({ kid, alg: 'HS256', key: enc(secret) });
const KEYS = [key('env', SECRET)];
const POLICY: VerifyPolicy = { maxLifetimeSeconds: 7 * 86_400, clockToleranceSeconds: 60 };

const sign = (payload: Record<string, unknown>, o: { kid?: string; secret?: string; iat?: number; exp?: number } = {}) =>
  craftToken({ alg: 'HS256', typ: 'JWT', ...(o.kid === undefined ? { kid: 'env' } : o.kid === '' ? {} : { kid: o.kid }) }, { iat: o.iat ?? NOW, exp: o.exp ?? NOW + 3600, ...payload }, o.secret ?? SECRET);

const verify = (token: unknown, keys = KEYS, policy = POLICY, now = NOW) => verifyExternalToken(token, keys, policy, now);

async function expectCode(token: unknown, code: string, keys = KEYS) {
  const result = await verify(token, keys);
  expect(result.ok).toBe(false);
  if (!result.ok) expect(result.code).toBe(code);
}

describe('verifyExternalToken: outcomes', () => {
  it('token_missing for undefined, null and the empty string', async () => {
    for (const token of [undefined, null, '']) await expectCode(token, 'token_missing');
  });

  it('external_auth_disabled when no key is active', async () => {
    await expectCode(await sign({ user: { id: 'alice' } }), 'external_auth_disabled', []);
  });

  it('token_expired once exp has passed by more than the tolerance', async () => {
    await expectCode(sign({ user: { id: 'a' } }, { iat: NOW - 7200, exp: NOW - 61 }), 'token_expired');
  });

  it('accepts exp that passed within the 60 s tolerance', async () => {
    const result = await verify(sign({ user: { id: 'a' } }, { iat: NOW - 7200, exp: NOW - 59 }));
    expect(result.ok).toBe(true);
  });

  it('verifies a token signed by jose, the way integrators sign', async () => {
    const token = await signExternalToken({ secret: enc(SECRET), kid: 'env', payload: { user: { id: 'alice' } }, issuedAt: NOW, expiresInSeconds: 600 });
    expect(await verify(token)).toEqual({
      ok: true,
      kid: 'env',
      expiresAt: NOW + 600,
      identity: { form: 'user', externalId: 'alice', profile: { email: undefined, name: undefined, avatarUrl: undefined, metadata: undefined } },
    });
  });

  it('works with an imported CryptoKey as well as raw bytes', async () => {
    const cryptoKey = (await webcrypto.subtle.importKey('raw', enc(SECRET), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify'])) as CryptoKey;
    expect((await verify(sign({ user: { id: 'a' } }), [{ kid: 'env', alg: 'HS256', key: cryptoKey }])).ok).toBe(true);
  });
});

describe('verifyExternalToken: format and algorithm, before any crypto', () => {
  const valid = sign({ user: { id: 'alice' } });

  it.each([
    ['alg none', () => `${b64u(JSON.stringify({ alg: 'none' }))}.${b64u(JSON.stringify({ user: { id: 'a' }, exp: NOW + 60 }))}.`],
    ['alg none with a signature', () => craftToken({ alg: 'none' }, { user: { id: 'a' }, exp: NOW + 60 }, SECRET)],
    ['alg RS256', () => craftToken({ alg: 'RS256' }, { user: { id: 'a' }, exp: NOW + 60 }, SECRET)],
    ['alg ES256', () => craftToken({ alg: 'ES256' }, { user: { id: 'a' }, exp: NOW + 60 }, SECRET)],
    ['alg HS512 with the right secret', () => craftToken({ alg: 'HS512' }, { user: { id: 'a' }, exp: NOW + 60 }, SECRET)],
    ['alg hs256 in lower case', () => craftToken({ alg: 'hs256' }, { user: { id: 'a' }, exp: NOW + 60 }, SECRET)],
    ['no alg', () => craftToken({ typ: 'JWT' }, { user: { id: 'a' }, exp: NOW + 60 }, SECRET)],
    ['two parts', () => valid.split('.').slice(0, 2).join('.')],
    ['a JWE (five parts)', () => `${valid}.${b64u('x')}.${b64u('y')}`],
    ['four parts', () => `${valid}.${b64u('x')}`],
    ['JSON serialisation', () => JSON.stringify({ payload: 'x', signatures: [] })],
    ['padding in the signature', () => `${valid}=`],
    ['whitespace', () => ` ${valid}`],
    ['standard base64 characters', () => valid.replace(/-/g, '+').replace(/_/g, '/') + '+/'],
    ['a header that is not JSON', () => `${b64u('{alg:HS256')}.${valid.split('.')[1]}.${valid.split('.')[2]}`],
    ['a header that is an array', () => craftToken(['HS256'], { user: { id: 'a' }, exp: NOW + 60 }, SECRET)],
    ['crit', () => craftToken({ alg: 'HS256', crit: ['exp'] }, { user: { id: 'a' }, exp: NOW + 60 }, SECRET)],
    ['b64 false', () => craftToken({ alg: 'HS256', b64: false, crit: ['b64'] }, { user: { id: 'a' }, exp: NOW + 60 }, SECRET)],
    ['a jku header', () => craftToken({ alg: 'HS256', jku: 'http://127.0.0.1:1/keys' }, { user: { id: 'a' }, exp: NOW + 60 }, SECRET)],
    ['typ other than JWT', () => craftToken({ alg: 'HS256', typ: 'at+jwt' }, { user: { id: 'a' }, exp: NOW + 60 }, SECRET)],
    ['a number', () => 12345],
    ['an object', () => ({ token: valid })],
    ['8 KB + 1 byte', () => `${valid}${'A'.repeat(8 * 1024 + 1 - valid.length)}`],
    ['1 MB', () => 'a'.repeat(1024 * 1024)],
  ])('token_invalid: %s', async (_name, make) => {
    await expectCode(make(), 'token_invalid');
  });

  it('refuses a signature re-encoded with non-canonical trailing bits', async () => {
    const [h, p, s] = valid.split('.') as [string, string, string];
    const last = s[s.length - 1]!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const tweaked = alphabet[alphabet.indexOf(last) ^ 1]!; // flips a bit that a 43-char segment drops
    await expectCode(`${h}.${p}.${s.slice(0, -1)}${tweaked}`, 'token_invalid');
  });

  it('token_invalid for a wrong signature, a wrong key and an unknown kid', async () => {
    await expectCode(sign({ user: { id: 'a' } }, { secret: OTHER }), 'token_invalid');
    await expectCode(sign({ user: { id: 'a' } }, { kid: 'nope' }), 'token_invalid');
    for (const kid of ['../../etc/passwd', "' OR 1=1 --", '__proto__', 'constructor', 'toString', 'x'.repeat(10_000)]) {
      await expectCode(sign({ user: { id: 'a' } }, { kid }), 'token_invalid');
    }
    for (const kid of [7, { a: 1 }, null, '']) {
      await expectCode(craftToken({ alg: 'HS256', kid }, { user: { id: 'a' }, exp: NOW + 60 }, SECRET), 'token_invalid');
    }
  });
});

describe('verifyExternalToken: keys', () => {
  const keys = [key('env', SECRET), key('k_two', OTHER)];

  it('a token with a kid is checked against that key only', async () => {
    const result = await verify(sign({ user: { id: 'a' } }, { kid: 'k_two', secret: OTHER }), keys);
    expect(result.ok && result.kid).toBe('k_two');
    await expectCode(sign({ user: { id: 'a' } }, { kid: 'env', secret: OTHER }), 'token_invalid', keys);
  });

  it('a token without a kid is checked against each active key', async () => {
    const result = await verify(sign({ user: { id: 'a' } }, { kid: '', secret: OTHER }), keys);
    expect(result.ok && result.kid).toBe('k_two');
  });

  it('a retired key (absent from the active list) verifies nothing', async () => {
    await expectCode(sign({ user: { id: 'a' } }, { kid: 'k_two', secret: OTHER }), 'token_invalid', [key('env', SECRET)]);
    await expectCode(sign({ user: { id: 'a' } }, { kid: '', secret: OTHER }), 'token_invalid', [key('env', SECRET)]);
  });
});

describe('verifyExternalToken: time claims', () => {
  it('exp is required and must be a finite number', async () => {
    await expectCode(craftToken({ alg: 'HS256' }, { user: { id: 'a' } }, SECRET), 'token_invalid');
    await expectCode(craftToken({ alg: 'HS256' }, { user: { id: 'a' }, exp: String(NOW + 60) }, SECRET), 'token_invalid');
    await expectCode(craftToken({ alg: 'HS256' }, null, SECRET, { rawPayload: `{"user":{"id":"a"},"exp":1e400}` }), 'token_invalid');
  });

  it('exp − iat may not exceed the maximum lifetime', async () => {
    expect((await verify(sign({ user: { id: 'a' } }, { iat: NOW, exp: NOW + 7 * 86_400 }))).ok).toBe(true);
    await expectCode(sign({ user: { id: 'a' } }, { iat: NOW, exp: NOW + 7 * 86_400 + 1 }), 'token_invalid');
  });

  it('without iat, exp − now may not exceed the maximum lifetime', async () => {
    const token = (exp: number) => craftToken({ alg: 'HS256' }, { user: { id: 'a' }, exp }, SECRET);
    expect((await verify(token(NOW + 7 * 86_400))).ok).toBe(true);
    await expectCode(token(NOW + 7 * 86_400 + 1), 'token_invalid');
  });

  it('honours nbf and iat with 60 s of tolerance', async () => {
    expect((await verify(sign({ user: { id: 'a' }, nbf: NOW + 60 }))).ok).toBe(true);
    await expectCode(sign({ user: { id: 'a' }, nbf: NOW + 61 }), 'token_invalid');
    expect((await verify(sign({ user: { id: 'a' } }, { iat: NOW + 60 }))).ok).toBe(true);
    await expectCode(sign({ user: { id: 'a' } }, { iat: NOW + 61 }), 'token_invalid');
    await expectCode(sign({ user: { id: 'a' }, nbf: 'soon' }), 'token_invalid');
  });
});

describe('verifyExternalToken: payload forms', () => {
  const identity = async (payload: Record<string, unknown>) => {
    const result = await verify(sign(payload));
    if (!result.ok) throw new Error(`expected ok, got ${result.code}: ${result.reason}`);
    return result.identity;
  };

  it('user: id with profile fields and the rest as metadata', async () => {
    expect(await identity({ user: { id: 'alice', email: 'A@x.io', name: 'Alice', avatarUrl: 'https://x.io/a.png', team: 'red', n: 3 } })).toEqual({
      form: 'user',
      externalId: 'alice',
      profile: { email: 'A@x.io', name: 'Alice', avatarUrl: 'https://x.io/a.png', metadata: { team: 'red', n: 3 } },
    });
  });

  it('user wins over id and email; id wins over email', async () => {
    expect((await identity({ user: { id: 'u1' }, id: 'p1', email: 'e@x.io' })).form).toBe('user');
    expect(await identity({ id: 'usr_1', email: 'e@x.io' })).toEqual({ form: 'id', id: 'usr_1' });
    expect(await identity({ email: 'e@x.io' })).toEqual({ form: 'email', email: 'e@x.io' });
  });

  it('id may be an integer, read as its decimal string', async () => {
    expect(await identity({ id: 1234 })).toEqual({ form: 'id', id: '1234' });
  });

  it('a __proto__ key in user stays a plain metadata key', async () => {
    const token = craftToken({ alg: 'HS256' }, null, SECRET, { rawPayload: `{"exp":${NOW + 60},"user":{"id":"a","__proto__":{"isAdmin":true}}}` });
    const result = await verify(token);
    expect(result.ok).toBe(true);
    if (result.ok && result.identity.form === 'user') {
      const metadata = result.identity.profile.metadata!;
      expect(Object.getPrototypeOf(metadata)).toBe(Object.prototype);
      expect(Object.keys(metadata)).toEqual(['__proto__']);
      expect((metadata as { isAdmin?: unknown }).isAdmin).toBeUndefined();
    }
  });

  it.each([
    ['a payload that is an array', () => craftToken({ alg: 'HS256' }, [{ user: { id: 'a' } }], SECRET)],
    ['a payload that is a string', () => craftToken({ alg: 'HS256' }, 'alice', SECRET)],
    ['a payload that is not JSON', () => craftToken({ alg: 'HS256' }, null, SECRET, { rawPayload: 'not json' })],
    ['a payload that is not UTF-8', () => craftToken({ alg: 'HS256' }, null, SECRET, { rawPayload: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]) })],
    ['no identity at all', () => sign({ sub: 'alice' })],
    ['user that is a string', () => sign({ user: 'alice' })],
    ['user.id missing', () => sign({ user: { email: 'a@x.io' } })],
    ['user.id a number', () => sign({ user: { id: 42 } })],
    ['user.id an object', () => sign({ user: { id: { a: 1 } } })],
    ['user.id empty', () => sign({ user: { id: '' } })],
    ['user.id of 257 characters', () => sign({ user: { id: 'x'.repeat(257) } })],
    ['user.id of 300 characters', () => sign({ user: { id: 'x'.repeat(300) } })],
    ['user.id with a control character', () => sign({ user: { id: 'a\nb' } })],
    ['user.id not in NFC', () => sign({ user: { id: 'e\u0301' } })],
    ['user.email not an email', () => sign({ user: { id: 'a', email: 'nope' } })],
    ['user.email a number', () => sign({ user: { id: 'a', email: 5 } })],
    ['user.avatarUrl javascript:', () => sign({ user: { id: 'a', avatarUrl: 'javascript:alert(1)' } })],
    ['id a float', () => sign({ id: 1.5 })],
    ['id an object', () => sign({ id: {} })],
    ['id empty', () => sign({ id: '' })],
    ['email not a string', () => sign({ email: ['a@x.io'] })],
    ['email of 10,000 characters', () => sign({ email: `${'a'.repeat(10_000)}@x.io` })],
    ['email with the Kelvin sign, which NFC turns into K', () => sign({ email: '\u212Aevin@x' })],
    ['email in fullwidth letters, which NFKC changes', () => sign({ email: '\uff4bevin@x' })],
    ['user.email with the Kelvin sign', () => sign({ user: { id: 'a', email: '\u212Aevin@x' } })],
    ['user.id with DEL', () => sign({ user: { id: 'victim\u007f' } })],
    ['user.name with a newline', () => sign({ user: { id: 'a', name: 'Ada\nAdmin' } })],
    ['user.organizationId not in NFC', () => sign({ user: { id: 'a', organizationId: 'e\u0301' } })],
    ['a resource id with DEL', () => sign({ user: { id: 'a' }, permissions: { resources: [{ type: 'organization', id: 'o\u007f' }] } })],
    ['a resource id not in NFC', () => sign({ user: { id: 'a' }, permissions: { resources: [{ type: 'document', id: 'e\u0301', organizationId: 'o' }] } })],
    ['a folderId with a newline', () => sign({ user: { id: 'a' }, permissions: { resources: [{ type: 'document', id: 'd', organizationId: 'o', folderId: 'f\nx' }] } })],
  ])('token_invalid: %s', async (_name, make) => {
    await expectCode(make(), 'token_invalid');
  });

  it('says which field broke which rule', async () => {
    const reason = async (payload: Record<string, unknown>) => {
      const result = await verify(sign(payload));
      return result.ok ? 'accepted' : result.reason;
    };
    expect(await reason({ email: '\u212Aevin@x' })).toBe('email must not change under Unicode NFC or NFKC normalisation');
    expect(await reason({ user: { id: 'victim\u007f' } })).toBe('user.id must not contain control characters (U+0000 to U+001F, U+007F)');
    expect(await reason({ user: { id: 'e\u0301' } })).toBe('user.id must be in Unicode NFC');
    expect(await reason({ user: { id: 'a', name: 'x\ny' } })).toBe('user.name must not contain control characters (U+0000 to U+001F, U+007F)');
    expect(await reason({ user: { id: 'a' }, permissions: { resources: [{ type: 'organization', id: 'e\u0301' }] } })).toBe('permissions.resources[0].id must be in Unicode NFC');
  });

  it('accepts an email in any script that normalisation leaves alone, and null to clear profile fields', async () => {
    expect(await identity({ email: 'jos\u00e9@exemple.fr' })).toEqual({ form: 'email', email: 'jos\u00e9@exemple.fr' });
    expect(await identity({ user: { id: 'a', email: null, name: null, avatarUrl: null } })).toMatchObject({ profile: { email: null, name: null, avatarUrl: null } });
  });

  it('accepts user.id of exactly 256 characters', async () => {
    expect((await identity({ user: { id: 'x'.repeat(256) } })).form).toBe('user');
  });
});

describe('verifyExternalToken never throws', () => {
  it('for random garbage', async () => {
    const samples: unknown[] = [Symbol('x'), 1n, [], () => 1, '.', '..', '...', 'a.b.c', '\u0000.\u0000.\u0000', 'é.é.é'];
    for (const sample of samples) await expect(verify(sample)).resolves.toMatchObject({ ok: false });
  });
});
