/**
 * Black-box attacks on external-token sign-in (docs/external-auth.md), against the real app.
 * Every case goes through both doors, the hosted page (`GET /…?externalAuthCode=`) and the exchange
 * (`POST /api/v1/auth/exchange`), and must be refused with 401 and its code, with no cookie, no new account,
 * no token in any log line or response, and no outbound network request of any kind.
 */
import { get as httpGet } from 'node:http';
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { createTestApp, TEST_SECRET, type TestApp } from '../helpers/app.js';
import { startOutboundTrap, type OutboundTrap } from '../helpers/outbound-trap.js';
import { followSignInFailure, sessionCookieOf } from '../helpers/hosted-page.js';
import { attackerKeys, b64u, everyCase, forge, leakedPiece, nonCanonicalSpellings, signatureOf, type Segment, type Signer } from '../helpers/attack-tokens.js';
import { verifyExternalToken, type VerificationKey } from '../../server/src/auth/verify-external-token.js';

type RefusalCode = 'token_invalid' | 'token_expired' | 'user_not_found';

interface AttackCase {
  family: string;
  name: string;
  make: () => string | Promise<string>;
  code?: RefusalCode;
}

let t: TestApp;
let trap: OutboundTrap;
let keys: ReturnType<typeof attackerKeys>;
let attackCount = 0;
let requestCount = 0;
const perFamily = new Map<string, number>();

