/**
 * The embed (README.md, The widget): `/widget.js`, its stylesheet `/widget.css` and whatever else
 * `EMBED_FILES` names, each with a content-hash ETag and a five-minute cache, so host pages revalidate
 * cheaply and a release reaches them all within minutes. Each is sent as the build precompressed it
 * (brotli or gzip, by Accept-Encoding; scripts/compress.mjs): nothing is compressed per request.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { negotiateEncoding, type ContentCoding } from '../../http/accept-encoding.js';
import { ifNoneMatchMatches } from '../../http/entity-tags.js';
import { PUBLIC_DIR } from '../../paths.js';
import { widgetSettingsRoutes } from './settings.js';

/** The embed files under the public folder, served at `/<name>`, with their media type. */
const EMBED_FILES: readonly (readonly [name: string, type: string])[] = [
  ['widget.js', 'text/javascript; charset=utf-8'],
  ['widget.css', 'text/css; charset=utf-8'],
];

/** The precompressed siblings the build writes beside each file. */
const SIBLINGS: readonly (readonly [ContentCoding, string])[] = [
  ['br', '.br'],
  ['gzip', '.gz'],
];

interface Representation {
  body: Buffer;
  etag: string;
}

interface EmbedFile {
  type: string;
  /** The codings it can be sent in, in the server's order of preference (identity last). */
  codings: ContentCoding[];
  representations: Map<ContentCoding, Representation>;
}

function contentHash(body: Buffer): string {
  return createHash('sha256').update(body).digest('base64url').slice(0, 22);
}

/**
 * Reads a file and its precompressed siblings. Every representation's ETag is the hash of the file's
 * content, with the coding appended for a compressed one (`"<hash>-br"`): each representation has its own
 * tag (RFC 9110 §8.8.3), and all of them change together with the content.
 */
function load(publicDir: string, name: string, type: string): EmbedFile {
  const path = join(publicDir, name);
  const body = readFileSync(path);
  const hash = contentHash(body);
  const representations = new Map<ContentCoding, Representation>();
  for (const [coding, extension] of SIBLINGS) {
    if (existsSync(path + extension)) representations.set(coding, { body: readFileSync(path + extension), etag: `"${hash}-${coding}"` });
  }
  representations.set('identity', { body, etag: `"${hash}"` });
  return { type, codings: [...representations.keys()], representations };
}

/** Adds `accept-encoding` to the Vary field without dropping what another hook put there (CORS's Origin). */
function varyOnAcceptEncoding(reply: FastifyReply): void {
  const current = reply.getHeader('vary');
  const fields = (Array.isArray(current) ? current.join(',') : String(current ?? '')).split(',').map((s) => s.trim()).filter(Boolean);
  if (fields.some((f) => f === '*' || f.toLowerCase() === 'accept-encoding')) return;
  reply.header('vary', [...fields, 'accept-encoding'].join(', '));
}

export async function widgetRoutes(app: FastifyInstance, options: { publicDir?: string | undefined }) {
  const publicDir = options.publicDir ?? PUBLIC_DIR;
  await app.register(widgetSettingsRoutes);

  for (const [name, type] of EMBED_FILES) {
    const file = load(publicDir, name, type);
    app.route({
      method: ['GET', 'HEAD'],
      url: `/${name}`,
      // Already compressed at build time: @fastify/compress leaves these alone, whatever it would negotiate.
      compress: false,
      handler: async (request, reply) => {
        const coding = negotiateEncoding(request.headers['accept-encoding'], file.codings);
        const representation = file.representations.get(coding)!;
        varyOnAcceptEncoding(reply);
        reply
          .header('cache-control', 'public, max-age=300')
          .header('etag', representation.etag)
          // Public scripts any page may load, as a classic script or as a module (which needs CORS).
          .header('access-control-allow-origin', '*')
          .header('cross-origin-resource-policy', 'cross-origin')
          .header('x-content-type-options', 'nosniff');
        if (ifNoneMatchMatches(request.headers['if-none-match'], representation.etag)) return reply.code(304).send();
        if (coding !== 'identity') reply.header('content-encoding', coding);
        // A HEAD answer carries the same headers; Node leaves the body out.
        return reply.type(file.type).send(representation.body);
      },
    });
  }
}

/** The ETag of /widget.js as sent uncompressed (benchmarks and tests compare it with what was served). */
export function widgetEtag(publicDir: string = PUBLIC_DIR): string {
  return load(publicDir, 'widget.js', '').representations.get('identity')!.etag;
}
