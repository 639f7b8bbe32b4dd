/**
 * Parley as a real process, the way `npm start` runs it: `node dist/server/cli.js serve` with only the
 * environment it is given (nothing of the test's own PARLEY_* or DATABASE_URL leaks in). Its stdout is pino
 * JSON lines; `waitForLine` reads them as they come. Needs the server built (`node scripts/build.mjs`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(ROOT, 'dist', 'server', 'cli.js');

export interface LogLine {
  /** The line as printed. */
  raw: string;
  /** Pino's `msg`, or the raw line when it is not JSON. */
  msg: string;
}

export interface ParleyProcess {
  child: ChildProcess;
  /** Every stdout line so far. */
  lines: LogLine[];
  /** Everything on stderr so far. */
  stderr(): string;
  /** The first line (already printed or still to come) whose `msg` matches; rejects after `timeoutMs` or at exit. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** SIGTERM, then the exit code (SIGKILL if it has not exited after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<number | null>;
}

export function spawnParley(env: Record<string, string>, args: string[] = ['serve']): ParleyProcess {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  const listeners = new Set<(line: LogLine) => void>();
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  createInterface({ input: child.stdout! }).on('line', (raw) => {
    let msg = raw;
    try {
      const parsed = JSON.parse(raw) as { msg?: unknown };
      if (typeof parsed.msg === 'string') msg = parsed.msg;
    } catch {
      // Not JSON: matched as printed.
    }
    const line = { raw, msg };
    lines.push(line);
    for (const listener of listeners) listener(line);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  return {
    child,
    lines,
    stderr: () => stderr,
    waitForLine(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        const check = (line: LogLine) => {
          const match = line.msg.match(pattern);
          if (match) {
            done();
            resolve(match);
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no log line matching ${pattern} within ${timeoutMs} ms; stdout:\n${lines.map((l) => l.raw).join('\n')}\nstderr:\n${stderr}`));
        }, timeoutMs);
        listeners.add(check);
        for (const line of lines) if (listeners.has(check)) check(line);
        void exited.then((code) => {
          if (!listeners.has(check)) return;
          done();
          reject(new Error(`parley exited (${code}) before a log line matched ${pattern}; stderr:\n${stderr}`));
        });
      });
    },
    async stop(timeoutMs = 5_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([exited, new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)))]);
      clearTimeout(timer);
      if (code !== 'timeout') return code;
      child.kill('SIGKILL');
      await exited;
      throw new Error(`parley did not exit within ${timeoutMs} ms of SIGTERM and was killed`);
    },
  };
}
