/**
 * PARLEY_SQLITE_SYNCHRONOUS chooses SQLite's durability: `normal` (the default; in WAL mode no commit is lost
 * when the process crashes, the last ones may be when the machine loses power) or `full` (an fsync at every
 * commit: survives a power loss too).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../server/src/config.js';
import { openStore } from '../../../server/src/store/database.js';

async function synchronousOf(setting: 'normal' | 'full' | undefined): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-sync-'));
  const store = await openStore({ kind: 'sqlite', path: join(dir, 'p.db') }, setting ? { sqliteSynchronous: setting } : {});
  try {
    const { rows } = await sql<{ synchronous: number }>`pragma synchronous`.execute(store.db);
    return rows[0]!.synchronous;
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('PARLEY_SQLITE_SYNCHRONOUS', () => {
  it('is normal unless set, and reads normal or full from the variable or --sqlite-synchronous', () => {
    expect(loadConfig({}).sqliteSynchronous).toBe('normal');
    expect(loadConfig({ PARLEY_SQLITE_SYNCHRONOUS: 'full' }).sqliteSynchronous).toBe('full');
    expect(loadConfig({ PARLEY_SQLITE_SYNCHRONOUS: 'full' }, new Map([['--sqlite-synchronous', 'normal']])).sqliteSynchronous).toBe('normal');
  });

  it('refuses anything else, naming the variable', () => {
    let problems: readonly string[] = [];
    try {
      loadConfig({ PARLEY_SQLITE_SYNCHRONOUS: 'off' });
    } catch (error) {
      if (error instanceof ConfigError) problems = error.problems;
    }
    expect(problems).toEqual(['PARLEY_SQLITE_SYNCHRONOUS (--sqlite-synchronous): must be normal or full']);
  });

  it('sets PRAGMA synchronous on the connection: 1 (NORMAL) by default, 2 (FULL) when asked', async () => {
    expect(await synchronousOf(undefined)).toBe(1);
    expect(await synchronousOf('normal')).toBe(1);
    expect(await synchronousOf('full')).toBe(2);
  });
});
