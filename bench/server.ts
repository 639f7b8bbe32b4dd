/**
 * The server under benchmark: the real Parley app on its own database, plus one bare Fastify route in the
 * same process (`GET /bench/baseline`) as the baseline every figure is divided by. Prints its URL.
 */
import { buildApp } from '../server/src/app.js';
import { loadConfig } from '../server/src/config.js';
import { openStore } from '../server/src/store/database.js';

const config = loadConfig(process.env);
const store = await openStore(config.database);
const app = await buildApp({ config, store, logger: false });
app.get('/bench/baseline', async () => ({ ok: true }));
const address = await app.listen({ port: 0, host: '127.0.0.1' });
app.publicUrl.value = address;
process.stdout.write(`${address}\n`);
process.on('SIGTERM', () => {
  void app.close().then(() => store.close()).then(() => process.exit(0));
});
