/**
 * An administrator's own profile: the display name and avatar their messages show (instead of their role),
 * and their preferences (the alert sound, the emails about conversations waiting for an answer). Audited as `profile.update`; only an account acting for itself
 * (a session or its API key) has one.
 */
import { ParleyError } from '../errors.js';
import { emailPreferencesOf } from '../outbound/notifications.js';
import { createUserRepository, type UserRow } from '../store/users.js';
import { actingUserOf, rightsOf, type Context } from './actor.js';
import type { Audited } from './audited.js';

export interface Preferences {
  sound: boolean;
  agentEmails: boolean;
}

export interface ProfilePatch {
  name?: string;
  avatarUrl?: string | null;
  sound?: boolean;
  agentEmails?: boolean;
}

/** The account's preferences, read from its stored JSON with every field defaulted (sound off, agent emails on). */
export function preferencesOf(row: Pick<UserRow, 'preferences'>): Preferences {
  let stored: unknown;
  try {
    stored = JSON.parse(row.preferences);
  } catch {
    stored = {};
  }
  const sound = typeof stored === 'object' && stored !== null && (stored as { sound?: unknown }).sound === true;
  return { sound, agentEmails: emailPreferencesOf(row).agentEmails };
}

export function createProfileUseCases(deps: { audited: Audited }) {
  return {
    update(ctx: Context, patch: ProfilePatch): Promise<UserRow> {
      const me = actingUserOf(ctx.actor);
      return deps.audited(ctx, 'profile.update', me?.id ?? null, async (tx) => {
        if (!me || rightsOf(ctx.actor) === 'member') throw new ParleyError('admin_required');
        const users = createUserRepository(tx);
        const current = await users.findById(me.id);
        if (!current) throw new ParleyError('account_not_found');
        const preferences = {
          ...(patch.sound !== undefined ? { sound: patch.sound } : {}),
          ...(patch.agentEmails !== undefined ? { agentEmails: patch.agentEmails } : {}),
        };
        return users.updateProfile(me.id, {
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(patch.avatarUrl !== undefined ? { avatarUrl: patch.avatarUrl } : {}),
          ...(Object.keys(preferences).length > 0 ? { preferences: { ...JSON.parse(current.preferences || '{}'), ...preferences } } : {}),
        });
      });
    },
  };
}
