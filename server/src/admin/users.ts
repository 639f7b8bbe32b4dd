/**
 * Account administration (PRODUCT.md §8): create, deactivate, reactivate, delete and change role, with the
 * seat rules of §4.5 and the owner rules: only an owner makes or unmakes an owner, and the last owner can
 * be neither demoted, deactivated nor deleted. Ending an account's access is immediate: its sessions are
 * revoked and its open event streams closed.
 */
import type { User } from '../../../shared/src/api.js';
import { presentUser } from '../chat/present.js';
import { ParleyError } from '../errors.js';
import type { EventBus } from '../chat/event-bus.js';
import { DEFAULT_ORGANIZATION_ID } from '../store/migrations.js';
import type { Role } from '../store/schema.js';
import type { Sessions } from '../auth/sessions.js';
import { normalizeEmail, type UserRepository, type UserRow } from '../store/users.js';
import type { Settings } from './settings.js';

export interface AdminUser extends User {
  active: boolean;
  createdVia: UserRow['created_via'];
  lastSeenAt: string | null;
}

export function presentAdminUser(row: UserRow): AdminUser {
  return {
    ...presentUser(row),
    active: row.active === 1,
    createdVia: row.created_via,
    lastSeenAt: row.last_seen_at === null ? null : new Date(row.last_seen_at).toISOString(),
  };
}

export function encodeUserCursor(row: UserRow): string {
  return `${row.created_at}.${row.id}`;
}

function decodeUserCursor(raw: string): { createdAt: number; id: string } {
  const match = /^(\d{1,16})\.([A-Za-z0-9_-]{1,64})$/.exec(raw);
  if (!match) throw new ParleyError('bad_request', 'cursor is malformed');
  return { createdAt: Number(match[1]), id: match[2] as string };
}

export interface NewAccount {
  name?: string | undefined;
  email?: string | undefined;
  externalId?: string | undefined;
  role?: 'member' | 'admin' | undefined;
}

export function createUserAdmin(deps: { users: UserRepository; sessions: Sessions; bus: EventBus; settings: Settings; now: () => number }) {
  const { users } = deps;

  async function target(id: string): Promise<UserRow> {
    const row = await users.findById(id);
    if (!row) throw new ParleyError('account_not_found');
    return row;
  }

  async function refuseLastOwner(row: UserRow): Promise<void> {
    if (row.role === 'owner' && row.active === 1 && (await users.countOwners()) <= 1) throw new ParleyError('last_owner');
  }

  /** Ends the sessions first, then the open streams: a stream that reconnects in between is refused. */
  async function endAccess(userId: string): Promise<void> {
    await deps.sessions.revokeAllForUser(userId);
    deps.bus.endUserSessions(userId);
  }

  return {
    async list(q: string | undefined, cursor: string | undefined, limit: number) {
      const { rows, total } = await users.search(q?.trim() || undefined, cursor ? decodeUserCursor(cursor) : undefined, limit + 1);
      const page = rows.slice(0, limit);
      return {
        users: page.map(presentAdminUser),
        nextCursor: rows.length > limit && page.length > 0 ? encodeUserCursor(page[page.length - 1]!) : null,
        total,
      };
    },

    async create(input: NewAccount): Promise<UserRow> {
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
        (await deps.settings.get()).seatLimit,
        deps.now(),
      );
      if (created.ok) return created.user;
      if (created.reason === 'seat_limit_reached') throw new ParleyError('seat_limit_reached');
      // Someone took the email or external id between the check and the insert.
      throw new ParleyError(input.email && (await users.findByEmail(normalizeEmail(input.email))) ? 'email_conflict' : 'external_id_conflict');
    },

    async deactivate(actor: UserRow, id: string): Promise<UserRow> {
      const row = await target(id);
      if (row.role === 'owner' && actor.role !== 'owner') throw new ParleyError('owner_required');
      await refuseLastOwner(row);
      await users.setActive(id, false);
      await endAccess(id);
      return target(id);
    },

    async reactivate(actor: UserRow, id: string): Promise<UserRow> {
      const row = await target(id);
      if (row.role === 'owner' && actor.role !== 'owner') throw new ParleyError('owner_required');
      if (row.active === 1) return row;
      if (!(await users.reactivateWithinSeatLimit(id, (await deps.settings.get()).seatLimit))) throw new ParleyError('seat_limit_reached');
      return target(id);
    },

    async setRole(actor: UserRow, id: string, role: Role): Promise<UserRow> {
      const row = await target(id);
      if ((role === 'owner' || row.role === 'owner') && actor.role !== 'owner') throw new ParleyError('owner_required');
      if (row.role === 'owner' && role !== 'owner') await refuseLastOwner(row);
      await users.setRole(id, role);
      // Open streams were opened under the old role: end them, the client reconnects with the new one.
      if (role !== row.role) deps.bus.endUserSessions(id);
      return target(id);
    },

    async remove(actor: UserRow, id: string): Promise<void> {
      const row = await target(id);
      if (row.role === 'owner' && actor.role !== 'owner') throw new ParleyError('owner_required');
      await refuseLastOwner(row);
      await endAccess(id);
      await users.deleteAnonymising(id);
    },
  };
}

export type UserAdmin = ReturnType<typeof createUserAdmin>;
