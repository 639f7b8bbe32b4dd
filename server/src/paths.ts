/** Where the project's files are, whether running from source (tests) or from the build in dist/server. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

function findRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'server'))) return dir;
    if (dirname(dir) === dir) return join(start, '..', '..');
  }
}

export const PROJECT_ROOT = findRoot(import.meta.dirname);
/** The built browser assets (scripts/build.mjs). */
export const PUBLIC_DIR = join(PROJECT_ROOT, 'dist', 'public');
