/**
 * External-auth keys: create an HS256 key (its secret answered once), register an integrator's public key
 * or JWK Set URL, retire a key. Keys let their holder sign in as anyone, owners included, so only an owner
 * (or the CLI) may change them. Each change is audited in its transaction (audited.ts).
 */
import { ENV_KID } from '../auth/key-ring.js';
import type { AsymmetricAlg } from '../auth/public-keys.js';
import { ParleyError } from '../errors.js';
import { createKeyRepository, type KeyRow } from '../store/keys.js';
import { rightsOf, type Context } from './actor.js';
import type { Audited } from './audited.js';

/** Keys, credentials and API keys sign in as anyone: owners only. */
export function requireOwnerRights(ctx: Context, what: string): void {
  if (rightsOf(ctx.actor) !== 'owner') throw new ParleyError('owner_required', `Only an owner may ${what} (they can sign in as anyone).`);
}

export function createKeyUseCases(deps: { audited: Audited; now: () => number }) {
  const { audited, now } = deps;
  return {
    /** A new HS256 key with a fresh kid; the secret is answered this once. */
    createKey(ctx: Context): Promise<{ kid: string; secret: string }> {
      return audited(ctx, 'key.create', null, (tx) => {
        requireOwnerRights(ctx, 'create or retire keys and credentials');
        return createKeyRepository(tx).create(now());
      }, (created) => created.kid);
    },

    /** Registers a checked public JWK (auth/public-keys.ts) under the integrator's kid. */
    addPublicKey(ctx: Context, kid: string, alg: AsymmetricAlg, jwk: object): Promise<KeyRow> {
      return audited(ctx, 'key.add', kid, async (tx) => {
        requireOwnerRights(ctx, 'add keys');
        const keys = createKeyRepository(tx);
        if (kid === ENV_KID || (await keys.find(kid))) throw new ParleyError('bad_request', `A key ${kid} exists already.`);
        await keys.addPublicKey(kid, alg, jwk, now());
        return (await keys.find(kid))!;
      });
    },

    /** Registers a JWK Set URL that `auth/jwks.ts` has checked; answers the key row (kid `jwks_…`). */
    addJwks(ctx: Context, url: string): Promise<KeyRow> {
      return audited(
        ctx,
        'key.add_jwks',
        null,
        async (tx) => {
          requireOwnerRights(ctx, 'add keys');
          const keys = createKeyRepository(tx);
          return (await keys.find(await keys.addJwks(url, now())))!;
        },
        (row) => row.kid,
      );
    },

    /** Retires an active stored key: tokens signed with it stop working at once. */
    retireKey(ctx: Context, kid: string): Promise<KeyRow> {
      return audited(ctx, 'key.retire', kid, async (tx) => {
        requireOwnerRights(ctx, 'create or retire keys and credentials');
        if (kid === ENV_KID) throw new ParleyError('key_not_found', 'The env key is retired by unsetting PARLEY_EXTERNAL_AUTH_SECRET.');
        const keys = createKeyRepository(tx);
        if (!(await keys.retire(kid, now()))) throw new ParleyError('key_not_found');
        return (await keys.find(kid))!;
      });
    },
  };
}

export type KeyUseCases = ReturnType<typeof createKeyUseCases>;