// Every request comes from its own address, so that a per-address sign-in rate limit never turns an
// attack's 401 into a 429 (rate limiting is not what this file tests).
let ipCounter = 0;
const nextIp = () => {
  ipCounter++;
  return `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
};

const ENV = { hmac: 'sha256', secret: TEST_SECRET } as const satisfies Signer;
const now = () => Math.floor(t.clock.now / 1000);
const HS = () => ({ alg: 'HS256', typ: 'JWT', kid: 'env' });
/** Claims that would create a fresh account if anything let them through; avatarUrl points at the trap. */
const claims = (extra: Record<string, unknown> = {}) => ({
  user: { id: `victim-${randomBytes(4).toString('hex')}`, name: 'Victim', avatarUrl: `${trap.origin}/avatar.png` },
  iat: now(),
  exp: now() + 600,
  ...extra,
});
const claimsJson = (extra: Record<string, unknown> = {}) => JSON.stringify(claims(extra));
/** A payload with raw JSON text spliced in (for values JSON.stringify cannot write, like 1e400). */
const rawClaims = (rawMembers: string) => `{"user":{"id":"victim-raw","avatarUrl":"${trap.origin}/a.png"},${rawMembers}}`;
const envToken = (extra: Record<string, unknown> = {}) => forge(HS(), claims(extra), ENV);
const withHeader = (header: Record<string, unknown>, signer: Signer = ENV, payload: Segment = claims()) => forge(header, payload, signer);
const parts = (token: string) => token.split('.') as [string, string, string];

async function countUsers(): Promise<number> {
  const row = await t.db.store.db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The page a browser ends on: a failed sign-in's 303 (its Location checked for the token) is followed. */
async function hostedPage(token: string, path = '/') {
  requestCount++;
  const sep = path.includes('?') ? '&' : '?';
  const remoteAddress = nextIp();
  const first = await t.app.inject({ method: 'GET', url: `${path}${sep}externalAuthCode=${encodeURIComponent(token)}`, headers: { accept: 'text/html' }, remoteAddress });
  expect(leakedPiece(token, JSON.stringify(first.headers)), 'the redirect echoes the token').toBeUndefined();
  return followSignInFailure(t.app, first, { remoteAddress });
}

function exchange(token: string) {
  requestCount++;
  return t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: token }, remoteAddress: nextIp() });
}

function expectNoLeak(token: string, label: string, responses: LightMyRequestResponse[]) {
  expect(leakedPiece(token, t.logs.join('\n')), `${label}: a piece of the token is in the logs`).toBeUndefined();
  for (const res of responses) {
    expect(leakedPiece(token, res.body), `${label}: the response echoes the token`).toBeUndefined();
    expect(leakedPiece(token, JSON.stringify(res.headers)), `${label}: a response header echoes the token`).toBeUndefined();
  }
}

function expectNothingLeftTheProcess(label: string) {
  expect(trap.summary(), `${label}: outbound network activity`).toEqual({ hits: [], fetchCalls: [], connects: [] });
}

/** The one assertion of this file: refused through both doors, with no trace. */
async function expectRefused(c: Omit<AttackCase, 'family'> & { family?: string }, path = '/') {
  const label = `${c.family ?? ''} ${c.name}`.trim();
  const code = c.code ?? 'token_invalid';
  const token = await c.make();
  const before = await countUsers();

  const page = await hostedPage(token, path);
  expect(page.statusCode, `${label}: hosted page status (body ${page.body.slice(0, 200)})`).toBe(401);
  expect(page.headers['content-type'], `${label}: hosted page type`).toBe('text/html; charset=utf-8');
  expect(page.body, `${label}: hosted page code`).toContain(`data-code="${code}"`);
  expect(sessionCookieOf(page), `${label}: hosted page cookie`).toBeUndefined();

  const api = await exchange(token);
  expect(api.statusCode, `${label}: exchange status (body ${api.body.slice(0, 200)})`).toBe(401);
  expect(api.json(), `${label}: exchange body`).toEqual({ error: { code, message: expect.any(String) } });
  expect(api.headers['set-cookie'], `${label}: exchange cookie`).toBeUndefined();

  expect(await countUsers(), `${label}: an account was created`).toBe(before);
  expectNoLeak(token, label, [page, api]);
  expectNothingLeftTheProcess(label);
  attackCount++;
  perFamily.set(c.family ?? 'other', (perFamily.get(c.family ?? 'other') ?? 0) + 1);
}

beforeAll(async () => {
  trap = await startOutboundTrap();
  keys = attackerKeys();
  // If anything fetched the trap's "JWK Set", it would get the attacker's keys: a fetch would *work*.
  trap.serve.body = JSON.stringify({ keys: [keys.ecJwk, keys.edJwk, keys.rsaJwk, { ...keys.hmacJwk, kid: 'env' }] });
  t = await createTestApp();
  // One account exists, so that an id or email lookup a wildcard could widen has something to find.
  const seed = await exchange(await t.sign({ user: { id: 'seed-user', email: 'seed@example.com', name: 'Seed' } }));
  expect(seed.statusCode).toBe(200);
});

afterEach(() => {
  expectNothingLeftTheProcess('after the test');
});

afterAll(async () => {
  console.log(
    `token-attacks: ${attackCount} attack cases, each through the hosted page and the exchange (${requestCount} sign-in requests in all)\n` +
      `by family: ${[...perFamily].map(([f, n]) => `${f} ${n}`).join(', ')}`,
  );
  await t?.close();
  await trap?.close();
});

describe('the detectors this file relies on', () => {
  it('see a request to the trap, a fetch, and a piece of a token in a log line', async () => {
    await new Promise<void>((resolve, reject) =>
      httpGet(`${trap.origin}/probe`, (res) => {
        res.resume();
        res.on('end', resolve);
      }).on('error', reject),
    );
    await globalThis.fetch(`${trap.origin}/fetched`).catch(() => undefined);
    expect(trap.hits).toEqual(['GET /probe']);
    expect(trap.connects).toEqual([expect.stringMatching(new RegExp(`:${new URL(trap.origin).port}$`))]);
    expect(trap.fetchCalls).toEqual([`${trap.origin}/fetched`]);
    trap.hits.length = 0;
    trap.connects.length = 0;
    trap.fetchCalls.length = 0;
    const token = envToken();
    const [, payload, signature] = parts(token);
    expect(leakedPiece(token, `{"url":"/?code=${signature}"}`)).toBe(signature);
    expect(leakedPiece(token, `{"msg":"${payload}"}`)).toBe(payload);
    expect(leakedPiece(token, `{"url":"/?externalAuthCode=${encodeURIComponent(` ${token}`)}"}`)).toBeDefined();
    expect(leakedPiece(token, '{"outcome":"token_invalid","reason":"signature does not match"}')).toBeUndefined();
  });
});

// ───────────────────────────────────────── the table ─────────────────────────────────────────

const algorithmCases: AttackCase[] = [
  ...everyCase('none').flatMap((alg): AttackCase[] => {
    const hp = () => `${b64u(JSON.stringify({ alg, typ: 'JWT', kid: 'env' }))}.${b64u(claimsJson())}`;
    return [
      { family: 'alg none', name: `${alg}, empty signature`, make: () => `${hp()}.` },
      { family: 'alg none', name: `${alg}, junk signature`, make: () => `${hp()}.${b64u(randomBytes(32))}` },
      { family: 'alg none', name: `${alg}, no signature segment`, make: () => hp() },
    ];
  }),
  { family: 'alg none', name: 'none without kid or typ, empty signature', make: () => `${b64u('{"alg":"none"}')}.${b64u(claimsJson())}.` },
  { family: 'alg none', name: 'none with an HMAC signature by the right secret', make: () => withHeader({ alg: 'none', kid: 'env' }) },
  { family: 'alg', name: 'HS384 signed with the right secret', make: () => withHeader({ alg: 'HS384', typ: 'JWT', kid: 'env' }, { hmac: 'sha384', secret: TEST_SECRET }) },
  { family: 'alg', name: 'HS384 without kid, right secret', make: () => withHeader({ alg: 'HS384' }, { hmac: 'sha384', secret: TEST_SECRET }) },
  { family: 'alg', name: 'HS512 signed with the right secret', make: () => withHeader({ alg: 'HS512', typ: 'JWT', kid: 'env' }, { hmac: 'sha512', secret: TEST_SECRET }) },
  { family: 'alg', name: 'HS512 without kid, right secret', make: () => withHeader({ alg: 'HS512' }, { hmac: 'sha512', secret: TEST_SECRET }) },
  { family: 'alg', name: 'hs256 in lower case, right secret', make: () => withHeader({ alg: 'hs256', kid: 'env' }) },
  { family: 'alg', name: '"HS256 " with a trailing space', make: () => withHeader({ alg: 'HS256 ', kid: 'env' }) },
  { family: 'alg', name: 'HS256 followed by a NUL', make: () => withHeader({ alg: 'HS256\u0000', kid: 'env' }) },
  { family: 'alg', name: 'alg as an array ["HS256"]', make: () => withHeader({ alg: ['HS256'], kid: 'env' }) },
  { family: 'alg', name: 'alg as an object', make: () => withHeader({ alg: { name: 'HS256' }, kid: 'env' }) },
  { family: 'alg', name: 'alg null', make: () => withHeader({ alg: null, kid: 'env' }) },
  { family: 'alg', name: 'alg missing', make: () => withHeader({ typ: 'JWT', kid: 'env' }) },
  ...(
    [
      ['RS256', 256],
      ['RS512', 256],
      ['PS256', 256],
      ['ES256', 64],
      ['ES384', 96],
      ['ES512', 132],
      ['EdDSA', 64],
      ['Ed25519', 64],
    ] as const
  ).flatMap(([alg, size]): AttackCase[] => [
    { family: 'alg', name: `${alg} with a random signature, kid env`, make: () => withHeader({ alg, typ: 'JWT', kid: 'env' }, { raw: randomBytes(size) }) },
    { family: 'alg', name: `${alg} with a random signature, no kid`, make: () => withHeader({ alg, typ: 'JWT' }, { raw: randomBytes(size) }) },
  ]),
  { family: 'alg', name: 'RS256 header, HMAC-SHA256 by the right secret (key confusion)', make: () => withHeader({ alg: 'RS256', kid: 'env' }) },
  { family: 'alg', name: 'ES256 header, HMAC-SHA256 by the right secret', make: () => withHeader({ alg: 'ES256' }) },
  { family: 'alg', name: 'ES256 zero signature, 64 zero bytes (CVE-2022-21449), kid env', make: () => withHeader({ alg: 'ES256', kid: 'env' }, { raw: new Uint8Array(64) }) },
  { family: 'alg', name: 'ES256 zero signature, 64 zero bytes, no kid', make: () => withHeader({ alg: 'ES256' }, { raw: new Uint8Array(64) }) },
  { family: 'alg', name: 'ES256 zero signature in DER (r = s = 0)', make: () => withHeader({ alg: 'ES256' }, { raw: Uint8Array.from([0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00]) }) },
  { family: 'alg', name: 'ES256 signed by an attacker P-256 key, kid env', make: () => withHeader({ alg: 'ES256', kid: 'env' }, { key: keys.ec.privateKey, alg: 'ES256' }) },
  { family: 'alg', name: 'EdDSA signed by an attacker Ed25519 key, no kid', make: () => withHeader({ alg: 'EdDSA' }, { key: keys.ed.privateKey, alg: 'EdDSA' }) },
  { family: 'alg', name: 'RS256 signed by an attacker RSA key, no kid', make: () => withHeader({ alg: 'RS256' }, { key: keys.rsa.privateKey, alg: 'RS256' }) },
  { family: 'alg', name: 'PS256 signed by an attacker RSA key, no kid', make: () => withHeader({ alg: 'PS256' }, { key: keys.rsa.privateKey, alg: 'PS256' }) },
];

const embeddedKeyCases: AttackCase[] = [
  { family: 'jwk', name: 'attacker HMAC key embedded, signed with it', make: () => withHeader({ alg: 'HS256', jwk: keys.hmacJwk }, { hmac: 'sha256', secret: keys.hmacSecret }) },
  { family: 'jwk', name: 'attacker HMAC key embedded, kid env, signed with it', make: () => withHeader({ alg: 'HS256', kid: 'env', jwk: keys.hmacJwk }, { hmac: 'sha256', secret: keys.hmacSecret }) },
  { family: 'jwk', name: 'jwk present on an otherwise valid env-signed token', make: () => withHeader({ ...HS(), jwk: keys.hmacJwk }) },
  { family: 'jwk', name: 'attacker P-256 key embedded, ES256 signed with it', make: () => withHeader({ alg: 'ES256', jwk: keys.ecJwk }, { key: keys.ec.privateKey, alg: 'ES256' }) },
  { family: 'jwk', name: 'attacker P-256 key embedded with its kid', make: () => withHeader({ alg: 'ES256', kid: 'attacker-ec', jwk: keys.ecJwk }, { key: keys.ec.privateKey, alg: 'ES256' }) },
  { family: 'jwk', name: 'attacker Ed25519 key embedded, EdDSA signed with it', make: () => withHeader({ alg: 'EdDSA', jwk: keys.edJwk }, { key: keys.ed.privateKey, alg: 'EdDSA' }) },
  { family: 'jwk', name: 'attacker RSA key embedded, RS256 signed with it', make: () => withHeader({ alg: 'RS256', jwk: keys.rsaJwk }, { key: keys.rsa.privateKey, alg: 'RS256' }) },
  { family: 'jwk', name: 'jwk null', make: () => withHeader({ ...HS(), jwk: null }) },
  { family: 'jku', name: 'jku at the trap, ES256 by the key the trap serves', make: () => withHeader({ alg: 'ES256', kid: 'attacker-ec', jku: `${trap.origin}/jwks.json` }, { key: keys.ec.privateKey, alg: 'ES256' }) },
  { family: 'jku', name: 'jku at the trap, RS256 by the key the trap serves', make: () => withHeader({ alg: 'RS256', kid: 'attacker-rsa', jku: `${trap.origin}/jwks.json` }, { key: keys.rsa.privateKey, alg: 'RS256' }) },
  { family: 'jku', name: 'jku at the trap on an env-signed token', make: () => withHeader({ ...HS(), jku: `${trap.origin}/jwks.json` }) },
  { family: 'jku', name: 'jku at the trap, kid env, HMAC by the oct key the trap serves', make: () => withHeader({ alg: 'HS256', kid: 'env', jku: `${trap.origin}/jwks.json` }, { hmac: 'sha256', secret: keys.hmacSecret }) },
  { family: 'x5u', name: 'x5u at the trap, RS256 by the attacker key', make: () => withHeader({ alg: 'RS256', x5u: `${trap.origin}/cert.pem` }, { key: keys.rsa.privateKey, alg: 'RS256' }) },
  { family: 'x5u', name: 'x5u at the trap on an env-signed token', make: () => withHeader({ ...HS(), x5u: `${trap.origin}/cert.pem` }) },
  { family: 'x5c', name: 'x5c with a made-up certificate, ES256 by the attacker key', make: () => withHeader({ alg: 'ES256', x5c: [randomBytes(300).toString('base64')] }, { key: keys.ec.privateKey, alg: 'ES256' }) },
  { family: 'x5c', name: 'x5c holding the trap URL on an env-signed token', make: () => withHeader({ ...HS(), x5c: [`${trap.origin}/cert.der`] }) },
  { family: 'x5c', name: 'x5c empty array on an env-signed token', make: () => withHeader({ ...HS(), x5c: [] }) },
];

const hostileKids: [string, () => unknown][] = [
  ['path traversal', () => '../../../../etc/passwd'],
  ['windows path traversal', () => '..\\..\\..\\windows\\win.ini'],
  ['device file', () => '/dev/random'],
  ['file URL', () => 'file:///etc/passwd'],
  ['URL at the trap', () => `${trap.origin}/key`],
  ['SQL tautology', () => "' OR '1'='1"],
  ['SQL comment after env', () => "env' --"],
  ['SQL drop', () => 'env"; DROP TABLE auth_keys; --'],
  ['SQL union', () => "x' UNION SELECT secret FROM auth_keys --"],
  ['shell $()', () => '$(touch /tmp/parley-pwned)'],
  ['shell backticks', () => '`id`'],
  ['shell ; and |', () => 'env; rm -rf / | cat /etc/passwd &'],
  ['JNDI lookup', () => `\${jndi:ldap://127.0.0.1:1/a}`],
  ['__proto__', () => '__proto__'],
  ['constructor', () => 'constructor'],
  ['toString', () => 'toString'],
  ['hasOwnProperty', () => 'hasOwnProperty'],
  ['valueOf', () => 'valueOf'],
  ['prototype', () => 'prototype'],
  ['ENV in upper case', () => 'ENV'],
  ['env with a trailing space', () => 'env '],
  ['env with a leading space', () => ' env'],
  ['env followed by NUL', () => 'env\u0000'],
  ['env followed by a newline', () => 'env\n'],
  ['env with a Cyrillic е', () => '\u0435nv'],
  ['env percent-encoded NUL', () => 'env%00'],
  ['257 characters', () => 'k'.repeat(257)],
  ['10 KB', () => 'x'.repeat(10 * 1024)],
  ['empty string', () => ''],
  ['number 0', () => 0],
  ['number 1', () => 1],
  ['number -1', () => -1],
  ['boolean true', () => true],
  ['object', () => ({ kid: 'env' })],
  ['object with toString', () => ({ toString: 'env' })],
  ['empty array', () => []],
  ['array ["env"]', () => ['env']],
  ['null', () => null],
];

const kidCases: AttackCase[] = [
  ...hostileKids.map(([name, kid]): AttackCase => ({ family: 'kid', name, make: () => withHeader({ alg: 'HS256', typ: 'JWT', kid: kid() }) })),
  { family: 'kid', name: 'number 1e400 (raw JSON)', make: () => forge('{"alg":"HS256","typ":"JWT","kid":1e400}', claims(), ENV) },
];

/** An env-signed token whose signature is spelled with `-` or `_`, so that its standard-base64 spelling differs. */
function tokenWithUrlSafeCharsInSignature(): string {
  for (let i = 0; ; i++) {
    const token = envToken({ nonce: i });
    if (/[-_]/.test(parts(token)[2])) return token;
  }
}

const formatCases: AttackCase[] = [
  { family: 'crit', name: 'crit ["exp"]', make: () => withHeader({ ...HS(), crit: ['exp'] }) },
  { family: 'crit', name: 'crit empty', make: () => withHeader({ ...HS(), crit: [] }) },
  { family: 'crit', name: 'crit as a string', make: () => withHeader({ ...HS(), crit: 'exp' }) },
  { family: 'crit', name: 'crit names an unknown extension present in the header', make: () => withHeader({ ...HS(), crit: ['x-parley'], 'x-parley': true }) },
  { family: 'b64', name: 'b64 false with crit, signed over the raw payload (RFC 7797)', make: () => {
      const h = b64u(JSON.stringify({ ...HS(), b64: false, crit: ['b64'] }));
      const payload = claimsJson();
      return `${h}.${b64u(payload)}.${signatureOf(`${h}.${payload}`, ENV)}`;
    } },
  { family: 'b64', name: 'b64 false with crit, raw payload in the compact form', make: () => {
      const h = b64u(JSON.stringify({ ...HS(), b64: false, crit: ['b64'] }));
      const payload = claimsJson();
      return `${h}.${payload}.${signatureOf(`${h}.${payload}`, ENV)}`;
    } },
  { family: 'b64', name: 'b64 false without crit', make: () => withHeader({ ...HS(), b64: false }) },
  { family: 'b64', name: 'b64 true (the default, spelled out)', make: () => withHeader({ ...HS(), b64: true }) },
  { family: 'b64', name: 'b64 false with a detached payload', make: () => {
      const token = withHeader({ ...HS(), b64: false, crit: ['b64'] });
      const [h, , s] = parts(token);
      return `${h}..${s}`;
    } },
  { family: 'typ', name: 'typ at+jwt on an env-signed token', make: () => withHeader({ ...HS(), typ: 'at+jwt' }) },
  { family: 'typ', name: 'typ as a number', make: () => withHeader({ ...HS(), typ: 1 }) },
  { family: 'parts', name: 'JWE: dir/A256GCM, five parts', make: () => `${b64u('{"alg":"dir","enc":"A256GCM","kid":"env"}')}..${b64u(randomBytes(12))}.${b64u(randomBytes(64))}.${b64u(randomBytes(16))}` },
  { family: 'parts', name: 'JWE: RSA-OAEP/A128CBC-HS256, five non-empty parts', make: () => [b64u('{"alg":"RSA-OAEP","enc":"A128CBC-HS256"}'), b64u(randomBytes(256)), b64u(randomBytes(16)), b64u(randomBytes(48)), b64u(randomBytes(16))].join('.') },
  { family: 'parts', name: 'a valid token with two more segments (five parts)', make: () => `${envToken()}.${b64u('x')}.${b64u('y')}` },
  { family: 'parts', name: 'four parts (valid token plus one segment)', make: () => `${envToken()}.${b64u('x')}` },
  { family: 'parts', name: 'four parts (valid token plus an empty segment)', make: () => `${envToken()}.` },
  { family: 'parts', name: 'two parts (header.payload of a valid token)', make: () => parts(envToken()).slice(0, 2).join('.') },
  { family: 'parts', name: 'empty payload segment', make: () => { const [h, , s] = parts(envToken()); return `${h}..${s}`; } },
  { family: 'parts', name: 'empty header segment', make: () => { const [, p, s] = parts(envToken()); return `.${p}.${s}`; } },
  { family: 'parts', name: 'two valid tokens joined by a comma', make: () => `${envToken()},${envToken()}` },
  { family: 'parts', name: 'segments separated by a fullwidth dot', make: () => parts(envToken()).join('\uff0e') },
  { family: 'json serialisation', name: 'flattened JSON serialisation of a valid token', make: () => { const [h, p, s] = parts(envToken()); return JSON.stringify({ protected: h, payload: p, signature: s }); } },
  { family: 'json serialisation', name: 'general JSON serialisation of a valid token', make: () => { const [h, p, s] = parts(envToken()); return JSON.stringify({ payload: p, signatures: [{ protected: h, signature: s }] }); } },
  { family: 'json serialisation', name: 'general JSON serialisation, a junk then a valid signature', make: () => { const [h, p, s] = parts(envToken()); return JSON.stringify({ payload: p, signatures: [{ protected: b64u('{"alg":"none"}'), signature: '' }, { protected: h, signature: s }] }); } },
  { family: 'json serialisation', name: 'flattened with an unprotected header', make: () => { const [h, p, s] = parts(envToken()); return JSON.stringify({ protected: h, header: { kid: 'env' }, payload: p, signature: s }); } },
  { family: 'encoding', name: 'signature with one = of padding', make: () => `${envToken()}=` },
  { family: 'encoding', name: 'signature with == of padding', make: () => `${envToken()}==` },
  { family: 'encoding', name: 'header padded with =', make: () => {
      for (let pad = 0; ; pad++) {
        const [h, p, s] = parts(withHeader({ ...HS(), x: 'p'.repeat(pad) }));
        const padded = Buffer.from(h, 'base64url').toString('base64');
        if (padded.endsWith('=')) return `${padded}.${p}.${s}`;
      }
    } },
  { family: 'encoding', name: 'payload padded with =', make: () => {
      for (let i = 0; ; i++) {
        const [h, p, s] = parts(envToken({ pad: 'q'.repeat(i) }));
        const padded = Buffer.from(p, 'base64url').toString('base64url') + '='.repeat((4 - (p.length % 4)) % 4);
        if (padded.endsWith('=')) return `${h}.${padded}.${s}`;
      }
    } },
  { family: 'encoding', name: 'space inside the signature', make: () => { const [h, p, s] = parts(envToken()); return `${h}.${p}.${s.slice(0, 20)} ${s.slice(20)}`; } },
  { family: 'encoding', name: 'newline inside the signature', make: () => { const [h, p, s] = parts(envToken()); return `${h}.${p}.${s.slice(0, 20)}\n${s.slice(20)}`; } },
  { family: 'encoding', name: 'tab inside the payload', make: () => { const [h, p, s] = parts(envToken()); return `${h}.${p.slice(0, 10)}\t${p.slice(10)}.${s}`; } },
  { family: 'encoding', name: 'CRLF after the token', make: () => `${envToken()}\r\n` },
  { family: 'encoding', name: 'leading space', make: () => ` ${envToken()}` },
  { family: 'encoding', name: 'space after a dot', make: () => { const [h, p, s] = parts(envToken()); return `${h}. ${p}.${s}`; } },
  { family: 'encoding', name: 'NUL after the token', make: () => `${envToken()}\u0000` },
  { family: 'encoding', name: 'signature in standard base64 (+ and /), same bytes', make: () => { const [h, p, s] = parts(tokenWithUrlSafeCharsInSignature()); return `${h}.${p}.${s.replace(/-/g, '+').replace(/_/g, '/')}`; } },
  { family: 'encoding', name: 'whole token in standard base64 with padding', make: () => parts(tokenWithUrlSafeCharsInSignature()).map((x) => Buffer.from(x, 'base64url').toString('base64')).join('.') },
  { family: 'encoding', name: 'a + in place of a signature character', make: () => { const [h, p, s] = parts(envToken()); return `${h}.${p}.+${s.slice(1)}`; } },
  { family: 'encoding', name: 'a / in place of a signature character', make: () => { const [h, p, s] = parts(envToken()); return `${h}.${p}.${s.slice(0, -1)}/`; } },
  ...[1, 2, 3].map((low): AttackCase => ({
    family: 'encoding',
    name: `signature re-encoded with unused low bits = ${low} (same bytes)`,
    make: () => {
      const [h, p, s] = parts(envToken());
      const spelling = nonCanonicalSpellings(s)[low - 1];
      if (!spelling) throw new Error('a 32-byte signature has 2 unused bits: 3 spellings');
      return `${h}.${p}.${spelling}`;
    },
  })),
  { family: 'encoding', name: 'header re-encoded with unused low bits (same bytes)', make: () => {
      for (let pad = 0; ; pad++) {
        const header = { ...HS(), x: 'p'.repeat(pad) };
        const token = withHeader(header);
        const [h, p, s] = parts(token);
        const spelling = nonCanonicalSpellings(h)[0];
        if (spelling) return `${spelling}.${p}.${s}`;
      }
    } },
  { family: 'encoding', name: 'payload re-encoded with unused low bits (same bytes)', make: () => {
      for (let i = 0; ; i++) {
        const [h, p, s] = parts(envToken({ pad: 'q'.repeat(i) }));
        const spelling = nonCanonicalSpellings(p)[0];
        if (spelling) return `${h}.${spelling}.${s}`;
      }
    } },
  { family: 'signature', name: 'signature by a wrong secret', make: () => withHeader(HS(), { hmac: 'sha256', secret: 'wrong-secret-that-is-also-32-bytes-long!!' }) },
  { family: 'signature', name: 'signature truncated to 31 bytes', make: () => { const [h, p, s] = parts(envToken()); return `${h}.${p}.${b64u(Buffer.from(s, 'base64url').subarray(0, 31))}`; } },
  { family: 'signature', name: 'signature extended to 33 bytes', make: () => { const [h, p, s] = parts(envToken()); return `${h}.${p}.${b64u(Buffer.concat([Buffer.from(s, 'base64url'), Buffer.from([0])]))}`; } },
  { family: 'signature', name: 'signature of another token', make: () => { const [h, p] = parts(envToken()); return `${h}.${p}.${parts(envToken())[2]}`; } },
  { family: 'signature', name: 'signature with one bit flipped', make: () => { const [h, p, s] = parts(envToken()); const b = Buffer.from(s, 'base64url'); b[0]! ^= 1; return `${h}.${p}.${b64u(b)}`; } },
  { family: 'signature', name: 'payload swapped under a valid signature', make: () => { const [h, , s] = parts(envToken()); return `${h}.${b64u(claimsJson({ user: { id: 'admin' } }))}.${s}`; } },
];

const bytes = (...parts: (string | number[])[]) => Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...Buffer.from(p)] : p)));

