/**
 * Verification of an `externalAuthCode` (docs/external-auth.md) as one plain function: the token, the active
 * keys, the policy and the current time go in; a typed identity or a failure code comes out. Nothing here
 * reads a database, a clock or the network, and nothing throws for any input.
 *
 * Order matters: the size and format checks run before any cryptography, the signature before any claim is
 * believed, and the claims before the identity.
 */
import { compactVerify } from 'jose';
import { parseCompactJws, parseJsonObject } from './jws.js';
import { parseResources, type ResourceGrant } from '../permissions/resources.js';
import { parseAvatarUrl, parseEmail, parseFlag, parseId, parseName, type Field } from '#shared/fields.js';

export type TokenAlg = 'HS256' | 'ES256' | 'EdDSA' | 'RS256';

/**
 * Which kind of token is expected: an integrator's external token (`typ` absent or `JWT`, any issuer), or
 * one Parley minted (`typ` of minted tokens, `iss` = this instance's public URL). A token of one kind is
 * never accepted as the other.
 */
export interface TokenKind {
  typ: string;
  issuer?: string;
}
export const EXTERNAL: TokenKind = { typ: 'JWT' };
/** The allowlist: nothing else is ever verified (`none`, HS384, PS256, … are refused). */
export const TOKEN_ALGS: ReadonlySet<string> = new Set<TokenAlg>(['HS256', 'ES256', 'EdDSA', 'RS256']);

/**
 * An active key: its kid, the one algorithm it verifies, and the key imported once by the key ring. A
 * token is only ever checked against keys of the algorithm its header names, so an HS256 token can never
 * be checked with a public key as its secret (key confusion).
 */
export interface VerificationKey {
  kid: string;
  alg: TokenAlg;
  key: CryptoKey | Uint8Array;
}

/** Looks up a kid the static keys do not have (a JWK Set that may have rotated); may fetch. */
export type KidResolver = (kid: string, alg: TokenAlg) => Promise<VerificationKey | undefined>;

// Exact signature sizes where the algorithm fixes them; RSA's is the modulus size (2048 bits or more).
const SIGNATURE_BYTES = new Map<TokenAlg, number>([['HS256', 32], ['ES256', 64], ['EdDSA', 64]]);

export interface VerifyPolicy {
  maxLifetimeSeconds: number;
  clockToleranceSeconds: number;
}

export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 60;

export interface UserProfileClaims {
  /** undefined = not in the token (leave as is); null = clear. */
  email: string | null | undefined;
  name: string | null | undefined;
  avatarUrl: string | null | undefined;
  /** Every other key of `user`; undefined when there are none. */
  metadata: Record<string, unknown> | undefined;
  /** `user.isAdmin` of a signed token (docs/token-api.md): true makes the account an admin, false a member. */
  isAdmin: boolean | undefined;
}

/** The three payload forms (docs/external-auth.md), the first that matches winning. */
export type Identity =
  | {
      form: 'user';
      externalId: string;
      profile: UserProfileClaims;
      /** `user.organizationId`: the account's organization (docs/token-api.md); undefined = leave as is. */
      organizationId: string | undefined;
      /** `permissions.resources` of the token: grants to record for the account. */
      resources: ResourceGrant[] | undefined;
    }
  | { form: 'id'; id: string }
  | { form: 'email'; email: string };

export type VerifyFailureCode = 'token_missing' | 'token_invalid' | 'token_expired' | 'external_auth_disabled';

export type VerifyResult =
  | { ok: true; kid: string; identity: Identity; expiresAt: number; jti: string | undefined; issuer: string | undefined }
  | { ok: false; code: VerifyFailureCode; reason: string };

const MAX_KID_CHARS = 256;
const PROFILE_KEYS: ReadonlySet<string> = new Set(['id', 'email', 'name', 'avatarUrl', 'isAdmin', 'organizationId']);

const fail = (code: VerifyFailureCode, reason: string): VerifyResult => ({ ok: false, code, reason });
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const has = (o: object, key: string) => Object.prototype.hasOwnProperty.call(o, key);

