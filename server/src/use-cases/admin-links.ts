/**
 * One-time links into the admin panel, made by the CLI (which holds the database): a link that makes its
 * visitor an owner, and a 15-minute sign-in link for an existing owner or admin. The audit entry names the
 * email, never the link, which is a credential until used.
 */
import type { AdminLinks } from '../admin/admin-links.js';
import { rightsOf, type Context } from './actor.js';
import type { Audited } from './audited.js';
import { ParleyError } from '../errors.js';

export function createAdminLinkUseCases(deps: { audited: Audited; adminLinks: AdminLinks }) {
  const requireOwner = (ctx: Context) => {
    if (rightsOf(ctx.actor) !== 'owner') throw new ParleyError('owner_required', 'Only an owner may make links into the admin panel.');
  };
  return {
    createOwnerLink(ctx: Context, publicUrl: string, email: string): Promise<string> {
      requireOwner(ctx);
      return deps.audited(ctx, 'admin_link.create_owner', email, (tx) => deps.adminLinks.createOwnerLink(publicUrl, email, tx));
    },
    signInLink(ctx: Context, publicUrl: string, email: string): Promise<string> {
      requireOwner(ctx);
      return deps.audited(ctx, 'admin_link.sign_in', email, (tx) => deps.adminLinks.signInLink(publicUrl, email, tx));
    },
  };
}
