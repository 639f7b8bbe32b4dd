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
    changeSettings(ctx: Context, patch: SettingsPatch): Promise<void> {
      if (rightsOf(ctx.actor) === 'member') throw new ParleyError('admin_required');
      return deps.audited(ctx, 'settings.update', Object.keys(patch).join(','), (tx) => deps.settings.update(patch, tx));
    },
  };
}
