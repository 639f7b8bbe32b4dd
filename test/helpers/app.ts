/**
 * Builds the real app on a fresh database for a route test, with a clock the test controls, a signing
 * helper for external tokens, and every log line captured.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, type App, type AppOptions } from '../../server/src/app.js';
import { loadConfig, type Config } from '../../server/src/config.js';
import { signExternalToken } from '../../server/src/auth/sign-external-token.js';
import { createTestStore, type DialectName, type TestStore } from './databases.js';

export const TEST_SECRET = 'test-secret-that-is-at-least-32-bytes-long!';
export const PUBLIC_URL = 'http://127.0.0.1:3000';

export interface TestApp {
  app: App;
  config: Config;
  db: TestStore;
  clock: { now: number };
  logs: string[];
  /** Signs `payload` with the environment key (kid `env`) unless told otherwise. */
  sign(payload: Record<string, unknown>, options?: { secret?: Uint8Array | string; kid?: string; expiresIn?: number; iat?: number }): Promise<string>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  dialect?: DialectName;
  env?: Record<string, string>;
  heartbeatMs?: number;
  /** The deadline of one webhook delivery (default 15 s). */
  webhookTimeoutMs?: number;
  /** The prefix of Redis keys and channels, for a test that sets PARLEY_REDIS_URL. */
  redisKeyPrefix?: string;
  /** The assistant's deadlines (assistant/sender.ts). */
  assistant?: AppOptions['assistant'];
}

export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  // Files go to a folder of this app's own, removed on close (never the working directory's ./data).
  const files = options.env?.['PARLEY_FILE_STORAGE'] !== undefined || options.env?.['PARLEY_S3_URL'] !== undefined ? null : mkdtempSync(join(tmpdir(), 'parley-files-'));
  const config = loadConfig({
    ...(files ? { PARLEY_FILE_STORAGE: files } : {}),
    PUBLIC_URL,
    PARLEY_EXTERNAL_AUTH_SECRET: TEST_SECRET,
    PARLEY_SEAT_LIMIT: '50',
    // Route tests sign in many times from one address; the rate-limit tests turn it back on.
    PARLEY_SIGNIN_RATE_LIMIT: '0',
    PARLEY_SIGNIN_RATE_LIMIT_PER_KEY: '0',
    ...options.env,
  });
  const db = await createTestStore(options.dialect ?? 'sqlite');
  const clock = { now: Date.UTC(2026, 10, 20, 12, 0, 0) };
  const logs: string[] = [];
  const app = await buildApp({
    config,
    store: db.store,
    now: () => clock.now,
    logger: { level: 'trace', stream: { write: (line: string) => void logs.push(line) } },
    ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}),
    ...(options.webhookTimeoutMs ? { webhookTimeoutMs: options.webhookTimeoutMs } : {}),
    ...(options.redisKeyPrefix ? { redisKeyPrefix: options.redisKeyPrefix } : {}),
    ...(options.assistant ? { assistant: options.assistant } : {}),
  });
  await app.ready();
  return {
    app,
    config,
    db,
    clock,
    logs,
    sign(payload, o = {}) {
      const secret = typeof o.secret === 'string' ? new TextEncoder().encode(o.secret) : (o.secret ?? new TextEncoder().encode(TEST_SECRET));
      return signExternalToken({
        secret,
        kid: o.kid ?? 'env',
        payload,
        issuedAt: o.iat ?? Math.floor(clock.now / 1000),
        expiresInSeconds: o.expiresIn ?? 3600,
      });
    },
    async close() {
      await app.close();
      await db.dispose();
      if (files) rmSync(files, { recursive: true, force: true });
    },
  };
}

/** A random user id for tests that need many distinct users. */
export const randomUserId = () => `u-${randomBytes(6).toString('hex')}`;
