/**
 * The embed (README.md, The widget): `/widget.js` and its stylesheet `/widget.css`, each with a content-hash
 * ETag and a five-minute cache, so host pages revalidate cheaply and a release reaches them all within
 * minutes.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { PUBLIC_DIR } from '../../paths.js';

interface Asset {
  body: Buffer;
  etag: string;
  type: string;
}

function load(publicDir: string, name: string, type: string): Asset {
  const body = readFileSync(join(publicDir, name));
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`, type };
}

export async function widgetRoutes(app: FastifyInstance, options: { publicDir?: string | undefined }) {
  const publicDir = options.publicDir ?? PUBLIC_DIR;
  const assets = new Map<string, Asset>([
    ['/widget.js', load(publicDir, 'widget.js', 'text/javascript; charset=utf-8')],
    ['/widget.css', load(publicDir, 'widget.css', 'text/css; charset=utf-8')],
  ]);

  for (const [path, asset] of assets) {
    app.get(path, async (request, reply) => {
      reply
        .header('cache-control', 'public, max-age=300')
        .header('etag', asset.etag)
        .header('cross-origin-resource-policy', 'cross-origin')
        .header('x-content-type-options', 'nosniff');
      if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
      return reply.type(asset.type).send(asset.body);
    });
  }
}

/** The ETag of /widget.js (benchmarks and tests compare it with what was served). */
export function widgetEtag(publicDir: string = PUBLIC_DIR): string {
  return load(publicDir, 'widget.js', '').etag;
}
