/**
 * The server under benchmark: the real Parley app on its own database, plus bare Fastify routes in the
 * same process as the baselines every figure is divided by: `GET /bench/baseline` (a fixed small JSON, also
 * requested with the sign-in code in its query string, the hosted page's request line) and
 * `POST /bench/baseline` (parses the JSON body through the app's parser and echoes it: the same shape of
 * request and response as the exchange and the token API, with nothing done in between). Prints its URL.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildApp } from '../server/src/app.js';
import { PUBLIC_DIR } from '../server/src/paths.js';
import { loadConfig } from '../server/src/config.js';
import { openStore } from '../server/src/store/database.js';

const config = loadConfig(process.env);
const store = await openStore(config.database);
const app = await buildApp({ config, store, logger: false });
app.get('/bench/baseline', async () => ({ ok: true }));
app.post('/bench/baseline', async (request) => ({ echo: request.body }));
// A static script the size of widget.js, for the widget-load baseline.
const widgetSize = readFileSync(join(PUBLIC_DIR, 'widget.js')).length;
const staticScript = `window.__staticLoaded = true;/*${'x'.repeat(Math.max(0, widgetSize - 40))}*/`;
app.get('/bench/static.js', async (_request, reply) => reply.type('text/javascript').header('cache-control', 'no-store').send(staticScript));
const address = await app.listen({ port: 0, host: '127.0.0.1' });
app.publicUrl.value = address;
process.stdout.write(`${address}\n`);
process.on('SIGTERM', () => {
  void app.close().then(() => store.close()).then(() => process.exit(0));
});
