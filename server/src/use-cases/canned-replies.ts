/**
 * Administrators' canned replies: snippets of their organization (an actor acting as an account works in
 * that account's organization; the CLI in the default one). Each change is audited as
 * `canned_reply.<create|update|delete>`; another organization's snippet is `canned_reply_not_found`, as an
 * unknown id.
 */
import { ParleyError } from '../errors.js';
import { createCannedReplyRepository, type CannedReplyRow } from '../store/canned-replies.js';
import { DEFAULT_ORGANIZATION_ID } from '../store/migrations.js';
import { actingUserOf, rightsOf, type Context } from './actor.js';
import type { Audited } from './audited.js';

/** The organization whose snippets the actor works with. */
export const organizationOf = (ctx: Context) => actingUserOf(ctx.actor)?.organization_id ?? DEFAULT_ORGANIZATION_ID;

export function createCannedReplyUseCases(deps: { audited: Audited; now: () => number }) {
  const { audited, now } = deps;
  const requireAdministrator = (ctx: Context) => {
    if (rightsOf(ctx.actor) === 'member') throw new ParleyError('admin_required');
  };

  /** The actor's organization's snippet, or `canned_reply_not_found`. */
  async function ownSnippet(ctx: Context, repository: ReturnType<typeof createCannedReplyRepository>, id: string, executor: Parameters<typeof repository.findById>[1]): Promise<CannedReplyRow> {
    const row = await repository.findById(id, executor);
    if (!row || row.organization_id !== organizationOf(ctx)) throw new ParleyError('canned_reply_not_found');
    return row;
  }

  return {
    create(ctx: Context, input: { title: string; text: string }): Promise<CannedReplyRow> {
      return audited(
        ctx,
        'canned_reply.create',
        null,
        async (tx) => {
          requireAdministrator(ctx);
          return createCannedReplyRepository(tx).create(tx.db, { organizationId: organizationOf(ctx), ...input, createdBy: actingUserOf(ctx.actor)?.id ?? null }, now());
        },
        (row) => row.id,
      );
    },

    update(ctx: Context, id: string, patch: { title?: string; text?: string }): Promise<CannedReplyRow> {
      return audited(ctx, 'canned_reply.update', id, async (tx) => {
        requireAdministrator(ctx);
        const repository = createCannedReplyRepository(tx);
        const before = await ownSnippet(ctx, repository, id, tx.db);
        return (await repository.update(tx.db, id, patch, now())) ?? before;
      });
    },

    delete(ctx: Context, id: string): Promise<void> {
      return audited(ctx, 'canned_reply.delete', id, async (tx) => {
        requireAdministrator(ctx);
        const repository = createCannedReplyRepository(tx);
        await ownSnippet(ctx, repository, id, tx.db);
        await repository.delete(tx.db, id);
      });
    },
  };
}

export type CannedReplyUseCases = ReturnType<typeof createCannedReplyUseCases>;
