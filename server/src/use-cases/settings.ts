/**
 * The instance's settings (seat limit, allowed origins, token lifetime, external auth on or off, the widget's
 * look and words), changed by an administrator or the CLI, and the launcher icon an administrator uploads. A
 * setting the environment fixes is `setting_locked`; the change and its audit entry (naming the settings
 * changed, never their values) share a transaction.
 */
import type { Settings, SettingsPatch } from '../admin/settings.js';
import { launcherIconOf, MAX_LAUNCHER_ICON_BYTES, sniffImage } from '../admin/launcher-icon.js';
import { ParleyError } from '../errors.js';
import { rightsOf, type Context } from './actor.js';
import type { Audited } from './audited.js';

export const ICON_TOO_LARGE = `The icon may be at most ${MAX_LAUNCHER_ICON_BYTES / 1024} KB.`;
export const ICON_TYPE_UNSUPPORTED = 'The icon must be a PNG, JPEG, GIF or WebP image.';

export function createSettingsUseCases(deps: { audited: Audited; settings: Settings }) {
  const requireAdmin = (ctx: Context) => {
    if (rightsOf(ctx.actor) === 'member') throw new ParleyError('admin_required');
  };
  // Once more after each commit: on PostgreSQL a read on another connection during the transaction may have
  // kept the old value (this instance's own announcement would clear it, but only a moment later).
  const forget = () => deps.settings.forget();

  return {
    /**
     * Changes the settings `patch` names. `publicUrl` is the one the uploaded launcher icon is served on, so
     * that `widgetLauncherIconUrl` may be set back to that icon's URL.
     */
    async changeSettings(ctx: Context, patch: SettingsPatch, options: { publicUrl?: string } = {}): Promise<void> {
      await deps.audited(ctx, 'settings.update', Object.keys(patch).join(','), async (tx) => {
        requireAdmin(ctx);
        await deps.settings.update(patch, tx, options);
      });
      forget();
    },

    /**
     * Makes `bytes` the launcher icon: a PNG, JPEG, GIF or WebP image by its signature (else
     * `icon_type_unsupported`) of at most 64 KB (else `icon_too_large`), replacing any earlier upload, and
     * points `widgetLauncherIconUrl` at it.
     */
    async uploadLauncherIcon(ctx: Context, bytes: Buffer): Promise<void> {
      await deps.audited(ctx, 'settings.upload_launcher_icon', 'widgetLauncherIconUrl', async (tx) => {
        requireAdmin(ctx);
        if (bytes.length > MAX_LAUNCHER_ICON_BYTES) throw new ParleyError('icon_too_large', ICON_TOO_LARGE);
        const kind = sniffImage(bytes);
        if (!kind) throw new ParleyError('icon_type_unsupported', ICON_TYPE_UNSUPPORTED);
        await deps.settings.putLauncherIcon(launcherIconOf(bytes, kind), tx);
      });
      forget();
    },

    /** Removes the uploaded launcher icon; `widgetLauncherIconUrl` becomes null if it was that icon. */
    async removeLauncherIcon(ctx: Context): Promise<void> {
      await deps.audited(ctx, 'settings.remove_launcher_icon', 'widgetLauncherIconUrl', async (tx) => {
        requireAdmin(ctx);
        await deps.settings.removeLauncherIcon(tx);
      });
      forget();
    },
  };
}
