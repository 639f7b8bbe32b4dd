/** Which origins may call the API from a browser: PARLEY_ALLOWED_ORIGINS, or the public URL's origin. */
import type { Config } from './config.js';

export function createOriginPolicy(config: Pick<Config, 'allowedOrigins'>, publicUrl: () => string) {
  return {
    /** True for Parley's own origin and every allowed one (`*` allows any). */
    isAllowed(origin: string): boolean {
      if (origin === new URL(publicUrl()).origin) return true;
      const allowed = config.allowedOrigins;
      if (!allowed) return false;
      return allowed[0] === '*' || allowed.includes(origin);
    },
  };
}

export type OriginPolicy = ReturnType<typeof createOriginPolicy>;
