/**
 * The admin users page with 10,000 accounts: time to the first page of `GET /api/v1/admin/users` (and to a
 * search), median of 20, on SQLite. Run by bench/run.mjs; prints one JSON line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../server/src/app.js';
import { loadConfig } from '../server/src/config.js';
import { openStore } from '../server/src/store/database.js';

const ACCOUNTS = 10_000;
const dir = mkdtempSync(join(tmpdir(), 'parley-admin-bench-'));
const store = await openStore({ kind: 'sqlite', path: join(dir, 'a.db') });
const config = loadConfig({ PARLEY_SEAT_LIMIT: String(ACCOUNTS + 10), LOG_LEVEL: 'silent' });
const app = await buildApp({ config, store });
const now = Date.now();
await store.db.transaction().execute(async (trx) => {
  for (let i = 0; i < ACCOUNTS; i += 500) {
    await trx
      .insertInto('users')
      .values(
        Array.from({ length: Math.min(500, ACCOUNTS - i) }, (_, j) => ({
          id: `usr_bench${String(i + j).padStart(6, '0')}`,
          external_id: `ext-${i + j}`,
          email: `user${i + j}@example.com`,
          email_normalized: `user${i + j}@example.com`,
          name: `User ${i + j}`,
          avatar_url: null,
          metadata: '{}',
          role: i + j === 0 ? ('owner' as const) : ('member' as const),
          organization_id: 'default',
          active: 1,
          created_via: 'external_token' as const,
          created_at: now - (i + j),
          last_seen_at: null,
        })),
      )
      .execute();
  }
});
const session = await app.services.sessions.create({ id: 'usr_bench000000', session_epoch: 0 }, Date.now(), 3600_000);
const headers = { authorization: `Bearer ${session.token}` };
const time = async (url: string) => {
  const runs: number[] = [];
  for (let i = 0; i < 20; i++) {
    const start = performance.now();
    const res = await app.inject({ method: 'GET', url, headers });
    if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode}`);
    runs.push(performance.now() - start);
  }
  return runs.sort((a, b) => a - b)[10]!;
};
const firstPageMs = await time('/api/v1/admin/users');
const searchMs = await time('/api/v1/admin/users?q=user 99');
await app.close();
await store.close();
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({ accounts: ACCOUNTS, firstPageMs: Number(firstPageMs.toFixed(2)), searchMs: Number(searchMs.toFixed(2)) }));
