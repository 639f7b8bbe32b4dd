/**
 * The way into the admin panel (docs/admin-api.md). A fresh instance (no owner yet) logs a one-time owner
 * set-up link at every start; `parley admin create-owner --email` prints one for a named owner; `parley admin
 * sign-in-link --email` prints a one-time sign-in link (15 minutes) for an existing owner or admin. Visiting
 * a link uses it up, whatever happens next.
 */
import { ParleyError } from '../errors.js';
import { createAdminLinkRepository, type AdminLinkRepository } from '../store/admin-links.js';
import type { Store } from '../store/database.js';
import { DEFAULT_ORGANIZATION_ID } from '../store/migrations.js';
import { createUserRepository, type UserRepository, type UserRow } from '../store/users.js';
import type { Settings } from './settings.js';
import { isAdministrator } from '../chat/access.js';

export const ADMIN_LINK_PATH = '/admin/setup';
const SIGN_IN_LINK_TTL_MS = 15 * 60_000;

export function createAdminLinks(deps: { links: AdminLinkRepository; users: UserRepository; settings: Settings; now: () => number }) {
  const { links, users } = deps;
  const url = (publicUrl: string, token: string) => `${publicUrl}${ADMIN_LINK_PATH}?token=${token}`;

  return {
    /** At boot: a fresh link when there is no owner yet (older unused ones stop working), else null. */
    async ownerSetupLinkIfNeeded(publicUrl: string): Promise<string | null> {
      if ((await users.countOwners()) > 0) return null;
      const now = deps.now();
      await links.expireOwnerSetupLinks(now);
      return url(publicUrl, await links.create({ purpose: 'owner_setup', userId: null, email: null, expiresAt: null }, now));
    },

    /** `parley admin create-owner --email`: a one-time link that creates this owner (written into `tx` when given). */
    async createOwnerLink(publicUrl: string, email: string, tx?: Store): Promise<string> {
      if (await (tx ? createUserRepository(tx) : users).findByEmail(email)) throw new ParleyError('email_conflict', `An account with ${email} exists already: use \`admin sign-in-link\`.`);
      return url(publicUrl, await (tx ? createAdminLinkRepository(tx) : links).create({ purpose: 'owner_setup', userId: null, email, expiresAt: null }, deps.now()));
    },

    /** `parley admin sign-in-link --email`: a 15-minute one-time link for an existing owner or admin. */
    async signInLink(publicUrl: string, email: string, tx?: Store): Promise<string> {
      const user = await (tx ? createUserRepository(tx) : users).findByEmail(email);
      if (!user || !user.active || !isAdministrator(user)) throw new ParleyError('admin_required', `No active owner or admin has the email ${email}.`);
      const now = deps.now();
      return url(publicUrl, await (tx ? createAdminLinkRepository(tx) : links).create({ purpose: 'sign_in', userId: user.id, email: null, expiresAt: now + SIGN_IN_LINK_TTL_MS }, now));
    },

    /**
     * Uses a link: answers the account to sign in (creating the owner for a set-up link), or throws
     * link_invalid, link_used, seat_limit_reached or user_deactivated.
     */
    async use(token: unknown): Promise<UserRow> {
      if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(token)) throw new ParleyError('link_invalid');
      const link = await links.find(token);
      if (!link) throw new ParleyError('link_invalid');
      const now = deps.now();
      if (!(await links.consume(token, now))) throw new ParleyError('link_used');
      if (link.purpose === 'sign_in') {
        const user = link.user_id ? await users.findById(link.user_id) : undefined;
        if (!user || !isAdministrator(user)) throw new ParleyError('link_invalid');
        if (!user.active) throw new ParleyError('user_deactivated');
        return user;
      }
      // An anonymous set-up link is only good while the instance still has no owner.
      if (link.email === null && (await users.countOwners()) > 0) throw new ParleyError('link_used');
      const created = await users.createWithinSeatLimit(
        {
          externalId: null,
          email: link.email,
          name: 'Owner',
          avatarUrl: null,
          metadata: {},
          role: 'owner',
          organizationId: DEFAULT_ORGANIZATION_ID,
          createdVia: 'owner_link',
        },
        (await deps.settings.get()).seatLimit,
        now,
      );
      if (!created.ok) throw new ParleyError(created.reason === 'seat_limit_reached' ? 'seat_limit_reached' : 'email_conflict');
      return created.user;
    },
  };
}

export type AdminLinks = ReturnType<typeof createAdminLinks>;