/** A profile claim: absent (leave as is), null (clear), or a value its field rule accepts. */
function optionalClaim(value: unknown, parse: (value: unknown) => Field<string>): Field<string | null | undefined> {
  return value === undefined || value === null ? { ok: true, value } : parse(value);
}

/**
 * Reads the identity from a verified payload, or says why it has none. Every field is read by its rule in
 * shared/src/fields.ts, the same rule the token API and the admin REST apply, so what they accept signs in.
 */
export function readIdentity(payload: Record<string, unknown>): Identity | string {
  if (has(payload, 'user')) {
    const user = payload['user'];
    if (!isObject(user)) return 'user is not an object';
    const externalId = parseId(user['id']);
    if (!externalId.ok) return `user.id ${externalId.reason}`;
    const email = optionalClaim(user['email'], parseEmail);
    if (!email.ok) return `user.email ${email.reason}`;
    const name = optionalClaim(user['name'], parseName);
    if (!name.ok) return `user.name ${name.reason}`;
    const avatarUrl = optionalClaim(user['avatarUrl'], parseAvatarUrl);
    if (!avatarUrl.ok) return `user.avatarUrl ${avatarUrl.reason}`;
    const isAdmin = user['isAdmin'] === undefined ? undefined : parseFlag(user['isAdmin']);
    if (isAdmin && !isAdmin.ok) return `user.isAdmin ${isAdmin.reason}`;
    let organizationId: string | undefined;
    if (user['organizationId'] !== undefined) {
      const parsed = parseId(user['organizationId']);
      if (!parsed.ok) return `user.organizationId ${parsed.reason}`;
      organizationId = parsed.value;
    }
    let resources: ResourceGrant[] | undefined;
    if (has(payload, 'permissions')) {
      const permissions = payload['permissions'];
      if (!isObject(permissions)) return 'permissions must be an object';
      const parsed = parseResources(permissions['resources'] ?? [], 'permissions.resources');
      if (typeof parsed === 'string') return parsed;
      resources = parsed;
    }
    // Object.fromEntries defines own properties, so a `__proto__` key stays a plain key.
    const rest = Object.entries(user).filter(([key]) => !PROFILE_KEYS.has(key));
    const metadata = rest.length > 0 ? Object.fromEntries(rest) : undefined;
    const profile = { email: email.value, name: name.value, avatarUrl: avatarUrl.value, metadata, isAdmin: isAdmin?.value };
    return { form: 'user', externalId: externalId.value, profile, organizationId, resources };
  }
  if (has(payload, 'id')) {
    const id = payload['id'];
    // Integrators sign `{ id: 1234 }`: an integer id is read as its decimal string.
    if (typeof id === 'number' && Number.isSafeInteger(id) && id >= 0) return { form: 'id', id: String(id) };
    const parsed = parseId(id);
    return parsed.ok ? { form: 'id', id: parsed.value } : `id ${parsed.reason}`;
  }
  if (has(payload, 'email')) {
    const email = parseEmail(payload['email']);
    return email.ok ? { form: 'email', email: email.value } : `email ${email.reason}`;
  }
  return 'payload has none of user, id or email';
}

/** Checks exp, nbf, iat and the lifetime rule (docs/external-auth.md) at `now` (seconds). */
export function checkTimeClaims(payload: Record<string, unknown>, policy: VerifyPolicy, now: number): VerifyResult | number {
  const { exp, iat, nbf } = payload;
  const tolerance = policy.clockToleranceSeconds;
  if (exp === undefined) return fail('token_invalid', 'exp is required');
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return fail('token_invalid', 'exp must be a number');
  if (iat !== undefined && (typeof iat !== 'number' || !Number.isFinite(iat))) return fail('token_invalid', 'iat must be a number');
  if (nbf !== undefined && (typeof nbf !== 'number' || !Number.isFinite(nbf))) return fail('token_invalid', 'nbf must be a number');
  if (typeof iat === 'number' && iat > now + tolerance) return fail('token_invalid', 'iat is in the future');
  if (typeof nbf === 'number' && nbf > now + tolerance) return fail('token_invalid', 'not valid yet (nbf)');
  const issuedAt = typeof iat === 'number' ? iat : now;
  if (exp - issuedAt > policy.maxLifetimeSeconds) return fail('token_invalid', 'lifetime exceeds the maximum');
  if (exp <= now - tolerance) return fail('token_expired', 'exp has passed');
  return exp;
}

