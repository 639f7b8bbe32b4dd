/**
 * The server under benchmark: the real Parley app on its own database, plus bare Fastify routes in the
 * same process as the baselines every figure is divided by: `GET /bench/baseline` (a fixed small JSON, also
 * requested with the sign-in code in its query string, the hosted page's request line) and
 * `POST /bench/baseline` (parses the JSON body through the app's parser and echoes it: the same shape of
 * request and response as the exchange and the token API, with nothing done in between). For the widget's
 * load, `GET /bench/static.js`: a script of widget.js's exact size that only sets a flag, sent the way
 * widget.js is (precompressed, same headers and cache). Prints its URL.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { buildApp } from '../server/src/app.js';
import { negotiateEncoding, type ContentCoding } from '../server/src/http/accept-encoding.js';
import { ifNoneMatchMatches } from '../server/src/http/entity-tags.js';
import { PUBLIC_DIR } from '../server/src/paths.js';
import { loadConfig } from '../server/src/config.js';
import { openStore } from '../server/src/store/database.js';

const config = loadConfig(process.env);
const store = await openStore(config.database);
const app = await buildApp({ config, store, logger: false });
app.get('/bench/baseline', async () => ({ ok: true }));
app.post('/bench/baseline', async (request) => ({ echo: request.body }));
const staticScript = staticScriptLike(readFileSync(join(PUBLIC_DIR, 'widget.js')), readFileSync(join(PUBLIC_DIR, 'widget.js.br')).length);
const staticHash = createHash('sha256').update(staticScript.identity).digest('base64url').slice(0, 22);
app.route({
  method: ['GET', 'HEAD'],
  url: '/bench/static.js',
  compress: false,
  handler: async (request, reply) => {
    const coding = negotiateEncoding(request.headers['accept-encoding'], ['br', 'gzip', 'identity']);
    const etag = coding === 'identity' ? `"${staticHash}"` : `"${staticHash}-${coding}"`;
    // The headers /widget.js is sent with, so that a warm visit finds it in the cache the same way.
    reply
      .header('vary', 'accept-encoding')
      .header('cache-control', 'public, max-age=300')
      .header('etag', etag)
      .header('access-control-allow-origin', '*')
      .header('cross-origin-resource-policy', 'cross-origin')
      .header('x-content-type-options', 'nosniff');
    if (ifNoneMatchMatches(request.headers['if-none-match'], etag)) return reply.code(304).send();
    if (coding !== 'identity') reply.header('content-encoding', coding);
    return reply.type('text/javascript; charset=utf-8').send(staticScript[coding]);
  },
});
const address = await app.listen({ port: 0, host: '127.0.0.1' });
app.publicUrl.value = address;
process.stdout.write(`${address}\n`);
process.on('SIGTERM', () => {
  void app.close().then(() => store.close()).then(() => process.exit(0));
});


/**
 * A script that sets `window.__staticLoaded` and is otherwise a comment, as long as `loader` and, compressed
 * the way scripts/compress.mjs compresses it, within a few bytes of `brotliSize`: the comment is a run of
 * pseudo-random base64url characters (a fixed seed, so every run serves the same bytes; brotli cannot shrink
 * them below 6 bits each) padded with `x`s, which cost nothing compressed; the split between the two is
 * searched for. So the browser downloads, decompresses and parses as much as it does for widget.js, and
 * runs nothing.
 */
function staticScriptLike(loader: Buffer, brotliSize: number): Record<ContentCoding, Buffer> {
  const head = 'window.__staticLoaded = true;/*';
  const tail = '*/\n';
  const room = loader.length - head.length - tail.length;
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  let noise = '';
  for (let block = 0; noise.length < room; block++) {
    for (const byte of createHash('sha256').update(`parley-bench-static-${block}`).digest()) noise += alphabet[byte & 63];
  }
  const body = (random: number) => Buffer.from(head + noise.slice(0, random) + 'x'.repeat(room - random) + tail);
  const brotli = (b: Buffer) =>
    brotliCompressSync(b, {
      params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT, [constants.BROTLI_PARAM_SIZE_HINT]: b.length },
    });
  // The compressed size grows with the random part: the smallest random part that reaches the target.
  let low = 0;
  let high = room;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (brotli(body(mid)).length < brotliSize) low = mid + 1;
    else high = mid;
  }
  const identity = body(low);
  return { identity, br: brotli(identity), gzip: gzipSync(identity, { level: 9 }) };
}
