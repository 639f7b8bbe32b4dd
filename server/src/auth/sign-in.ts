/**
 * Sign-in by external token, end to end (docs/external-auth.md: The token, Outcomes, Sessions, Seats):
 * verify, find or create the account within the seat limit, apply the signed profile, open a fresh session.
 * Both the hosted page and the exchange endpoint call this one function; it answers a result, never throws
 * for a bad token, and never logs one.
 */
import type { Sessions } from './sessions.js';
import type { UserRepository, UserRow } from '../store/users.js';
import { DEFAULT_ORGANIZATION_ID } from '../store/migrations.js';
import type { KeyRepository } from '../store/keys.js';
import type { JtiRepository } from '../store/jtis.js';
import type { KeyRing } from './key-ring.js';
import { ENV_KID } from './key-ring.js';
import { DEFAULT_CLOCK_TOLERANCE_SECONDS, type Identity, verifyExternalToken } from './verify-external-token.js';
import { createVerifiedTokenCache } from './verified-token-cache.js';
import { EXTERNAL, type VerificationKey } from './verify-external-token.js';
import { MINTED_LIFETIME_SECONDS, MINTED_TYP, mintedKind } from './minted-tokens.js';
import { peekJwsHeader } from './jws.js';
import type { MintKeyRepository } from '../store/mint-keys.js';
import type { OrganizationRepository } from '../store/organizations.js';
import type { GrantRepository } from '../store/grants.js';

export const SESSION_TTL_MS = 24 * 3600 * 1000;
const KEY_USAGE_WRITE_INTERVAL_MS = 60_000;
/** `last seen` is written at most once a minute per account: a page load per second must not be a write per second. */
const LAST_SEEN_WRITE_INTERVAL_MS = 60_000;

export type SignInFailureCode =
  | 'token_missing'
  | 'token_invalid'
  | 'token_expired'
  | 'external_auth_disabled'
  | 'user_not_found'
  | 'email_conflict'
  | 'seat_limit_reached'
  | 'user_deactivated';

export type SignInResult =
  | { ok: true; user: UserRow; created: boolean; session: { token: string; id: string; expiresAt: number }; kid: string }
  | { ok: false; code: SignInFailureCode; reason: string };

export interface SignInDeps {
  keyRing: KeyRing;
  mintKeys: MintKeyRepository;
  organizations: OrganizationRepository;
  grants: GrantRepository;
  /** This instance's public URL: the issuer of the tokens it mints. */
  issuer: () => string;
  keys: KeyRepository;
  users: UserRepository;
  sessions: Sessions;
  jtis: JtiRepository;
  settings: () => Promise<{ seatLimit: number; tokenMaxLifetimeSeconds: number; externalAuthEnabled: boolean }>;
  /** PARLEY_REQUIRE_JTI: every code must carry a `jti`, usable once. Fixed at boot. */
  requireJti: boolean;
  now: () => number;
}

type Resolution = { ok: true; user: UserRow; created: boolean } | { ok: false; code: SignInFailureCode; reason: string };

