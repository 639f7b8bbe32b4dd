// Provisioning burst on PostgreSQL: 1,000 distinct new users sign in at 50 concurrent connections against a
// seat limit of 600. Exactly 600 accounts must exist afterwards; reports accounts created per second.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { SignJWT } from 'jose';

const SECRET = 'bench-secret-bench-secret-bench-secret!!';
const URL_BASE = process.env.PARLEY_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export async function measureProvisioning({ root, users = 1000, seats = 600, connections = 50 }) {
  const admin = new pg.Client({ connectionString: URL_BASE, connectionTimeoutMillis: 2000 });
  try {
    await admin.connect();
  } catch (error) {
    return { skipped: `PostgreSQL does not answer at ${URL_BASE} (${error.message})` };
  }
  const database = `parley_bench_${randomBytes(4).toString('hex')}`;
  await admin.query(`create database ${database}`);
  const url = new URL(URL_BASE);
  url.pathname = `/${database}`;
  const child = spawn(process.execPath, [join(root, 'dist/bench/server.js')], {
    env: { ...process.env, DATABASE_URL: url.href, PARLEY_EXTERNAL_AUTH_SECRET: SECRET, PARLEY_SEAT_LIMIT: String(seats), PARLEY_SIGNIN_RATE_LIMIT: '0', PARLEY_SIGNIN_RATE_LIMIT_PER_KEY: '0', LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const base = await new Promise((resolve, reject) => {
      child.stdout.once('data', (c) => resolve(c.toString().trim()));
      child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    });
    const key = new TextEncoder().encode(SECRET);
    const tokens = await Promise.all(
      Array.from({ length: users }, (_, i) => new SignJWT({ user: { id: `burst-${i}`, email: `burst-${i}@example.com` } }).setProtectedHeader({ alg: 'HS256', kid: 'env' }).setIssuedAt().setExpirationTime('1h').sign(key)),
    );
    const outcomes = new Map();
    let next = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (next < tokens.length) {
          const token = tokens[next++];
          const res = await fetch(`${base}/api/v1/auth/exchange`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ externalAuthCode: token }) });
          const code = res.status === 200 ? 'ok' : (await res.json()).error.code;
          outcomes.set(code, (outcomes.get(code) ?? 0) + 1);
        }
      }),
    );
    const seconds = (performance.now() - start) / 1000;
    const check = new pg.Client({ connectionString: url.href });
    await check.connect();
    const accounts = Number((await check.query('select count(*) from users where active = 1')).rows[0].count);
    await check.end();
    return { users, seats, accounts, outcomes: Object.fromEntries(outcomes), seconds, accountsPerSecond: accounts / seconds };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await admin.query(`drop database if exists ${database} with (force)`);
    await admin.end();
  }
}

if (process.argv[1]?.endsWith('provisioning.mjs')) console.log(await measureProvisioning({ root: join(import.meta.dirname, '..') }));