const payloadCases: AttackCase[] = [
  { family: 'payload', name: 'an array', make: () => forge(HS(), `[${claimsJson()}]`, ENV) },
  { family: 'payload', name: 'a string', make: () => forge(HS(), '"hello"', ENV) },
  { family: 'payload', name: 'a string holding the claims as JSON', make: () => forge(HS(), JSON.stringify(claimsJson()), ENV) },
  { family: 'payload', name: 'a number', make: () => forge(HS(), '42', ENV) },
  { family: 'payload', name: 'null', make: () => forge(HS(), 'null', ENV) },
  { family: 'payload', name: 'true', make: () => forge(HS(), 'true', ENV) },
  { family: 'payload', name: 'an empty object', make: () => forge(HS(), '{}', ENV) },
  { family: 'payload', name: 'whitespace only', make: () => forge(HS(), '   ', ENV) },
  { family: 'payload', name: 'invalid UTF-8 (0xff 0xfe) before the JSON', make: () => forge(HS(), bytes([0xff, 0xfe], claimsJson()), ENV) },
  { family: 'payload', name: 'invalid UTF-8 inside user.id', make: () => forge(HS(), bytes(`{"exp":${now() + 600},"user":{"id":"a`, [0xc3, 0x28], '"}}'), ENV) },
  { family: 'payload', name: 'overlong UTF-8 encoding of "{"', make: () => forge(HS(), bytes([0xc1, 0xbb], claimsJson().slice(1)), ENV) },
  { family: 'payload', name: 'CESU-8 surrogate bytes inside user.id', make: () => forge(HS(), bytes(`{"exp":${now() + 600},"user":{"id":"a`, [0xed, 0xa0, 0x80], '"}}'), ENV) },
  { family: 'payload', name: 'UTF-16LE encoded JSON', make: () => forge(HS(), Buffer.from(claimsJson(), 'utf16le'), ENV) },
  { family: 'payload', name: 'JSON with trailing garbage', make: () => forge(HS(), `${claimsJson()}x`, ENV) },
  { family: 'payload', name: 'JSON with a comment', make: () => forge(HS(), `/* hi */${claimsJson()}`, ENV) },
  { family: 'payload', name: 'single-quoted pseudo-JSON', make: () => forge(HS(), claimsJson().replace(/"/g, "'"), ENV) },
  { family: 'payload', name: 'NaN literal for exp', make: () => forge(HS(), rawClaims('"exp":NaN'), ENV) },
  { family: 'payload', name: '__proto__ carrying user and exp', make: () => forge(HS(), `{"__proto__":{"user":{"id":"victim-proto"},"exp":${now() + 600}},"iat":${now()}}`, ENV) },
  { family: 'payload', name: '__proto__ carrying exp, user at the top', make: () => forge(HS(), `{"__proto__":{"exp":${now() + 600}},"user":{"id":"victim-proto2"}}`, ENV) },
  { family: 'payload', name: 'user.__proto__ carrying id', make: () => forge(HS(), `{"user":{"__proto__":{"id":"victim-proto3"}},"exp":${now() + 600}}`, ENV) },
  { family: 'payload', name: 'constructor.prototype carrying user', make: () => forge(HS(), `{"constructor":{"prototype":{"user":{"id":"victim-proto4"}}},"exp":${now() + 600}}`, ENV) },
  { family: 'payload', name: '__proto__ carrying id (id form)', make: () => forge(HS(), `{"__proto__":{"id":"usr_x"},"exp":${now() + 600}}`, ENV) },
];

const timeCases: AttackCase[] = [
  { family: 'exp', name: 'missing', make: () => forge(HS(), { user: { id: 'victim-noexp' }, iat: now() }, ENV) },
  { family: 'exp', name: 'a string', make: () => envToken({ exp: String(now() + 600) }) },
  { family: 'exp', name: 'a numeric string in scientific notation', make: () => envToken({ exp: '1e10' }) },
  { family: 'exp', name: 'null', make: () => envToken({ exp: null }) },
  { family: 'exp', name: 'true', make: () => envToken({ exp: true }) },
  { family: 'exp', name: 'an array', make: () => envToken({ exp: [now() + 600] }) },
  { family: 'exp', name: 'an object', make: () => envToken({ exp: { valueOf: now() + 600 } }) },
  { family: 'exp', name: '1e400 (Infinity)', make: () => forge(HS(), rawClaims('"exp":1e400'), ENV) },
  { family: 'exp', name: '-1e400 (-Infinity)', make: () => forge(HS(), rawClaims('"exp":-1e400'), ENV) },
  { family: 'exp', name: '1e300, without iat', make: () => forge(HS(), rawClaims('"exp":1e300'), ENV) },
  { family: 'exp', name: 'in milliseconds instead of seconds', make: () => envToken({ exp: (now() + 600) * 1000 }) },
  { family: 'exp', name: 'beyond the maximum lifetime (7 d + 1 s after iat)', make: () => envToken({ iat: now(), exp: now() + 7 * 86_400 + 1 }) },
  { family: 'exp', name: 'beyond the maximum lifetime, without iat', make: () => forge(HS(), { user: { id: 'victim-long' }, exp: now() + 7 * 86_400 + 3600 }, ENV) },
  { family: 'exp', name: 'a year ahead, iat now', make: () => envToken({ exp: now() + 365 * 86_400 }) },
  { family: 'exp', name: 'far ahead with an old iat (lifetime from iat)', make: () => envToken({ iat: now() - 30 * 86_400, exp: now() + 600 }) },
  { family: 'exp', name: 'in the past (61 s)', code: 'token_expired', make: () => envToken({ iat: now() - 3600, exp: now() - 61 }) },
  { family: 'exp', name: 'in the past (a day)', code: 'token_expired', make: () => envToken({ iat: now() - 2 * 86_400, exp: now() - 86_400 }) },
  { family: 'exp', name: '0', code: 'token_expired', make: () => forge(HS(), { user: { id: 'victim-zero' }, exp: 0 }, ENV) },
  { family: 'exp', name: '-1e308', code: 'token_expired', make: () => forge(HS(), { user: { id: 'victim-neg' }, exp: -1e308 }, ENV) },
  { family: 'nbf', name: 'an hour in the future', make: () => envToken({ nbf: now() + 3600 }) },
  { family: 'nbf', name: '61 s in the future', make: () => envToken({ nbf: now() + 61 }) },
  { family: 'nbf', name: 'a string', make: () => envToken({ nbf: String(now()) }) },
  { family: 'nbf', name: '1e400', make: () => forge(HS(), rawClaims(`"exp":${now() + 600},"nbf":1e400`), ENV) },
  { family: 'iat', name: 'an hour in the future', make: () => envToken({ iat: now() + 3600, exp: now() + 4000 }) },
  { family: 'iat', name: '61 s in the future', make: () => envToken({ iat: now() + 61 }) },
  { family: 'iat', name: 'a string', make: () => envToken({ iat: String(now()) }) },
  { family: 'iat', name: '1e400', make: () => forge(HS(), rawClaims(`"exp":${now() + 600},"iat":1e400`), ENV) },
  { family: 'iat', name: '-1e400', make: () => forge(HS(), rawClaims(`"exp":${now() + 600},"iat":-1e400`), ENV) },
];

const long = (n: number) => 'i'.repeat(n);
const identityCases: AttackCase[] = [
  ...(
    [
      ['a number', 42],
      ['an object', { id: 'x' }],
      ['an array', ['victim']],
      ['null', null],
      ['true', true],
      ['empty', ''],
      ['257 characters', long(257)],
      ['5,000 characters', long(5_000)],
      ['10,000 characters', long(10_000)],
      ['with a NUL', 'victim\u0000admin'],
      ['with a newline (log injection)', 'victim\n{"level":30,"msg":"forged"}'],
      ['with an ANSI escape', '\u001b[31mvictim'],
      ['with DEL', 'victim\u007f'],
    ] as const
  ).map(([name, id]): AttackCase => ({ family: 'user.id', name, make: () => envToken({ user: { id } }) })),
  { family: 'user.id', name: 'missing', make: () => envToken({ user: { name: 'No Id' } }) },
  { family: 'user', name: 'a string', make: () => envToken({ user: 'victim' }) },
  { family: 'user', name: 'an array', make: () => envToken({ user: [{ id: 'victim' }] }) },
  { family: 'user', name: 'null (does not fall through to email)', make: () => envToken({ user: null, email: 'someone@example.com' }) },
  { family: 'user', name: 'a number', make: () => envToken({ user: 7 }) },
  { family: 'user.email', name: 'a number', make: () => envToken({ user: { id: 'victim-e1', email: 42 } }) },
  { family: 'user.email', name: 'empty', make: () => envToken({ user: { id: 'victim-e2', email: '' } }) },
  { family: 'user.email', name: 'not an address', make: () => envToken({ user: { id: 'victim-e3', email: 'not-an-email' } }) },
  { family: 'user.email', name: 'with a CRLF (header injection)', make: () => envToken({ user: { id: 'victim-e4', email: 'a@b.c\r\nBcc: x@y.z' } }) },
  { family: 'user.email', name: '10,000 characters', make: () => envToken({ user: { id: 'victim-e5', email: `${long(5_000)}@example.com` } }) },
  { family: 'user.email', name: 'an array', make: () => envToken({ user: { id: 'victim-e6', email: ['a@b.c'] } }) },
  { family: 'user.name', name: 'a number', make: () => envToken({ user: { id: 'victim-n1', name: 42 } }) },
  { family: 'user.name', name: '201 characters', make: () => envToken({ user: { id: 'victim-n2', name: long(201) } }) },
  { family: 'user.avatarUrl', name: 'javascript: URL', make: () => envToken({ user: { id: 'victim-a1', avatarUrl: 'javascript:alert(1)' } }) },
  { family: 'user.avatarUrl', name: 'file: URL', make: () => envToken({ user: { id: 'victim-a2', avatarUrl: 'file:///etc/passwd' } }) },
  { family: 'user.avatarUrl', name: 'data: URL', make: () => envToken({ user: { id: 'victim-a3', avatarUrl: 'data:text/html,<script>alert(1)</script>' } }) },
  { family: 'user.avatarUrl', name: 'a number', make: () => envToken({ user: { id: 'victim-a4', avatarUrl: 42 } }) },
  ...(
    [
      ['an object', { $ne: null }],
      ['an array', ['usr_x']],
      ['true', true],
      ['a negative number', -1],
      ['a fraction', 1.5],
      ['2^53 (not a safe integer)', 2 ** 53],
      ['empty', ''],
      ['257 characters', long(257)],
      ['10,000 characters', long(10_000)],
      ['null (does not fall through to email)', null],
    ] as const
  ).map(([name, id]): AttackCase => ({ family: 'id', name, make: () => forge(HS(), { id, email: 'someone@example.com', iat: now(), exp: now() + 600 }, ENV) })),
  ...(
    [
      ['a number', 42],
      ['empty', ''],
      ['not an address', 'nobody'],
      ['an object', { $regex: '.*' }],
      ['an array', ['a@b.c']],
      ['10,000 characters', `${long(5_000)}@example.com`],
      ['with a newline', 'a@b.c\nx'],
    ] as const
  ).map(([name, email]): AttackCase => ({ family: 'email', name, make: () => forge(HS(), { email, iat: now(), exp: now() + 600 }, ENV) })),
  // Well-formed, so the lookup runs: wildcards must match nothing (the seeded account is seed@example.com).
  ...['%@%', '_eed@example.com', 'seed@example.co_', 'seed@%', "seed@example.com'--", "x'or'1'='1@example.com"].map(
    (email): AttackCase => ({ family: 'email', name: `lookup with ${email}`, code: 'user_not_found', make: () => forge(HS(), { email, iat: now(), exp: now() + 600 }, ENV) }),
  ),
  ...['usr_%', 'usr_*', "usr_x' OR '1'='1", '*'].map(
    (id): AttackCase => ({ family: 'id', name: `lookup with ${id}`, code: 'user_not_found', make: () => forge(HS(), { id, iat: now(), exp: now() + 600 }, ENV) }),
  ),
  { family: 'claims', name: 'none of user, id or email', make: () => forge(HS(), { sub: 'victim', iat: now(), exp: now() + 600 }, ENV) },
];

const TABLE: AttackCase[] = [...algorithmCases, ...embeddedKeyCases, ...kidCases, ...formatCases, ...payloadCases, ...timeCases, ...identityCases];
const PATHS = ['/', '/some/page', '/chat?tab=2'];

describe('token attacks through both doors', () => {
  it.each(TABLE.map((c, i) => [`${c.family}: ${c.name}`, c, PATHS[i % PATHS.length]!] as const))('%s', async (_name, c, path) => {
    await expectRefused(c, path);
  });
});

// ───────────────────────────────── size limits: 8 KB + 1 and 1 MB ─────────────────────────────────

describe('oversized tokens are refused before any cryptography', () => {
  const bigToken = (size: number) => {
    const token = envToken();
    return `${token}${'A'.repeat(size - token.length)}`;
  };
  /** A key whose every use throws: verification must not touch it for an oversized token. */
  const untouchable = new Proxy({} as VerificationKey, {
    get() {
      throw new Error('the key was used');
    },
  });
  const policy = { maxLifetimeSeconds: 7 * 86_400, clockToleranceSeconds: 60 };

  it('a valid token padded to 8 KB + 1 byte: both doors refuse it, the reason is its size', async () => {
    const token = bigToken(8 * 1024 + 1);
    const linesBefore = t.logs.length;
    await expectRefused({ family: 'size', name: '8 KB + 1 byte', make: () => token });
    expect(t.logs.slice(linesBefore).filter((l) => l.includes('longer than 8 KB'))).toHaveLength(2);
    expect(await verifyExternalToken(token, [untouchable], policy, now())).toEqual({ ok: false, code: 'token_invalid', reason: 'longer than 8 KB' });
  });

  it('a token of exactly 8 KB reaches the signature check (the limit is not off by one)', async () => {
    const token = bigToken(8 * 1024);
    const result = await verifyExternalToken(token, [{ kid: 'env', alg: 'HS256', key: new TextEncoder().encode(TEST_SECRET) } as VerificationKey], policy, now());
    expect(result).toMatchObject({ ok: false, code: 'token_invalid' });
    expect(result.ok === false && result.reason).not.toBe('longer than 8 KB');
  });

  it('1,000 tokens of 1 MB are refused without using the key', async () => {
    const token = bigToken(1024 * 1024);
    for (let i = 0; i < 1000; i++) {
      const result = await verifyExternalToken(token, [untouchable], policy, now());
      if (result.ok || result.reason !== 'longer than 8 KB') throw new Error(`unexpected ${JSON.stringify(result)}`);
    }
  });

  it('1 MB: the exchange answers 413 payload_too_large, the hosted page a 4xx; no cookie, account or log of it', async () => {
    const token = bigToken(1024 * 1024);
    const before = await countUsers();
    const api = await exchange(token);
    expect(api.statusCode).toBe(413);
    expect(api.json()).toEqual({ error: { code: 'payload_too_large', message: expect.any(String) } });
    const page = await hostedPage(token);
    expect(page.statusCode).toBeGreaterThanOrEqual(400);
    expect(page.statusCode).toBeLessThan(500);
    // Through inject there is no HTTP parser: the sign-in code itself refuses the size.
    expect(page.body).toContain('data-code="token_invalid"');
    expect(api.headers['set-cookie']).toBeUndefined();
    expect(sessionCookieOf(page)).toBeUndefined();
    expect(await countUsers()).toBe(before);
    expectNoLeak(token, '1 MB', [api, page]);
    attackCount++;
    perFamily.set('size', (perFamily.get('size') ?? 0) + 1);
  });

  it('1 MB in a real request line: the HTTP server refuses it with a 4xx, never a 5xx', async () => {
    const token = bigToken(1024 * 1024);
    const own = await createTestApp();
    try {
      await own.app.listen({ port: 0, host: '127.0.0.1' });
      const port = (own.app.server.address() as { port: number }).port;
      trap.allowPorts.add(port);
      const head = await new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1');
        let received = '';
        socket.on('data', (chunk) => (received += chunk.toString('latin1')));
        socket.on('error', (error) => (received ? resolve(received) : reject(error)));
        socket.on('close', () => resolve(received));
        socket.write(`GET /?externalAuthCode=${token} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/html\r\n\r\n`);
      });
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1]);
      expect(status, head.slice(0, 200)).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(500);
      expect(leakedPiece(token, own.logs.join('\n'))).toBeUndefined();
    } finally {
      await own.close();
    }
  });
});

