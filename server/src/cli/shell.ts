/**
 * What a command runs with: the configuration, the clock, where its output goes, and, for as long as the
 * command runs, the store (closed when it ends, failed or not) and the server's services on it.
 */
import { derivePublicUrl, type Config } from '../config.js';
import { createServices, type Services } from '../services.js';
import { openStore, type Store } from '../store/database.js';
import type { Args } from './args.js';
import type { Output } from './output.js';

export interface Shell {
  config: Config;
  /** The clock every timestamp, expiry and token lifetime of the command is read from. */
  now: () => number;
  output: Output;
}

/** One `parley <command>`: parses its own arguments, calls the services, renders through `shell.output`. */
export type Command = (shell: Shell, args: Args) => Promise<void>;

/** Runs `run` on the configured database, closing it afterwards. */
export async function withStore<T>(shell: Shell, run: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(shell.config.database);
  try {
    return await run(store);
  } finally {
    await store.close();
  }
}

/**
 * The server's services on the configured database, for commands that follow the admin panel's rules. The
 * shell acts as the CLI actor (`cliContext()`: an owner's rights, named "parley CLI" in the audit log)
 * through the same use cases as the panel.
 */
export function withServices<T>(shell: Shell, run: (services: Services) => Promise<T>): Promise<T> {
  const { config, now } = shell;
  return withStore(shell, (store) => {
    // The CLI verifies no token, so it never fetches a JWK Set (add-jwks only registers the URL).
    const services = createServices({ config, store, now, publicUrl: () => derivePublicUrl(config, config.port), jwksFetch: async () => ({}) });
    return run(services);
  });
}
