import { generateKeyPairSync } from 'node:crypto';
import { SignJWT, importPKCS8, exportJWK, generateKeyPair } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyFormatError, parsePublicKey, algOfJwk, type AsymmetricAlg } from '../../../server/src/auth/public-keys.js';
import { createSafeJwksFetch, isPrivateAddress, checkJwksUrl, type JwksFetch } from '../../../server/src/auth/jwks.js';
import { buildApp } from '../../../server/src/app.js';
import { loadConfig } from '../../../server/src/config.js';
import { createTestApp, type TestApp } from '../../helpers/app.js';
import { craftToken } from '../../helpers/jwt.js';

const pem = (type: 'ec' | 'ed25519' | 'rsa', bits = 2048) => {
  const pair =
    type === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : type === 'rsa'
        ? generateKeyPairSync('rsa', { modulusLength: bits })
        : generateKeyPairSync('ed25519');
  return {
    publicPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privatePem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
};

describe('parsePublicKey', () => {
  it('accepts ES256, EdDSA and RS256 public keys as PEM or JWK and stores a public JWK', async () => {
    const ec = pem('ec');
    expect(parsePublicKey(ec.publicPem, 'ES256')).toMatchObject({ kty: 'EC', crv: 'P-256' });
    expect(parsePublicKey(pem('ed25519').publicPem, 'EdDSA')).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });
    expect(parsePublicKey(pem('rsa').publicPem, 'RS256')).toMatchObject({ kty: 'RSA', e: 'AQAB' });
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = await exportJWK(publicKey);
    expect(parsePublicKey(JSON.stringify(jwk), 'ES256')).toEqual({ kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y });
  });

  const refusals: [string, () => string, AsymmetricAlg, string][] = [
    ['a private key PEM', () => pem('ec').privatePem, 'ES256', 'private key'],
    ['an RSA key of 1024 bits', () => pem('rsa', 1024).publicPem, 'RS256', '2048'],
    ['an EC key for RS256', () => pem('ec').publicPem, 'RS256', 'RSA'],
    ['an RSA key for ES256', () => pem('rsa').publicPem, 'ES256', 'P-256'],
    ['a JWK with private material', () => JSON.stringify({ kty: 'EC', crv: 'P-256', x: 'a', y: 'b', d: 'c' }), 'ES256', 'private'],
    ['garbage', () => 'hello', 'ES256', 'PEM'],
    ['JSON that is not a key', () => '{"kty":"nope"}', 'ES256', 'public key'],
  ];
  it.each(refusals)('refuses %s', (_name, make, alg, message) => {
    expect(() => parsePublicKey(make(), alg)).toThrow(KeyFormatError);
    expect(() => parsePublicKey(make(), alg)).toThrow(message);
  });

  it('algOfJwk infers the algorithm and refuses mismatched, private or encryption keys', async () => {
    const { publicKey } = await generateKeyPair('EdDSA', { extractable: true });
    const jwk = (await exportJWK(publicKey)) as Record<string, unknown>;
    expect(algOfJwk(jwk)).toBe('EdDSA');
    expect(algOfJwk({ ...jwk, alg: 'ES256' })).toBeNull();
    expect(algOfJwk({ ...jwk, use: 'enc' })).toBeNull();
    expect(algOfJwk({ kty: 'oct', k: 'abc' })).toBeNull();
  });
});

describe('JWKS fetching safety', () => {
  it('knows private, loopback, link-local and unique-local addresses', () => {
    for (const ip of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '0.0.0.0', '100.64.0.1', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:127.0.0.1']) {
      expect(isPrivateAddress(ip), ip).toBe(true);
    }
    for (const ip of ['93.184.216.34', '8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8']) expect(isPrivateAddress(ip), ip).toBe(false);
  });

  it('refuses http URLs and private hosts before connecting', async () => {
    expect(() => checkJwksUrl('http://keys.example.com/jwks.json')).toThrow('https');
    expect(() => checkJwksUrl('https://user:pw@keys.example.com/')).toThrow('credentials');
    const fetchJwks = createSafeJwksFetch({ allowPrivate: false, timeoutMs: 500 });
    await expect(fetchJwks('http://127.0.0.1:1/jwks')).rejects.toThrow('https');
    await expect(fetchJwks('https://127.0.0.1:1/jwks')).rejects.toThrow('private');
    await expect(fetchJwks('https://[::1]:1/jwks')).rejects.toThrow('private');
    await expect(fetchJwks('https://localhost:1/jwks')).rejects.toThrow('private');
  });
});

