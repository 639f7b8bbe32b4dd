/**
 * Accounts: create, deactivate, reactivate, change role, delete, with the seat rules and the owner rules:
 * only an owner makes or unmakes an owner (or touches one), and the last active owner can be neither
 * demoted, deactivated nor deleted. Ending an account's access is immediate: the change moves its session
 * epoch in the same transaction, and after the commit its open event streams are closed.
 */
import type { EventBus } from '../chat/event-bus.js';
import { ParleyError } from '../errors.js';
import { DEFAULT_ORGANIZATION_ID } from '../store/migrations.js';
import type { Role } from '../store/schema.js';
import type { Store } from '../store/database.js';
import { createUserRepository, normalizeEmail, type UserRow } from '../store/users.js';
import { enqueueUserWebhook } from '../outbound/webhook-events.js';
import { rightsOf, type Context } from './actor.js';
import type { Audited } from './audited.js';

export interface NewAccount {
  name?: string | undefined;
  email?: string | undefined;
  externalId?: string | undefined;
  role?: 'member' | 'admin' | undefined;
}

export function createUserUseCases(deps: { audited: Audited; bus: EventBus; seatLimit: () => Promise<number>; now: () => number }) {
  const { audited, bus } = deps;

  async function target(tx: Store, id: string): Promise<UserRow> {
    const row = await createUserRepository(tx).findById(id);
    if (!row) throw new ParleyError('account_not_found');
    return row;
  }

  function requireRightsOver(ctx: Context, row: UserRow): void {
    if (rightsOf(ctx.actor) === 'member') throw new ParleyError('admin_required');
    if (row.role === 'owner' && rightsOf(ctx.actor) !== 'owner') throw new ParleyError('owner_required');
  }

  async function refuseLastOwner(tx: Store, row: UserRow): Promise<void> {
    if (row.role === 'owner' && row.active === 1 && (await createUserRepository(tx).countOwners()) <= 1) throw new ParleyError('last_owner');
  }

  return {
    /** An account made by an administrator (no external token yet), within the seat limit. */
    async createUser(ctx: Context, input: NewAccount): Promise<UserRow> {
      const seatLimit = await deps.seatLimit();
      return audited(ctx, 'user.create', input.email ?? input.externalId ?? null, async (tx) => {
        if (rightsOf(ctx.actor) === 'member') throw new ParleyError('admin_required');
        const users = createUserRepository(tx);
        if (input.email && (await users.findByEmail(input.email))) throw new ParleyError('email_conflict');
        if (input.externalId && (await users.findByExternalId(input.externalId))) throw new ParleyError('external_id_conflict');
        const created = await users.createWithinSeatLimit(
          {
            externalId: input.externalId ?? null,
            email: input.email ?? null,
            name: input.name ?? null,
            avatarUrl: null,
            metadata: {},
            role: input.role ?? 'member',
            organizationId: DEFAULT_ORGANIZATION_ID,
            createdVia: 'admin',
          },
          seatLimit,
          deps.now(),
        );
        if (created.ok) return created.user;
        if (created.reason === 'seat_limit_reached') throw new ParleyError('seat_limit_reached');
        // Someone took the email or external id between the check and the insert.
        throw new ParleyError(input.email && (await users.findByEmail(normalizeEmail(input.email))) ? 'email_conflict' : 'external_id_conflict');
      });
    },

    async deactivateUser(ctx: Context, id: string): Promise<UserRow> {
      const row = await audited(ctx, 'user.deactivate', id, async (tx) => {
        const row = await target(tx, id);
        requireRightsOver(ctx, row);
        await refuseLastOwner(tx, row);
        // Deactivating moves the session epoch in the same statement: every session ends with it.
        await createUserRepository(tx).setActive(id, false);
        const after = await target(tx, id);
        if (row.active === 1) await enqueueUserWebhook(tx, tx.db, 'user.deactivated', after, deps.now());
        return after;
      });
      bus.endUserSessions(id);
      return row;
    },

    async reactivateUser(ctx: Context, id: string): Promise<UserRow> {
      const seatLimit = await deps.seatLimit();
      return audited(ctx, 'user.reactivate', id, async (tx) => {
        const row = await target(tx, id);
        requireRightsOver(ctx, row);
        if (row.active === 1) return row;
        if (!(await createUserRepository(tx).reactivateWithinSeatLimit(id, seatLimit))) throw new ParleyError('seat_limit_reached');
        return target(tx, id);
      });
    },

    async setRole(ctx: Context, id: string, role: Role): Promise<UserRow> {
      let before: Role | undefined;
      const row = await audited(ctx, `user.role.${role}`, id, async (tx) => {
        const row = await target(tx, id);
        requireRightsOver(ctx, row);
        if (role === 'owner' && rightsOf(ctx.actor) !== 'owner') throw new ParleyError('owner_required');
        if (row.role === 'owner' && role !== 'owner') await refuseLastOwner(tx, row);
        before = row.role;
        await createUserRepository(tx).setRole(id, role);
        return target(tx, id);
      });
      // Open streams were opened under the old role: end them, the client reconnects with the new one.
      if (before !== role) bus.endUserSessions(id);
      return row;
    },

    /** Deletes an account; its messages stay, with no author (shown as a deleted user). */
    async deleteUser(ctx: Context, id: string): Promise<void> {
      await audited(ctx, 'user.delete', id, async (tx) => {
        const row = await target(tx, id);
        requireRightsOver(ctx, row);
        await refuseLastOwner(tx, row);
        await createUserRepository(tx).deleteAnonymising(id);
      });
      bus.endUserSessions(id);
    },
  };
}

export type UserUseCases = ReturnType<typeof createUserUseCases>;
