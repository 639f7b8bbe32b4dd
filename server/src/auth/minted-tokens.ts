/**
 * Tokens Parley mints through its token API (docs/token-api.md): HS256 with Parley's own key (never the
 * external secret), `typ` `parley-mint+jwt` so they are never taken for an external token or a session,
 * `iss` = the public URL, expiring 48 hours after minting. They carry the same `user` and `permissions`
 * shapes as external tokens, so one sign-in path serves both. A `MintInput` holds values already read by
 * the field rules of shared/src/fields.ts, the ones sign-in applies, so what is minted signs in.
 */
import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import type { ResourceGrant } from '../permissions/resources.js';
import { MINTED_TOKEN_LIFETIME_MS, type MintKeyRow } from '../store/mint-keys.js';
import type { TokenKind } from './verify-external-token.js';

export const MINTED_TYP = 'parley-mint+jwt';
export const MINTED_LIFETIME_SECONDS = MINTED_TOKEN_LIFETIME_MS / 1000;

export const mintedKind = (issuer: string): TokenKind => ({ typ: MINTED_TYP, issuer });

export interface MintInput {
  userId: string;
  organizationId?: string | undefined;
  email?: string | undefined;
  name?: string | undefined;
  isAdmin?: boolean | undefined;
  resources?: readonly ResourceGrant[] | undefined;
}

// Each row (the same object while the mint keys are cached) is imported once.
const imported = new WeakMap<MintKeyRow, KeyObject>();
function signingKey(row: MintKeyRow): KeyObject {
  let key = imported.get(row);
  if (!key) imported.set(row, (key = createSecretKey(Buffer.from(row.secret, 'utf8'))));
  return key;
}

const base64url = (json: object) => Buffer.from(JSON.stringify(json), 'utf8').toString('base64url');

/**
 * A compact JWS (RFC 7515 §7.1) with HS256 (RFC 7518 §3.2), signed with node:crypto's HMAC directly:
 * through WebCrypto, signing was most of a token API call. Parley verifies these like any token (jose).
 */
export function mintToken(key: MintKeyRow, issuer: string, input: MintInput, nowMs: number): string {
  const user: Record<string, unknown> = { id: input.userId };
  if (input.email !== undefined) user['email'] = input.email;
  if (input.name !== undefined) user['name'] = input.name;
  if (input.isAdmin !== undefined) user['isAdmin'] = input.isAdmin;
  if (input.organizationId !== undefined) user['organizationId'] = input.organizationId;
  const payload: Record<string, unknown> = { user };
  if (input.resources && input.resources.length > 0) {
    payload['permissions'] = {
      resources: input.resources.map((r) => ({
        type: r.type,
        id: r.id,
        ...(r.type === 'organization' ? {} : { organizationId: r.organizationId }),
        accessRole: r.accessRole,
        ...(r.expiresAt === null ? {} : { expiresAt: Math.floor(r.expiresAt / 1000) }),
        ...(r.folderId === null ? {} : { folderId: r.folderId }),
      })),
    };
  }
  const iat = Math.floor(nowMs / 1000);
  const signingInput = `${base64url({ alg: 'HS256', typ: MINTED_TYP, kid: key.kid })}.${base64url({ ...payload, iss: issuer, iat, exp: iat + MINTED_LIFETIME_SECONDS })}`;
  return `${signingInput}.${createHmac('sha256', signingKey(key)).update(signingInput).digest('base64url')}`;
}
