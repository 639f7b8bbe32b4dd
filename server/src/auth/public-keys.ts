/**
 * Integrators' public keys (docs/external-auth.md, Keys): ES256 (P-256), EdDSA (Ed25519) and RS256 (at
 * least 2048 bits), given as PEM or JWK. They are checked once, on registration, and stored as public JWKs;
 * private key material is refused so that it never reaches Parley by mistake.
 */
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';

export type AsymmetricAlg = 'ES256' | 'EdDSA' | 'RS256';
export const ASYMMETRIC_ALGS: ReadonlySet<string> = new Set<AsymmetricAlg>(['ES256', 'EdDSA', 'RS256']);
export const MIN_RSA_BITS = 2048;

export class KeyFormatError extends Error {
  override name = 'KeyFormatError';
}

function keyObjectOf(input: string): KeyObject {
  const text = input.trim();
  if (/PRIVATE KEY/.test(text)) throw new KeyFormatError('that is a private key: register the public key only');
  if (text.startsWith('{')) {
    let jwk: JsonWebKey;
    try {
      jwk = JSON.parse(text) as JsonWebKey;
    } catch {
      throw new KeyFormatError('the JWK is not valid JSON');
    }
    if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw new KeyFormatError('the JWK is not an object');
    if ('d' in jwk || 'p' in jwk || 'k' in jwk) throw new KeyFormatError('the JWK holds private or symmetric key material');
    try {
      return createPublicKey({ key: jwk, format: 'jwk' });
    } catch {
      throw new KeyFormatError('the JWK is not a public key');
    }
  }
  if (!text.startsWith('-----BEGIN PUBLIC KEY-----')) throw new KeyFormatError('expected a PEM "PUBLIC KEY" or a JWK');
  try {
    return createPublicKey({ key: text, format: 'pem' });
  } catch {
    throw new KeyFormatError('the PEM is not a public key');
  }
}

/** Checks that `input` is a public key fit for `alg` and returns it as a minimal public JWK. */
export function parsePublicKey(input: string, alg: AsymmetricAlg): JsonWebKey {
  const key = keyObjectOf(input);
  const details = key.asymmetricKeyDetails ?? {};
  switch (alg) {
    case 'ES256':
      if (key.asymmetricKeyType !== 'ec' || details.namedCurve !== 'prime256v1') throw new KeyFormatError('ES256 needs an EC P-256 key');
      break;
    case 'EdDSA':
      if (key.asymmetricKeyType !== 'ed25519') throw new KeyFormatError('EdDSA needs an Ed25519 key');
      break;
    case 'RS256':
      if (key.asymmetricKeyType !== 'rsa') throw new KeyFormatError('RS256 needs an RSA key');
      if ((details.modulusLength ?? 0) < MIN_RSA_BITS) throw new KeyFormatError(`RSA keys need at least ${MIN_RSA_BITS} bits`);
      break;
  }
  return key.export({ format: 'jwk' });
}

/** The alg a JWK from a JWK Set is for, or null if Parley does not accept it. */
export function algOfJwk(jwk: Record<string, unknown>): AsymmetricAlg | null {
  if ('d' in jwk || 'k' in jwk) return null;
  if (jwk['use'] !== undefined && jwk['use'] !== 'sig') return null;
  const declared = jwk['alg'];
  const inferred: AsymmetricAlg | null =
    jwk['kty'] === 'EC' && jwk['crv'] === 'P-256' ? 'ES256' : jwk['kty'] === 'OKP' && jwk['crv'] === 'Ed25519' ? 'EdDSA' : jwk['kty'] === 'RSA' ? 'RS256' : null;
  if (declared !== undefined && declared !== inferred) return null;
  if (inferred === null) return null;
  try {
    parsePublicKey(JSON.stringify(jwk), inferred);
  } catch {
    return null;
  }
  return inferred;
}