// ───────────────────────────────────── cross-token confusion ─────────────────────────────────────

describe('cross-token confusion', () => {
  it('a Parley session token presented as an externalAuthCode', async () => {
    const res = await exchange(await t.sign({ user: { id: 'session-owner' } }));
    expect(res.statusCode).toBe(200);
    const session = res.json().session.token as string;
    expect(session).toMatch(/^pss_/);
    await expectRefused({ family: 'confusion', name: 'session token', make: () => session });
    await expectRefused({ family: 'confusion', name: 'session token as a Bearer string', make: () => `Bearer ${session}` });
  });

  it('a token signed by another Parley instance (its own random secret, kid env)', async () => {
    const other = randomBytes(32);
    await expectRefused({ family: 'confusion', name: 'other instance, kid env', make: () => t.sign({ user: { id: 'victim-other' } }, { secret: other }) });
    await expectRefused({ family: 'confusion', name: 'other instance, no kid', make: () => forge({ alg: 'HS256', typ: 'JWT' }, claims(), { hmac: 'sha256', secret: other }) });
  });

  it('a token signed with a key that was created, then retired', async () => {
    const { kid, secret } = await t.app.services.keys.create(t.clock.now);
    // The HMAC key is either the secret's UTF-8 bytes or its base64url-decoded bytes: take the one the app
    // accepts while the key is active, so that the refusal below is the retirement, not a wrong key.
    let keyBytes: Uint8Array | undefined;
    for (const candidate of [new TextEncoder().encode(secret), new Uint8Array(Buffer.from(secret, 'base64url'))]) {
      const res = await exchange(forge({ alg: 'HS256', typ: 'JWT', kid }, { user: { id: 'rotation-user' }, iat: now(), exp: now() + 600 }, { hmac: 'sha256', secret: candidate }));
      if (res.statusCode === 200) keyBytes = candidate;
    }
    if (!keyBytes) throw new Error('a token signed with a freshly created key does not sign in');
    const withKid = forge({ alg: 'HS256', typ: 'JWT', kid }, claims(), { hmac: 'sha256', secret: keyBytes });
    const withoutKid = forge({ alg: 'HS256', typ: 'JWT' }, claims(), { hmac: 'sha256', secret: keyBytes });
    expect(await t.app.services.keys.retire(kid, t.clock.now)).toBe(true);
    await expectRefused({ family: 'confusion', name: 'retired key, with its kid', make: () => withKid });
    await expectRefused({ family: 'confusion', name: 'retired key, without kid', make: () => withoutKid });
    await expectRefused({ family: 'confusion', name: 'retired key, for the account it signed in before', make: () => forge({ alg: 'HS256', typ: 'JWT', kid }, { user: { id: 'rotation-user' }, iat: now(), exp: now() + 600 }, { hmac: 'sha256', secret: keyBytes }) });
  });

  it('an expired token of a real user stays refused however often it is replayed', async () => {
    const token = await t.sign({ user: { id: 'replayed' } }, { iat: now() - 7200, expiresIn: 3600 });
    for (let i = 0; i < 3; i++) await expectRefused({ family: 'replay', name: `expired token, attempt ${i + 1}`, code: 'token_expired', make: () => token });
  });
});

