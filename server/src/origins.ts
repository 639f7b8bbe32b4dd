/** Which origins may call the API from a browser: the allowed origins setting, or the public URL's origin. */
import type { Settings } from './admin/settings.js';

export function createOriginPolicy(settings: Pick<Settings, 'get'>, publicUrl: () => string) {
  return {
    /** True for Parley's own origin and every allowed one (`*` allows any). */
    async isAllowed(origin: string): Promise<boolean> {
      if (origin === new URL(publicUrl()).origin) return true;
      const allowed = (await settings.get()).allowedOrigins;
      if (!allowed) return false;
      return allowed[0] === '*' || allowed.includes(origin);
    },
  };
}

export type OriginPolicy = ReturnType<typeof createOriginPolicy>;
