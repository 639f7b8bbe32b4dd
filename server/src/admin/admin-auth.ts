/**
 * Who may call `/api/v1/admin/…`: an owner's or admin's session (cookie, with the CSRF check, or bearer),
 * or an admin API key in `X-API-KEY`, which acts with the rights of the owner or admin who created it for
 * as long as that account is an active owner or admin. Everyone else: 401 or 403 with a code.
 */
import type { FastifyRequest } from 'fastify';
import { isInstanceAdministrator } from '../chat/access.js';
import { ParleyError } from '../errors.js';
import type { AdminApiKeyRepository } from '../store/admin-api-keys.js';
import type { UserRepository } from '../store/users.js';

/** Keys, credentials and API keys let their holder sign in as anyone, owners included: owners only. */
export async function requireOwner(request: FastifyRequest): Promise<void> {
  if (request.session?.user.role !== 'owner') throw new ParleyError('owner_required', 'Only an owner may create or retire keys and credentials (they can sign in as anyone).');
}

export function createAdminAuth(deps: {
  requireSession: (request: FastifyRequest) => Promise<void>;
  apiKeys: AdminApiKeyRepository;
  users: UserRepository;
  now: () => number;
}) {
  return async function requireAdministrator(request: FastifyRequest): Promise<void> {
    const header = request.headers['x-api-key'];
    if (header !== undefined) {
      const row = typeof header === 'string' ? await deps.apiKeys.findActive(header) : undefined;
      const creator = row ? await deps.users.findById(row.created_by) : undefined;
      if (!row || !creator || !creator.active || !isInstanceAdministrator(creator)) throw new ParleyError('api_key_invalid');
      await deps.apiKeys.markUsed(row.id, deps.now());
      request.session = { id: `api_key:${row.id}`, token: '', user: creator, expiresAt: Number.MAX_SAFE_INTEGER, via: 'api_key', apiKey: { id: row.id, name: row.name } };
      return;
    }
    await deps.requireSession(request);
    if (!isInstanceAdministrator(request.session!.user)) throw new ParleyError('admin_required');
  };
}