// ─────────────────────────────────────── identity edge cases ───────────────────────────────────────

describe('identities that look alike', () => {
  it('user.id in NFD form of an existing NFC id is token_invalid, and is not that account', async () => {
    const nfc = 'Jos\u00e9-K\u00f6nig';
    const nfd = nfc.normalize('NFD');
    expect(nfd).not.toBe(nfc);
    const res = await exchange(await t.sign({ user: { id: nfc } }));
    expect(res.statusCode).toBe(200);
    await expectRefused({ family: 'unicode', name: 'NFD form of an existing NFC user.id', make: () => t.sign({ user: { id: nfd } }) });
    await expectRefused({ family: 'unicode', name: 'NFD form in the id form', make: () => t.sign({ id: nfd }) });
  });

  it('user.id differing only by case is a different account (ids are case-sensitive by design)', async () => {
    const first = await exchange(await t.sign({ user: { id: 'case-alice' } }));
    expect(first.statusCode).toBe(200);
    const before = await countUsers();
    const token = await t.sign({ user: { id: 'CASE-ALICE' } });
    const res = await exchange(token);
    expect(res.statusCode).toBe(200);
    expect(res.json().user.id).not.toBe(first.json().user.id);
    expect(res.json().user.externalId).toBe('CASE-ALICE');
    expect(await countUsers()).toBe(before + 1);
    // And the first account is still the one its own id signs into.
    expect((await exchange(await t.sign({ user: { id: 'case-alice' } }))).json().user.id).toBe(first.json().user.id);
    expectNoLeak(token, 'case', [res]);
  });
});