async function signatureMatches(token: string, key: VerificationKey): Promise<Uint8Array | undefined> {
  try {
    const { payload } = await compactVerify(token, key.key, { algorithms: [key.alg] });
    return payload;
  } catch {
    return undefined;
  }
}

/**
 * Verifies an external token against the active keys at `now` (Unix seconds). A token whose header names a
 * `kid` is checked against that key only (and only if the key is for the header's `alg`); one without is
 * tried against each active key of its `alg`.
 */
export async function verifyExternalToken(
  token: unknown,
  keys: readonly VerificationKey[],
  policy: VerifyPolicy,
  now: number,
  resolveKid?: KidResolver,
  kind: TokenKind = EXTERNAL,
): Promise<VerifyResult> {
  if (token === undefined || token === null || token === '') return fail('token_missing', 'no token');
  if (keys.length === 0 && !resolveKid) return fail('external_auth_disabled', 'no key is configured');
  if (typeof token !== 'string') return fail('token_invalid', 'not a string');

  const parts = parseCompactJws(token);
  if (typeof parts === 'string') return fail('token_invalid', parts);
  const { header } = parts;
  const alg = header['alg'];
  if (typeof alg !== 'string' || !TOKEN_ALGS.has(alg)) return fail('token_invalid', 'alg is not allowed');
  const tokenAlg = alg as TokenAlg;
  if (has(header, 'crit')) return fail('token_invalid', 'crit extensions are not supported');
  if (has(header, 'b64')) return fail('token_invalid', 'b64 is not supported');
  for (const name of ['jwk', 'jku', 'x5u', 'x5c']) if (has(header, name)) return fail('token_invalid', `${name} header is refused`);
  const typ = header['typ'];
  if (kind.typ === 'JWT' ? typ !== undefined && (typeof typ !== 'string' || typ.toUpperCase() !== 'JWT') : typ !== kind.typ) {
    return fail('token_invalid', `typ is not ${kind.typ}`);
  }
  const expectedSize = SIGNATURE_BYTES.get(tokenAlg);
  if (expectedSize !== undefined ? parts.signature.length !== expectedSize : parts.signature.length < 256) {
    return fail('token_invalid', 'signature has the wrong length');
  }

  let candidates: readonly VerificationKey[];
  if (has(header, 'kid')) {
    const kid = header['kid'];
    if (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_CHARS) return fail('token_invalid', 'kid is malformed');
    const key = new Map(keys.map((k) => [k.kid, k])).get(kid) ?? (resolveKid ? await resolveKid(kid, tokenAlg) : undefined);
    if (!key) return fail('token_invalid', 'unknown kid');
    if (key.alg !== tokenAlg) return fail('token_invalid', 'alg does not match the key');
    candidates = [key];
  } else {
    candidates = keys.filter((k) => k.alg === tokenAlg);
  }

  let verified: { kid: string; payloadBytes: Uint8Array } | undefined;
  for (const key of candidates) {
    const payloadBytes = await signatureMatches(token, key);
    if (payloadBytes) {
      verified = { kid: key.kid, payloadBytes };
      break;
    }
  }
  if (!verified) return fail('token_invalid', 'signature does not match');

  const payload = parseJsonObject(verified.payloadBytes);
  if (!payload) return fail('token_invalid', 'payload is not a JSON object');
  const exp = checkTimeClaims(payload, policy, now);
  if (typeof exp !== 'number') return exp;
  const { jti, iss } = payload;
  if (kind.issuer !== undefined && iss !== kind.issuer) return fail('token_invalid', 'iss is not this instance');
  if (jti !== undefined && (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_KID_CHARS)) return fail('token_invalid', 'jti must be a string of 1 to 256 characters');
  if (iss !== undefined && (typeof iss !== 'string' || iss.length > 2048)) return fail('token_invalid', 'iss must be a string');
  const identity = readIdentity(payload);
  if (typeof identity === 'string') return fail('token_invalid', identity);
  return { ok: true, kid: verified.kid, identity, expiresAt: exp, jti, issuer: iss };
}
