// Precompresses the browser assets once, at build time, so the server never compresses them per request:
// beside every text asset under a folder it writes `<file>.br` (brotli, its best quality) and `<file>.gz`
// (gzip, level 9). @fastify/static (`preCompressed`) and the embed route pick one by Accept-Encoding.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';

const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/** The extensions worth compressing: text. Source maps are never served to browsers, so they are left out. */
const COMPRESSIBLE = new Set(['.js', '.css', '.html', '.svg', '.json', '.txt']);

async function* filesUnder(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* filesUnder(path);
    else if (entry.isFile()) yield path;
  }
}

/**
 * Writes `<file>.br` and `<file>.gz` beside every `.js`, `.css`, `.html`, `.svg`, `.json` and `.txt` file
 * under `dir`, recursively (never beside a `.map`). Brotli runs at quality 11 in text mode with the size as
 * a hint, gzip at level 9: the cost is paid once per build, not per request. Answers the files compressed,
 * with their sizes in bytes.
 */
export async function compressTree(dir) {
  const sources = [];
  for await (const path of filesUnder(dir)) if (COMPRESSIBLE.has(extname(path))) sources.push(path);
  return Promise.all(
    sources.map(async (path) => {
      const body = await readFile(path);
      const [br, gz] = await Promise.all([
        brotli(body, {
          params: {
            [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
            [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
            [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
          },
        }),
        gzipAsync(body, { level: 9 }),
      ]);
      await Promise.all([writeFile(`${path}.br`, br), writeFile(`${path}.gz`, gz)]);
      return { path, identity: body.length, br: br.length, gzip: gz.length };
    }),
  );
}
