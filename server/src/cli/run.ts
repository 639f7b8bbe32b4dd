/**
 * One `parley` invocation, as a function: `runCli(argv, io)` parses the arguments, reads the configuration
 * from `io.env` (the same settings as the server, so `token`, `keys`, `admin`, `users`, `seats` and
 * `api-credentials` act on the instance `serve` runs), runs the command, and answers its exit code. It
 * writes only to `io.stdout` and `io.stderr`, reads time only from `io.now`, never exits the process, and
 * closes the store it opened, so tests run it in process. `--json` makes every command but `serve` print
 * one JSON document (or `{"error":{"code","message"}}`) on stdout instead of text.
 */
import { ConfigError, loadConfig, type Config } from '../config.js';
import { ParleyError } from '../errors.js';
import { parseArgs, UsageError } from './args.js';
import { apiCredentialsCommand } from './api-credentials.js';
import { adminCommand, seatsCommand, usersCommand } from './accounts.js';
import { keysCommand, tokenCommand } from './keys.js';
import { createOutput, type TextSink } from './output.js';
import type { Command } from './shell.js';
import { USAGE } from './usage.js';

export interface CliIo {
  stdout: TextSink;
  stderr: TextSink;
  /** Where the configuration is read from: `process.env` in the program. */
  env: Readonly<Record<string, string | undefined>>;
  /** The clock of timestamps, token lifetimes and link expiry (`Date.now` when omitted). */
  now?: () => number;
  /**
   * Starts the server for `serve`, resolving once it listens. Only the program passes one: a server
   * outlives the call and answers the process's signals, so without it `serve` fails.
   */
  serve?: (config: Config) => Promise<void>;
}

const COMMANDS: ReadonlyMap<string, Command> = new Map([
  ['token', tokenCommand],
  ['keys', keysCommand],
  ['admin', adminCommand],
  ['users', usersCommand],
  ['seats', seatsCommand],
  ['api-credentials', apiCredentialsCommand],
]);

/** What a failure says: its code (for --json) and message. */
function describeFailure(error: unknown): { code: string; message: string } {
  if (error instanceof ParleyError) return { code: error.code, message: error.message };
  if (error instanceof UsageError) return { code: 'usage', message: error.message };
  if (error instanceof ConfigError) return { code: 'config', message: error.message };
  return { code: 'internal_error', message: error instanceof Error ? error.message : String(error) };
}

/** Runs `parley <argv…>` and answers the exit code: 0 done (or serving), 1 failed, 2 no command given. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const { positional, flags } = parseArgs(argv);
  const command = positional.shift();
  const output = createOutput(io.stdout, io.stderr, command !== 'serve' && flags.has('--json') && flags.get('--json') !== 'false');
  if (!command || command === 'help' || flags.has('--help')) {
    output.line(USAGE);
    return command ? 0 : 2;
  }
  try {
    const config = loadConfig(io.env, command === 'serve' ? flags : new Map());
    if (command === 'serve') {
      if (!io.serve) throw new TypeError('serve runs only as the parley program (runCli was given no io.serve)');
      await io.serve(config);
      return 0;
    }
    const run = COMMANDS.get(command);
    if (!run) throw new UsageError(`unknown command ${command}`);
    await run({ config, now: io.now ?? Date.now, output }, { positional, flags });
    return 0;
  } catch (error) {
    const failure = describeFailure(error);
    if (output.json) output.document({ error: failure });
    // A usage error shows the usage; nothing else shows more than its message (never a stack trace).
    output.note(error instanceof UsageError ? `parley: ${failure.message}\n\n${USAGE}` : `parley: ${failure.message}`);
    return 1;
  }
}
