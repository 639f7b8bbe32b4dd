/**
 * Signs an externalAuthCode the way an integrator's backend does: HS256 with a key id. Used by
 * `parley token`, the docs' examples and the tests; the server itself only verifies.
 */
import { SignJWT } from 'jose';

export interface ExternalTokenInput {
  secret: Uint8Array;
  kid: string;
  payload: Record<string, unknown>;
  /** Unix seconds. */
  issuedAt: number;
  expiresInSeconds: number;
}

export function signExternalToken({ secret, kid, payload, issuedAt, expiresInSeconds }: ExternalTokenInput): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid })
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + expiresInSeconds)
    .sign(secret);
}
