/**
 * What a command runs with: the configuration, the clock, where its output goes, and, for as long as the
 * command runs, the store (closed when it ends, failed or not) and the server's services on it.
 */
import { derivePublicUrl, type Config } from '../config.js';
import { ParleyError } from '../errors.js';
import { createServices, type Services } from '../services.js';
import { openStore, type Store } from '../store/database.js';
import type { UserRow } from '../store/users.js';
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

/** Audit entries of shell actions, like the panel's, with the CLI as the actor. */
export interface ShellAudit {
  record(action: string, outcome: string, target: string | null): Promise<void>;
  /** Runs an action and records its outcome (its error code when it fails), as the REST routes do. */
  around<T>(action: string, target: string | null, run: () => Promise<T>): Promise<T>;
}

/**
 * Whoever runs the CLI has shell access to the instance's configuration and database, so they act with an
 * owner's rights. The user-admin rules read only the actor's role; the target-side rules (the last owner
 * cannot be deactivated) still apply, since they look at the target and the count of owners.
 */
export const SHELL_OPERATOR = { role: 'owner' } as UserRow;

/** The server's services on the configured database, for commands that follow the admin panel's rules. */
export function withServices<T>(shell: Shell, run: (services: Services, audit: ShellAudit) => Promise<T>): Promise<T> {
  const { config, now } = shell;
  return withStore(shell, (store) => {
    // The CLI verifies no token, so it never fetches a JWK Set (add-jwks only registers the URL).
    const services = createServices({ config, store, now, publicUrl: () => derivePublicUrl(config, config.port), jwksFetch: async () => ({}) });
    const record = (action: string, outcome: string, target: string | null) =>
      services.audit.record({ at: now(), kind: 'admin', action, actor_id: null, actor_label: 'parley CLI', outcome, origin: null, ip: null, target });
    const audit: ShellAudit = {
      record,
      async around(action, target, perform) {
        try {
          const result = await perform();
          await record(action, 'ok', target);
          return result;
        } catch (error) {
          if (error instanceof ParleyError) await record(action, error.code, target);
          throw error;
        }
      },
    };
    return run(services, audit);
  });
}
