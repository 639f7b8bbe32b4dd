/**
 * Who performs a use case. Every use case takes one explicitly, decides from it what is allowed, and names it
 * in the audit entry; nobody forges a user row to act.
 * - `user`: a signed-in account (the admin panel, the chat);
 * - `admin_api_key`: an admin API key, acting with the rights of the owner or admin who created it;
 * - `cli`: the `parley` shell, which holds the instance's configuration and database, so an owner's rights;
 * - `token_api`: a token API credential (an integrator's backend): it manages the users it signs in, with an
 *   admin's rights (never an owner's account);
 * - `system`: Parley itself (a background task), named by what it does.
 */
import type { Role } from '../store/schema.js';
import type { UserRow } from '../store/users.js';

export type Actor =
  | { kind: 'user'; user: UserRow }
  | { kind: 'admin_api_key'; user: UserRow; apiKey: { id: string; name: string } }
  | { kind: 'cli' }
  | { kind: 'token_api'; credential: { apiKey: string; name: string } }
  | { kind: 'system'; task: string };

/** An actor and where the request came from, as the audit log records it. */
export interface Context {
  actor: Actor;
  origin: string | null;
  ip: string | null;
}

export const cliContext = (): Context => ({ actor: { kind: 'cli' }, origin: null, ip: null });

/** The role whose rights the actor has. */
export function rightsOf(actor: Actor): Role {
  switch (actor.kind) {
    case 'user':
    case 'admin_api_key':
      return actor.user.role;
    case 'cli':
    case 'system':
      return 'owner';
    case 'token_api':
      return 'admin';
  }
}

/** The account acting, when one is (for the audit log's actor id). */
export function actingUserOf(actor: Actor): UserRow | null {
  return actor.kind === 'user' || actor.kind === 'admin_api_key' ? actor.user : null;
}

const userLabel = (user: UserRow) => user.email ?? user.name ?? user.id;

/** How the audit log names the actor: an account's email or name, never a token or a secret. */
export function actorLabel(actor: Actor): string {
  switch (actor.kind) {
    case 'user':
      return userLabel(actor.user);
    case 'admin_api_key':
      return `API key "${actor.apiKey.name}" of ${userLabel(actor.user)}`;
    case 'cli':
      return 'parley CLI';
    case 'token_api':
      return `token API credential "${actor.credential.name}" (${actor.credential.apiKey})`;
    case 'system':
      return `Parley (${actor.task})`;
  }
}