// ──────────────────────────────── duplicates and prototype keys ────────────────────────────────

describe('duplicate members and prototype keys', () => {
  /**
   * Duplicate member names in the header or the claims are refused (docs/external-auth.md): RFC 7515 §4
   * allows rejecting them, and rejecting leaves no room for a parser that keeps the first one to disagree.
   */
  async function expectDuplicateRefused(label: string, header: string, payload: string) {
    const token = forge(header, payload, ENV);
    const before = await countUsers();
    const page = await hostedPage(token);
    const api = await exchange(token);
    expect([page.statusCode, api.statusCode], label).toEqual([401, 401]);
    expect(api.json(), label).toEqual({ error: { code: 'token_invalid', message: 'The sign-in token is not valid.' } });
    expect(await countUsers(), label).toBe(before);
    expectNoLeak(token, label, [page, api]);
  }

  it('duplicate "user" members are refused, whichever comes last', async () => {
    await expectDuplicateRefused('duplicate user claim', JSON.stringify(HS()), `{"user":{"id":"dup-a"},"user":{"id":"dup-b"},"iat":${now()},"exp":${now() + 600}}`);
  });

  it('duplicate members inside "user" are refused, also when spelled with escapes', async () => {
    await expectDuplicateRefused('duplicate user.id', JSON.stringify(HS()), `{"user":{"id":"dup-c","\\u0069d":"dup-d"},"iat":${now()},"exp":${now() + 600}}`);
  });

  it('duplicate "exp" members are refused, an expired one last or first', async () => {
    await expectDuplicateRefused('duplicate exp claim (valid, then expired)', JSON.stringify(HS()), `{"user":{"id":"dup-exp"},"iat":${now() - 7200},"exp":${now() + 600},"exp":${now() - 3600}}`);
    await expectDuplicateRefused('duplicate exp claim (expired, then valid)', JSON.stringify(HS()), `{"user":{"id":"dup-exp"},"iat":${now() - 7200},"exp":${now() - 3600},"exp":${now() + 600}}`);
  });

  it('duplicate "alg" members in the header are refused, none first or last', async () => {
    await expectDuplicateRefused('duplicate alg header (none, then HS256)', `{"alg":"none","alg":"HS256","kid":"env"}`, claimsJson());
    await expectDuplicateRefused('duplicate alg header (HS256, then none)', `{"alg":"HS256","alg":"none","kid":"env"}`, claimsJson());
  });

  it('__proto__ and constructor keys inside user are plain metadata and pollute no prototype', async () => {
    const token = forge(HS(), `{"user":{"id":"proto-user","__proto__":{"isAdmin":true,"role":"owner"},"constructor":{"prototype":{"isAdmin":true}}},"iat":${now()},"exp":${now() + 600}}`, ENV);
    const res = await exchange(token);
    expect(res.statusCode).toBe(200);
    expect(res.json().user).toMatchObject({ externalId: 'proto-user', role: 'member' });
    expect(({} as Record<string, unknown>)['isAdmin']).toBeUndefined();
    expect(({} as Record<string, unknown>)['role']).toBeUndefined();
    const row = await t.db.store.db.selectFrom('users').select(['metadata', 'role']).where('external_id', '=', 'proto-user').executeTakeFirstOrThrow();
    expect(row.role).toBe('member');
    expect(Object.getPrototypeOf(JSON.parse(row.metadata))).toBe(Object.prototype);
    expectNoLeak(token, '__proto__ metadata', [res]);
  });
});

