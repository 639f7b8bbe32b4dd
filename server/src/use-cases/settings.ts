/**
 * The instance's settings (seat limit, allowed origins, token lifetime, external auth on or off), changed
 * by an administrator or the CLI. A setting the environment fixes is `setting_locked`; the change and its
 * audit entry (naming the settings changed, never their values) share a transaction.
 */
import type { Settings, SettingsPatch } from '../admin/settings.js';
import { ParleyError } from '../errors.js';
import { rightsOf, type Context } from './actor.js';
import type { Audited } from './audited.js';

export function createSettingsUseCases(deps: { audited: Audited; settings: Settings }) {
  return {
    async changeSettings(ctx: Context, patch: SettingsPatch): Promise<void> {
      await deps.audited(ctx, 'settings.update', Object.keys(patch).join(','), async (tx) => {
        if (rightsOf(ctx.actor) === 'member') throw new ParleyError('admin_required');
        await deps.settings.update(patch, tx);
      });
      // Once more after the commit: on PostgreSQL a read on another connection during the transaction may
      // have kept the old value (this instance's own announcement would clear it, but only a moment later).
      deps.settings.forget();
    },
  };
}
