/**
 * The way into the admin panel (docs/admin-api.md). A fresh instance (no owner yet) logs a one-time owner
 * set-up link at every start; `parley admin create-owner --email` prints one for a named owner; `parley admin
 * sign-in-link --email` prints a one-time sign-in link (15 minutes) for an existing owner or admin. A set-up
 * link first asks for the owner's name and email (so that a sign-in link can be made for them later); a
 * sign-in link is used up by its visit, whatever happens next.
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

  /** The link of `token` if it can still be used; link_invalid or link_used otherwise. */
  async function findUsable(token: unknown) {
    if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(token)) throw new ParleyError('link_invalid');
    const link = await links.find(token);
    if (!link) throw new ParleyError('link_invalid');
    if (link.used_at !== null || (link.expires_at !== null && link.expires_at <= deps.now())) throw new ParleyError('link_used');
    // An anonymous set-up link is only good while the instance still has no owner.
    if (link.purpose === 'owner_setup' && link.email === null && (await users.countOwners()) > 0) throw new ParleyError('link_used');
    return link;
  }

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
     * What a link is for, without using it: a set-up link (and the email it is for, if it names one) shows
     * the form that asks for the owner's name and email; anything else is signed in with `use`. Throws
     * link_invalid or link_used as `use` would.
     */
    async peek(token: unknown): Promise<{ purpose: 'owner_setup'; email: string | null } | { purpose: 'sign_in' }> {
      const link = await findUsable(token);
      return link.purpose === 'sign_in' ? { purpose: 'sign_in' } : { purpose: 'owner_setup', email: link.email };
    },

    /**
     * Uses a link: answers the account to sign in, or throws link_invalid, link_used, seat_limit_reached,
     * email_conflict or user_deactivated. A set-up link creates the owner with `owner`'s name and email
     * (the email the link names, if it names one); its link is used up only once the email is known to be
     * free, so a taken address can be corrected and sent again.
     */
    async use(token: unknown, owner?: { name: string; email: string }): Promise<UserRow> {
      const link = await findUsable(token);
      const now = deps.now();
      if (link.purpose === 'sign_in') {
        if (!(await links.consume(token as string, now))) throw new ParleyError('link_used');
        const user = link.user_id ? await users.findById(link.user_id) : undefined;
        if (!user || !isAdministrator(user)) throw new ParleyError('link_invalid');
        if (!user.active) throw new ParleyError('user_deactivated');
        return user;
      }
      if (!owner) throw new TypeError('a set-up link needs the owner’s name and email');
      const email = link.email ?? owner.email;
      if (await users.findByEmail(email)) throw new ParleyError('email_conflict', 'An account with this email exists already.');
      if (!(await links.consume(token as string, now))) throw new ParleyError('link_used');
      const created = await users.createWithinSeatLimit(
        {
          externalId: null,
          email,
          name: owner.name,
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
