/**
 * The Parley process: open the database (migrating it), build the app, listen, and close gracefully on
 * SIGINT/SIGTERM. Configuration arrives already validated.
 *
 * Closing (docs/deploy.md, Graceful shutdown) is Fastify's own order: every event stream is told to reconnect
 * (`retry:`) and ended, the listening socket closes (a load balancer's next connection is refused and goes to
 * another instance), requests in flight finish, then the background work stops (the onClose hooks) and the
 * database closes. A close that has not finished within SHUTDOWN_DEADLINE_MS drops the connections still
 * open, is logged, and the process exits 1.
 */
import type { Config } from './config.js';
import { derivePublicUrl } from './config.js';
import { buildApp } from './app.js';
import { openStore } from './store/database.js';

/**
 * How long a close on SIGTERM may take before the process gives up on it: under the 10 s that an
 * orchestrator (Docker's `stop`, Kubernetes' grace period of 30 s) usually allows before SIGKILL.
 */
const SHUTDOWN_DEADLINE_MS = 9000;
const IDLE_REAP_EVERY_MS = 50;

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

export async function startServer(config: Config, options: { handleSignals?: boolean } = {}): Promise<RunningServer> {
  const store = await openStore(config.database, { sqliteSynchronous: config.sqliteSynchronous, poolSize: config.dbPoolSize, preparedStatements: config.dbPreparedStatements });
  const app = await buildApp({ config, store, logger: { level: config.logLevel } });
  let address: string;
  try {
    address = await app.listen({
      port: config.port,
      host: config.host,
      listenTextResolver: (listening) => {
        const port = Number(new URL(listening).port);
        return `Parley listening on ${listening} on port ${port} (public URL ${derivePublicUrl(config, port)})`;
      },
    });
  } catch (error) {
    await app.close();
    await store.close();
    throw error;
  }
  const port = Number(new URL(address).port);
  app.publicUrl.value = derivePublicUrl(config, port);
  const setupLink = await app.services.adminLinks.ownerSetupLinkIfNeeded(app.publicUrl.value);
  if (setupLink) {
    app.log.info({ adminSetup: true }, `No owner yet. Open this one-time link to become the owner of this Parley instance: ${setupLink}`);
  }
  if (!config.externalAuthSecret) {
    app.log.info('External auth uses keys from the database (`npm run parley -- keys create`); PARLEY_EXTERNAL_AUTH_SECRET is not set.');
  }

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      // Node's server.close() drops the connections idle at that moment, not those that become idle when
      // their last response is sent (a keep-alive client's, an in-flight request's): without this they would
      // hold the close until their keep-alive timeout.
      const reaper = setInterval(() => app.server.closeIdleConnections(), IDLE_REAP_EVERY_MS);
      try {
        await app.close();
      } finally {
        clearInterval(reaper);
      }
      await store.close();
    })());

  if (options.handleSignals) {
    let signalled = false;
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.on(signal, () => {
        if (signalled) {
          app.log.warn(`${signal} again while closing: exiting now`);
          process.exit(1);
        }
        signalled = true;
        const startedAt = performance.now();
        app.log.info(`${signal}: closing (streams told to reconnect, no new connections, requests in flight finish)`);
        const deadline = setTimeout(() => {
          app.log.error(`still closing after ${SHUTDOWN_DEADLINE_MS} ms: dropping the open connections and exiting 1`);
          app.server.closeAllConnections();
          process.exit(1);
        }, SHUTDOWN_DEADLINE_MS);
        close().then(
          () => {
            clearTimeout(deadline);
            app.log.info({ ms: Math.round(performance.now() - startedAt) }, 'closed');
            process.exit(0);
          },
          (error: unknown) => {
            clearTimeout(deadline);
            app.log.error({ err: error }, 'close failed');
            process.exit(1);
          },
        );
      });
    }
  }
  return { url: app.publicUrl.value, close };
}