// ────────────────────────────────────────── concurrency ──────────────────────────────────────────

describe('one token, many doors at once', () => {
  it('30 parallel sign-ins with the same token (hosted page and exchange mixed) create exactly one account', async () => {
    const token = await t.sign({ user: { id: 'parallel-user', name: 'Parallel' } });
    const before = await countUsers();
    const responses = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? hostedPage(token, `/p${i}`) : exchange(token))));
    const statuses = responses.map((r) => r.statusCode);
    expect(statuses.filter((s, i) => s !== (i % 2 === 0 ? 303 : 200)), `statuses ${statuses.join(',')}`).toEqual([]);
    const rows = await t.db.store.db.selectFrom('users').select('id').where('external_id', '=', 'parallel-user').execute();
    expect(rows).toHaveLength(1);
    expect(await countUsers()).toBe(before + 1);
    const ids = new Set(responses.filter((_, i) => i % 2 === 1).map((r) => r.json().user.id as string));
    expect([...ids]).toEqual([rows[0]!.id]);
    const cookies = new Set(responses.filter((_, i) => i % 2 === 0).map((r) => r.cookies.find((c) => c.name === 'parley_session')?.value));
    expect(cookies.size).toBe(15); // a fresh session for every sign-in
    expectNoLeak(token, 'parallel', responses);
  });
});
