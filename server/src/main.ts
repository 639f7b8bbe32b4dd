/**
 * The Parley process: open the database (migrating it), build the app, listen, and close gracefully on
 * SIGINT/SIGTERM. Configuration arrives already validated.
 */
import type { Config } from './config.js';
import { derivePublicUrl } from './config.js';
import { buildApp } from './app.js';
import { openStore } from './store/database.js';

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

export async function startServer(config: Config, options: { handleSignals?: boolean } = {}): Promise<RunningServer> {
  const store = await openStore(config.database, { sqliteSynchronous: config.sqliteSynchronous });
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
      await app.close();
      await store.close();
    })());

  if (options.handleSignals) {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        app.log.info(`${signal}: closing`);
        close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      });
    }
  }
  return { url: app.publicUrl.value, close };
}
