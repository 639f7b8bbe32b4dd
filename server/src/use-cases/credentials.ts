/**
 * Token API credentials (for an integrator's backend) and admin API keys (for scripts against the admin
 * API): create (the secret answered once) and revoke. Both can act as anyone, so only an owner (or the CLI)
 * may change them; an admin API key belongs to the account that created it, so the CLI, which is nobody's
 * account, cannot make one.
 */
import { ParleyError } from '../errors.js';
import { createAdminApiKeyRepository, type AdminApiKeyRow } from '../store/admin-api-keys.js';
import { createApiCredentialRepository, type ApiCredentialRow } from '../store/api-credentials.js';
import { actingUserOf, type Context } from './actor.js';
import type { Audited } from './audited.js';
import { requireOwnerRights } from './keys.js';

export function createCredentialUseCases(deps: { audited: Audited; now: () => number }) {
  const { audited, now } = deps;
  return {
    createApiCredential(ctx: Context, name: string): Promise<{ row: ApiCredentialRow; authToken: string }> {
      return audited(
        ctx,
        'api_credential.create',
        null,
        async (tx) => {
          requireOwnerRights(ctx, 'create or retire keys and credentials');
          const credentials = createApiCredentialRepository(tx);
          const { apiKey, authToken } = await credentials.create(name, now());
          return { row: (await credentials.find(apiKey))!, authToken };
        },
        ({ row }) => row.api_key,
      );
    },

    revokeApiCredential(ctx: Context, apiKey: string): Promise<ApiCredentialRow> {
      return audited(ctx, 'api_credential.revoke', apiKey, async (tx) => {
        requireOwnerRights(ctx, 'create or retire keys and credentials');
        const credentials = createApiCredentialRepository(tx);
        if (!(await credentials.revoke(apiKey, now()))) throw new ParleyError('api_credential_not_found');
        return (await credentials.find(apiKey))!;
      });
    },

    createAdminApiKey(ctx: Context, name: string): Promise<{ row: AdminApiKeyRow; key: string }> {
      return audited(ctx, 'api_key.create', null, (tx) => {
        requireOwnerRights(ctx, 'create or retire keys and credentials');
        const owner = actingUserOf(ctx.actor);
        if (!owner) throw new ParleyError('owner_required', 'An admin API key belongs to the owner who creates it: create it signed in to the admin panel.');
        return createAdminApiKeyRepository(tx).create(name, owner.id, now());
      }, ({ row }) => row.id);
    },

    revokeAdminApiKey(ctx: Context, id: string): Promise<AdminApiKeyRow> {
      return audited(ctx, 'api_key.revoke', id, async (tx) => {
        requireOwnerRights(ctx, 'create or retire keys and credentials');
        const apiKeys = createAdminApiKeyRepository(tx);
        if (!(await apiKeys.revoke(id, now()))) throw new ParleyError('api_key_not_found');
        return (await apiKeys.find(id))!;
      });
    },
  };
}

export type CredentialUseCases = ReturnType<typeof createCredentialUseCases>;
