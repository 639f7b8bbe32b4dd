/**
 * An integrator's backend managing the users it signs in, over the token API's REST: add and update users
 * (named by the integrator's user id), and grant or remove their permissions on organizations, folders and
 * documents. The actor is the token API credential, with an admin's rights: it never makes or touches an
 * owner (nor changes, moves or deletes one). A move to another organization or a change of role ends the account's open event streams, which
 * reconnect with what the account may now see.
 */
import type { EventBus } from '../chat/event-bus.js';
import { ParleyError } from '../errors.js';
import type { ResourceGrant } from '../permissions/resources.js';
import { createGrantRepository } from '../store/grants.js';
import { DEFAULT_ORGANIZATION_ID } from '../store/migrations.js';
import { createOrganizationRepository } from '../store/organizations.js';
import { createUserRepository, type UserRow } from '../store/users.js';
import type { Context } from './actor.js';
import type { Audited } from './audited.js';

export interface TenantUser {
  externalId: string;
  name?: string | undefined;
  email?: string | undefined;
  organizationId?: string | undefined;
  isAdmin?: boolean | undefined;
}

export function createTenantUserUseCases(deps: { audited: Audited; bus: EventBus; seatLimit: () => Promise<number>; now: () => number }) {
  const { audited, bus, now } = deps;
  return {
    /** A new account for the integrator's user id, within the seat limit: external_id_conflict, email_conflict or seat_limit_reached otherwise. */
    async addUser(ctx: Context, input: TenantUser): Promise<UserRow> {
      const seatLimit = await deps.seatLimit();
      return audited(ctx, 'user.create', input.externalId, async (tx) => {
        const users = createUserRepository(tx);
        if (await users.findByExternalId(input.externalId)) throw new ParleyError('external_id_conflict');
        if (input.email && (await users.findByEmail(input.email))) throw new ParleyError('email_conflict');
        const organizationId = input.organizationId ?? DEFAULT_ORGANIZATION_ID;
        await createOrganizationRepository(tx).ensure(organizationId, now());
        const created = await users.createWithinSeatLimit(
          { externalId: input.externalId, email: input.email ?? null, name: input.name ?? null, avatarUrl: null, metadata: {}, role: input.isAdmin ? 'admin' : 'member', organizationId, createdVia: 'api' },
          seatLimit,
          now(),
        );
        if (created.ok) return created.user;
        if (created.reason === 'seat_limit_reached') throw new ParleyError('seat_limit_reached');
        // Another request took the id or the email between the checks and the insert.
        throw new ParleyError(input.email && (await users.findByEmail(input.email)) ? 'email_conflict' : 'external_id_conflict');
      });
    },

    /** Updates the profile, organization and admin flag of the integrator's user (an owner keeps its role). */
    async updateUser(ctx: Context, input: TenantUser): Promise<UserRow> {
      let endStreams = false;
      const updated = await audited(ctx, 'user.update', input.externalId, async (tx) => {
        const users = createUserRepository(tx);
        const row = await users.findByExternalId(input.externalId);
        if (!row) throw new ParleyError('account_not_found');
        // An admin's rights: an owner's account is not the token API's to change, move or demote.
        if (row.role === 'owner') throw new ParleyError('owner_required');
        const holder = input.email ? await users.findByEmail(input.email) : undefined;
        if (holder && holder.id !== row.id) throw new ParleyError('email_conflict');
        await users.updateProfile(row.id, { ...(input.email !== undefined ? { email: input.email } : {}), ...(input.name !== undefined ? { name: input.name } : {}) });
        if (input.organizationId !== undefined && input.organizationId !== row.organization_id) {
          await createOrganizationRepository(tx).ensure(input.organizationId, now());
          await users.setOrganization(row.id, input.organizationId);
          endStreams = true;
        }
        const role = input.isAdmin === undefined ? row.role : input.isAdmin ? 'admin' : 'member';
        if (role !== row.role) {
          await users.setRole(row.id, role);
          endStreams = true;
        }
        return (await users.findById(row.id))!;
      });
      if (endStreams) bus.endUserSessions(updated.id);
      return updated;
    },

    /** Adds or updates grants of one account (all within its organization: the caller checks). */
    grant(ctx: Context, user: UserRow, resources: readonly ResourceGrant[]): Promise<void> {
      return audited(ctx, 'grant.add', user.id, (tx) => createGrantRepository(tx).upsert(user.id, resources));
    },

    /** Removes grants of one account; answers how many there were. */
    revoke(ctx: Context, user: UserRow, resources: readonly Pick<ResourceGrant, 'type' | 'id' | 'organizationId'>[]): Promise<number> {
      return audited(ctx, 'grant.remove', user.id, (tx) => createGrantRepository(tx).remove(user.id, resources));
    },
  };
}