describe('sign-in with asymmetric keys', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await createTestApp();
  });
  afterEach(async () => {
    await t.close();
  });

  const exchange = (externalAuthCode: string) => t.app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode } });
  const signWith = async (alg: 'ES256' | 'EdDSA' | 'RS256', privatePem: string, kid: string, payload: Record<string, unknown> = { user: { id: 'asym' } }) =>
    new SignJWT(payload)
      .setProtectedHeader({ alg, kid })
      .setIssuedAt(Math.floor(t.clock.now / 1000))
      .setExpirationTime(Math.floor(t.clock.now / 1000) + 600)
      .sign(await importPKCS8(privatePem, alg));

  it.each([
    ['ES256', 'ec'],
    ['EdDSA', 'ed25519'],
    ['RS256', 'rsa'],
  ] as const)('%s: a registered public key signs in; the wrong key, a retired key and another alg do not', async (alg, type) => {
    const keys = pem(type);
    await t.app.services.keys.addPublicKey('integrator-1', alg, parsePublicKey(keys.publicPem, alg), t.clock.now);
    const ok = await exchange(await signWith(alg, keys.privatePem, 'integrator-1'));
    expect(ok.statusCode).toBe(200);
    expect(ok.json().user.externalId).toBe('asym');
    expect((await exchange(await signWith(alg, pem(type).privatePem, 'integrator-1'))).json().error.code).toBe('token_invalid');
    await t.app.services.keys.retire('integrator-1', t.clock.now);
    expect((await exchange(await signWith(alg, keys.privatePem, 'integrator-1'))).json().error.code).toBe('token_invalid');
  });

  it('key confusion: an HS256 token whose secret is the public key PEM (or JWK) is refused', async () => {
    const keys = pem('ec');
    await t.app.services.keys.addPublicKey('integrator-ec', 'ES256', parsePublicKey(keys.publicPem, 'ES256'), t.clock.now);
    const claims = { user: { id: 'mallory' }, exp: Math.floor(t.clock.now / 1000) + 60 };
    for (const secret of [keys.publicPem, JSON.stringify(parsePublicKey(keys.publicPem, 'ES256'))]) {
      for (const header of [{ alg: 'HS256', kid: 'integrator-ec' }, { alg: 'HS256' }]) {
        const res = await exchange(craftToken(header, claims, secret));
        expect(res.statusCode).toBe(401);
        expect(res.json().error.code).toBe('token_invalid');
      }
    }
  });

  it('JWKS: keys resolve by kid, the set is cached, and a flood of unknown kids fetches once per cooldown', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'rotating-1', alg: 'ES256', use: 'sig' }] };
    const calls: string[] = [];
    const jwksFetch: JwksFetch = async (url) => {
      calls.push(url);
      return jwks;
    };
    const config = loadConfig({ PUBLIC_URL: 'http://127.0.0.1:3000', PARLEY_SIGNIN_RATE_LIMIT: '0', PARLEY_SIGNIN_RATE_LIMIT_PER_KEY: '0' });
    const app = await buildApp({ config, store: t.db.store, now: () => t.clock.now, jwksFetch });
    try {
      await t.app.services.keys.addJwks('https://keys.example.com/jwks.json', t.clock.now);
      const sign = (kid: string) =>
        new SignJWT({ user: { id: 'jwks-user' } }).setProtectedHeader({ alg: 'ES256', kid }).setIssuedAt(Math.floor(t.clock.now / 1000)).setExpirationTime(Math.floor(t.clock.now / 1000) + 600).sign(privateKey);
      const first = await app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await sign('rotating-1') } });
      expect(first.statusCode).toBe(200);
      expect(calls).toEqual(['https://keys.example.com/jwks.json']);
      for (let i = 0; i < 50; i++) {
        const res = await app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await sign(`made-up-${i}`) } });
        expect(res.json().error.code).toBe('token_invalid');
      }
      expect(calls).toHaveLength(1); // still inside the first cooldown
      t.clock.now += 31_000;
      await app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: await sign('made-up-again') } });
      expect(calls).toHaveLength(2);
      // A key rotated in at the integrator is picked up on its first unknown-kid sight after the cooldown.
      const next = await generateKeyPair('ES256', { extractable: true });
      jwks.keys.push({ ...(await exportJWK(next.publicKey)), kid: 'rotating-2', alg: 'ES256', use: 'sig' });
      t.clock.now += 31_000;
      const rotated = await new SignJWT({ user: { id: 'jwks-user' } }).setProtectedHeader({ alg: 'ES256', kid: 'rotating-2' }).setIssuedAt(Math.floor(t.clock.now / 1000)).setExpirationTime(Math.floor(t.clock.now / 1000) + 600).sign(next.privateKey);
      expect((await app.inject({ method: 'POST', url: '/api/v1/auth/exchange', payload: { externalAuthCode: rotated } })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});
