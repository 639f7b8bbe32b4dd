/**
 * The `parley` program (`dist/server/cli.js`, the package's bin; `npm run parley -- <command>` in a
 * checkout): `runCli` (cli/run.ts) on this process's arguments, streams and environment. `serve` starts the
 * server, which then runs until SIGINT or SIGTERM; every other command ends with its exit code.
 */
import { runCli } from './cli/run.js';
import { startServer } from './main.js';

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  serve: async (config) => {
    await startServer(config, { handleSignals: true });
  },
});
