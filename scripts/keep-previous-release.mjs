// Clears dist/public before a browser build, keeping the previous build's hashed assets (scripts/build.mjs).
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';

/**
 * Empties dist/public but for the previous build's hashed assets: a host page whose cached widget.js (five
 * minutes) names the previous panel still finds it after a release, rather than a 404 that leaves it without
 * a chat until reloaded. Older builds' files go.
 */
export function keepOnlyPreviousRelease(publicDir) {
  let previous = {};
  try {
    previous = JSON.parse(readFileSync(join(publicDir, 'manifest.json'), 'utf8'));
  } catch {
    // no previous build
  }
  const keep = new Set(Object.values(previous).flatMap((url) => [basename(url), `${basename(url)}.br`, `${basename(url)}.gz`]));
  const assets = join(publicDir, 'assets');
  for (const name of existsSync(assets) ? readdirSync(assets) : []) if (!keep.has(name)) rmSync(join(assets, name), { force: true });
  for (const name of existsSync(publicDir) ? readdirSync(publicDir) : []) if (name !== 'assets') rmSync(join(publicDir, name), { recursive: true, force: true });
}