export function createSignIn(deps: SignInDeps) {
  const { users } = deps;
  const lastKeyUseWrite = new Map<string, number>();
  const verifiedTokens = createVerifiedTokenCache();
  const mintImports = new Map<string, VerificationKey>();

  /** Parley's minting keys that still verify, imported once per kid. */
  async function mintVerificationKeys(now: number): Promise<VerificationKey[]> {
    const rows = await deps.mintKeys.verifying(now);
    return rows.map((row) => {
      let key = mintImports.get(row.kid);
      if (!key) mintImports.set(row.kid, (key = { kid: row.kid, alg: 'HS256', key: new TextEncoder().encode(row.secret) }));
      return key;
    });
  }


  async function applyProfile(user: UserRow, identity: Extract<Identity, { form: 'user' }>): Promise<Resolution> {
    const { email, name, avatarUrl, metadata, isAdmin } = identity.profile;
    // Refuse first, change after: an email_conflict must leave the account exactly as it was.
    if (email) {
      const owner = await users.findByEmail(email);
      if (owner && owner.id !== user.id) return { ok: false, code: 'email_conflict', reason: 'email belongs to another account' };
    }
    if (identity.organizationId !== undefined && identity.organizationId !== user.organization_id) {
      await users.setOrganization(user.id, identity.organizationId);
      user = { ...user, organization_id: identity.organizationId };
    }
    // A signed isAdmin makes a member an admin or an admin a member; an owner stays an owner.
    if (isAdmin !== undefined && user.role !== 'owner' && (user.role === 'admin') !== isAdmin) {
      await users.setRole(user.id, isAdmin ? 'admin' : 'member');
      user = { ...user, role: isAdmin ? 'admin' : 'member' };
    }
    const changed =
      (email !== undefined && email !== user.email) ||
      (name !== undefined && name !== user.name) ||
      (avatarUrl !== undefined && avatarUrl !== user.avatar_url) ||
      (metadata !== undefined && JSON.stringify(metadata) !== user.metadata);
    if (!changed) return { ok: true, user, created: false };
    try {
      return { ok: true, user: await users.updateProfile(user.id, { email, name, avatarUrl, metadata }), created: false };
    } catch (error) {
      // A concurrent sign-in took the email between our check and the update (unique index).
      if (email && (await users.findByEmail(email))?.id !== user.id) return { ok: false, code: 'email_conflict', reason: 'email belongs to another account' };
      throw error;
    }
  }

  async function resolveUserIdentity(identity: Extract<Identity, { form: 'user' }>, now: number): Promise<Resolution> {
    // Two passes at most: the second runs when a concurrent sign-in created the same user first.
    for (let attempt = 0; attempt < 2; attempt++) {
      const existing = await users.findByExternalId(identity.externalId);
      if (existing) {
        if (!existing.active) return { ok: false, code: 'user_deactivated', reason: 'account deactivated' };
        return applyProfile(existing, identity);
      }
      const { email, name, avatarUrl, metadata } = identity.profile;
      if (email) {
        const owner = await users.findByEmail(email);
        // The owner may be this very user, created by a concurrent sign-in since we looked: read again.
        if (owner && owner.external_id === identity.externalId) continue;
        if (owner) return { ok: false, code: 'email_conflict', reason: 'email belongs to another account' };
      }
      const created = await users.createWithinSeatLimit(
        {
          externalId: identity.externalId,
          email: email ?? null,
          name: name ?? null,
          avatarUrl: avatarUrl ?? null,
          metadata: metadata ?? {},
          role: identity.profile.isAdmin ? 'admin' : 'member',
          organizationId: identity.organizationId ?? DEFAULT_ORGANIZATION_ID,
          createdVia: 'external_token',
        },
        (await deps.settings()).seatLimit,
        now,
      );
      if (created.ok) return { ok: true, user: created.user, created: true };
      if (created.reason === 'seat_limit_reached') return { ok: false, code: 'seat_limit_reached', reason: 'every seat is taken' };
    }
    const again = await users.findByExternalId(identity.externalId);
    if (again) return again.active ? applyProfile(again, identity) : { ok: false, code: 'user_deactivated', reason: 'account deactivated' };
    return { ok: false, code: 'email_conflict', reason: 'email belongs to another account' };
  }

  async function resolve(identity: Identity, now: number): Promise<Resolution> {
    if (identity.form === 'user') return resolveUserIdentity(identity, now);
    const user = identity.form === 'id' ? await users.findById(identity.id) : await users.findByEmail(identity.email);
    if (!user) return { ok: false, code: 'user_not_found', reason: `no account with this ${identity.form}` };
    if (!user.active) return { ok: false, code: 'user_deactivated', reason: 'account deactivated' };
    return { ok: true, user, created: false };
  }

  async function noteKeyUse(kid: string, now: number): Promise<void> {
    if (kid === ENV_KID) return;
    const last = lastKeyUseWrite.get(kid) ?? 0;
    if (now - last < KEY_USAGE_WRITE_INTERVAL_MS) return;
    lastKeyUseWrite.set(kid, now);
    await deps.keys.markUsed(kid, now);
  }

  /** Signs in with an external token; `token` is whatever the request carried (unknown until verified). */
  return async function signIn(token: unknown): Promise<SignInResult> {
    const now = deps.now();
    const { tokenMaxLifetimeSeconds, externalAuthEnabled } = await deps.settings();
    const { requireJti } = deps;
    if (!externalAuthEnabled && token !== undefined && token !== null && token !== '') {
      return { ok: false, code: 'external_auth_disabled', reason: 'turned off by an administrator' };
    }
    const nowSeconds = Math.floor(now / 1000);
    // A token Parley minted (its typ says so) is checked against Parley's own keys and issuer only.
    const minted = verifiedTokens.minted(token) ?? peekJwsHeader(token)?.['typ'] === MINTED_TYP;
    const active = minted ? { keys: await mintVerificationKeys(now), resolveKid: undefined } : await deps.keyRing.active();
    // A token that calls itself minted when this instance has never minted is simply not valid here.
    if (minted && active.keys.length === 0) return { ok: false, code: 'token_invalid', reason: 'no key of this instance signed it' };
    const maxLifetime = minted ? MINTED_LIFETIME_SECONDS : tokenMaxLifetimeSeconds;
    const verified =
      verifiedTokens.get(token, active.keys, maxLifetime, DEFAULT_CLOCK_TOLERANCE_SECONDS, nowSeconds) ??
      (await verifyExternalToken(
        token,
        active.keys,
        { maxLifetimeSeconds: maxLifetime, clockToleranceSeconds: DEFAULT_CLOCK_TOLERANCE_SECONDS },
        nowSeconds,
        active.resolveKid,
        minted ? mintedKind(deps.issuer()) : EXTERNAL,
      ));
    if (!verified.ok) return verified;
    if (typeof token === 'string') verifiedTokens.put(token, verified, active.keys, maxLifetime, minted);
    if (requireJti && verified.jti === undefined) return { ok: false, code: 'token_invalid', reason: 'jti is required' };
    if (verified.identity.form === 'user' && verified.identity.organizationId !== undefined) await deps.organizations.ensure(verified.identity.organizationId, now);
    const resolved = await resolve(verified.identity, now);
    if (!resolved.ok) return resolved;
    if (verified.identity.form === 'user' && verified.identity.resources) await deps.grants.upsert(resolved.user.id, verified.identity.resources);
    // The code is spent only once it would have signed in, so a full instance does not burn it.
    if (verified.jti !== undefined && requireJti) {
      const first = await deps.jtis.claim(verified.issuer ?? `kid:${verified.kid}`, verified.jti, verified.expiresAt * 1000, now);
      if (!first) return { ok: false, code: 'token_invalid', reason: 'jti was already used' };
    }
    const session = await deps.sessions.create(resolved.user, now, SESSION_TTL_MS);
    const lastSeen = resolved.user.last_seen_at;
    const seen = lastSeen === null || now - lastSeen >= LAST_SEEN_WRITE_INTERVAL_MS;
    if (seen) await users.touchLastSeen(resolved.user.id, now);
    await noteKeyUse(verified.kid, now);
    return { ok: true, user: seen ? { ...resolved.user, last_seen_at: now } : resolved.user, created: resolved.created, session, kid: verified.kid };
  };
}
