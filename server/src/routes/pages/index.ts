/**
 * The hosted chat page at `/` (a Preact app built by scripts/build.mjs into dist/public) and the built
 * assets under `/assets/`. Hashed asset names are cached for a year; the page itself is never cached, so a
 * release reaches every user at once.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { PUBLIC_DIR } from '../../paths.js';
import { frameAncestors } from '../../security-headers.js';
import { adminPageRoutes } from './admin.js';
import { accountSwitchRoutes } from './account-switch.js';


const HASHED = /-[A-Z0-9]{8}\.(js|css)$/;

/** The chat page's policy: only Parley's own scripts, styles and API; framed only by allowed origins. */
export function pageCsp(allowedOrigins: readonly string[] | null): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "connect-src 'self'",
    "img-src 'self' https: data:",
    "base-uri 'none'",
    "form-action 'self'",
    frameAncestors(allowedOrigins),
  ].join('; ');
}

export type Manifest = Record<string, string>;

export function readManifest(publicDir: string): Manifest {
  try {
    return JSON.parse(readFileSync(join(publicDir, 'manifest.json'), 'utf8')) as Manifest;
  } catch {
    throw new Error(`The browser assets are not built (no ${join(publicDir, 'manifest.json')}): run \`npm run build\`.`);
  }
}

/** The HTML shell of one of the built apps (`page`, `admin`): its stylesheet, its module, a mount point. */
export function shellHtml(manifest: Manifest, entry: 'page' | 'admin' = 'page', title = 'Parley'): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${manifest[`${entry}.css`]}">
<script type="module" src="${manifest[`${entry}.js`]}"></script>
</head>
<body>
<div id="app"></div>
<noscript>Parley needs JavaScript.</noscript>
</body>
</html>
`;
}

export async function pageRoutes(app: FastifyInstance, options: { publicDir?: string | undefined }) {
  const publicDir = options.publicDir ?? PUBLIC_DIR;
  const manifest = readManifest(publicDir);
  const shell = shellHtml(manifest);
  await app.register(adminPageRoutes, { manifest });
  await app.register(accountSwitchRoutes);

  // The build writes a .br and a .gz beside every asset (scripts/compress.mjs): @fastify/static picks one by
  // Accept-Encoding, adds Vary, and its ETag (size and mtime of the file sent) differs per coding.
  await app.register(fastifyStatic, {
    root: join(publicDir, 'assets'),
    prefix: '/assets/',
    cacheControl: false,
    preCompressed: true,
    setHeaders(res, path) {
      // `path` is the file sent: `page-XXXXXXXX.js.br` is as immutable as `page-XXXXXXXX.js`.
      res.header('cache-control', HASHED.test(path.replace(/\.(br|gz)$/, '')) ? 'public, max-age=31536000, immutable' : 'public, max-age=300');
      res.header('x-content-type-options', 'nosniff');
      // The widget imports its panel from here, from the host page's origin: a module script needs CORS.
      res.header('access-control-allow-origin', '*');
      res.header('cross-origin-resource-policy', 'cross-origin');
    },
  });

  app.get('/', async (_request, reply) =>
    reply
      .header('content-security-policy', pageCsp((await app.services.settings.get()).allowedOrigins))
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .send(shell),
  );
}
