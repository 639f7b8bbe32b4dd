/**
 * A real Parley server for the browser tests: the app built on a fresh SQLite store, listening on a random
 * port of 127.0.0.1 (its public URL), and a small JSON client of its HTTP API with every request bounded by
 * `WAIT_MS`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp, type App } from '../../server/src/app.js';
import { loadConfig } from '../../server/src/config.js';
import { WAIT_MS } from './browser.js';
import { createTestStore, type TestStore } from './databases.js';

export interface LiveParley {
  app: App;
  db: TestStore;
  /** `http://127.0.0.1:<port>`, also the app's public URL. */
  origin: string;
  /** Closes the app, then its store. */
  close(): Promise<void>;
}

/** Builds the app for the environment `env` and listens on a free port of 127.0.0.1. */
export async function startLiveParley(env: Record<string, string>, options: { heartbeatMs?: number } = {}): Promise<LiveParley> {
  const db = await createTestStore('sqlite');
  // Files go to a folder of this server's own, removed on close (never the working directory's ./data).
  const files = env['PARLEY_FILE_STORAGE'] === undefined && env['PARLEY_S3_URL'] === undefined ? mkdtempSync(join(tmpdir(), 'parley-files-')) : null;
  const config = loadConfig({ ...(files ? { PARLEY_FILE_STORAGE: files } : {}), ...env });
  const app = await buildApp({ config, store: db.store, ...(options.heartbeatMs ? { heartbeatMs: options.heartbeatMs } : {}) });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const origin = `http://127.0.0.1:${new URL(address).port}`;
  app.publicUrl.value = origin;
  return {
    app,
    db,
    origin,
    async close() {
      await app.close();
      await db.dispose();
      if (files) rmSync(files, { recursive: true, force: true });
    },
  };
}

export interface ApiCallOptions {
  /** A bearer session token. */
  token?: string;
  /** Sent as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
}

export type ApiCall = <T>(method: string, path: string, options?: ApiCallOptions) => Promise<{ status: number; body: T }>;

/** A JSON client of the API at `origin()` (read at each call: the server may start after the client is made). */
export function apiClient(origin: () => string): ApiCall {
  return async <T>(method: string, path: string, options: ApiCallOptions = {}) => {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (options.token) headers['authorization'] = `Bearer ${options.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(origin() + path, {
      method,
      headers,
      signal: AbortSignal.timeout(WAIT_MS),
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    return { status: response.status, body: (await response.json()) as T };
  };
}
