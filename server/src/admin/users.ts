/**
 * How the admin panel, the admin REST, the CLI and the token API show an account, and the accounts list with
 * its cursor.
 */
import type { User } from '#shared/api.js';
import { presentUser } from '../chat/present.js';
import { ParleyError } from '../errors.js';
import type { UserRepository, UserRow } from '../store/users.js';

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

/**
 * The accounts list of the admin panel and the CLI: search, newest first, paged by cursor. Changes to
 * accounts are use cases (use-cases/users.ts).
 */
export function createUserAdmin(deps: { users: UserRepository }) {
  const { users } = deps;
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
  };
}

export type UserAdmin = ReturnType<typeof createUserAdmin>;
