/**
 * One-time links into the admin panel, made by the CLI (which holds the database): a link that makes its
 * visitor an owner, and a 15-minute sign-in link for an existing owner or admin. The audit entry names the
 * email, never the link, which is a credential until used. And the sign-in with such a link.
 */
import type { AdminLinks } from '../admin/admin-links.js';
import { rightsOf, type Context } from './actor.js';
import type { Audited } from './audited.js';
import { ParleyError } from '../errors.js';
import type { ErrorCode } from '#shared/errors.js';
import type { Sessions } from '../auth/sessions.js';
import { SESSION_TTL_MS } from '../auth/sign-in.js';
import type { UserRepository, UserRow } from '../store/users.js';

export function createAdminLinkUseCases(deps: { audited: Audited; adminLinks: AdminLinks; sessions: Sessions; users: UserRepository; now: () => number }) {
  const requireOwner = (ctx: Context) => {
    if (rightsOf(ctx.actor) !== 'owner') throw new ParleyError('owner_required', 'Only an owner may make links into the admin panel.');
  };
  return {
    createOwnerLink(ctx: Context, publicUrl: string, email: string): Promise<string> {
      return deps.audited(ctx, 'admin_link.create_owner', email, (tx) => {
        requireOwner(ctx);
        return deps.adminLinks.createOwnerLink(publicUrl, email, tx);
      });
    },
    signInLink(ctx: Context, publicUrl: string, email: string): Promise<string> {
      return deps.audited(ctx, 'admin_link.sign_in', email, (tx) => {
        requireOwner(ctx);
        return deps.adminLinks.signInLink(publicUrl, email, tx);
      });
    },
    /** What a one-time link is for, without using it (admin/admin-links.ts, peek). */
    peekLink: (token: unknown) => deps.adminLinks.peek(token),

    /**
     * Signs in with a one-time link (the visitor has no account to act as yet): uses it up, creates the
     * owner for a set-up link (with `owner`'s name and email), and opens a session. The sign-in door audits
     * the attempt.
     */
    async signInWithLink(token: unknown, owner?: { name: string; email: string }): Promise<{ ok: true; user: UserRow; created: boolean; session: { token: string; id: string; expiresAt: number } } | { ok: false; code: ErrorCode }> {
      try {
        const user = await deps.adminLinks.use(token, owner);
        const now = deps.now();
        const session = await deps.sessions.create(user, now, SESSION_TTL_MS);
        await deps.users.touchLastSeen(user.id, now);
        return { ok: true, user, created: user.created_via === 'owner_link' && user.last_seen_at === null, session };
      } catch (error) {
        if (error instanceof ParleyError) return { ok: false, code: error.code };
        throw error;
      }
    },
  };
}
