/**
 * The built `parley` program as a real process, for what only a process shows: boot refuses bad
 * configuration with exit code 1 and a message naming the variable; PORT=0 listens, logs the port and stops
 * on SIGTERM with 0; and a failing command exits and prints exactly as `runCli` answers in process, so the
 * in-process command tests (cli.test.ts) speak for the program. Needs the server built
 * (`node scripts/build.mjs --server`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { runCli } from '../../server/src/cli/run.js';
import { CLI, spawnParley } from '../helpers/parley-process.js';

const dir = mkdtempSync(join(tmpdir(), 'parley-process-'));
/** Only what is given here reaches the program: nothing of the test's own PARLEY_* or DATABASE_URL. */
const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', DATABASE_URL: `sqlite:${join(dir, 'p.db')}`, LOG_LEVEL: 'info' };
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (args: string[], extra: Record<string, string> = {}) =>
  spawnSync(process.execPath, [CLI, ...args], { env: { ...env, ...extra }, encoding: 'utf8', timeout: 15_000 });

describe('parley serve', () => {
  // One bad setting stands for all: cli.test.ts runs each through runCli, the same code.
  it('stops the boot when PARLEY_SEAT_LIMIT=-1, naming the variable', () => {
    const result = run(['serve', '--port', '0'], { PARLEY_SEAT_LIMIT: '-1' });
    expect(result.status).toBe(1);
    // Exactly the message: no stack trace.
    expect(result.stderr).toBe('parley: Invalid configuration:\n  PARLEY_SEAT_LIMIT (--seat-limit): must be a whole number from 0 to 999,999,999\n');
    expect(result.stdout).not.toContain('listening');
  });

  it('listens on PORT=0, logs the port, answers /healthz and stops on SIGTERM', async () => {
    const parley = spawnParley({ ...env, PORT: '0' });
    // Whatever fails below, the process does not outlive the test.
    onTestFinished(() => parley.stop().then(() => undefined, () => undefined));
    const [, port] = await parley.waitForLine(/on port (\d+)/, 10_000);
    expect(Number(port)).toBeGreaterThan(0);
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect(parley.lines.some((line) => line.msg.includes(`public URL http://127.0.0.1:${port}`))).toBe(true);
    expect(await parley.stop()).toBe(0);
  });
});

describe('parley <command>', () => {
  it('a failing command exits with the code, stdout JSON and stderr that runCli answers in process', async () => {
    const args = ['keys', 'retire', 'k_000000000000', '--json'];
    const spawned = run(args);
    expect(spawned.status).toBe(1);
    expect(JSON.parse(spawned.stdout)).toEqual({ error: { code: 'key_not_found', message: 'no active key k_000000000000' } });
    expect(spawned.stderr).toBe('parley: no active key k_000000000000\n');

    let stdout = '';
    let stderr = '';
    const status = await runCli(args, { stdout: { write: (s) => void (stdout += s) }, stderr: { write: (s) => void (stderr += s) }, env });
    expect({ status: spawned.status, stdout: spawned.stdout, stderr: spawned.stderr }).toEqual({ status, stdout, stderr });
  });
});
