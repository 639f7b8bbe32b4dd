import { defineConfig } from 'vitest/config';

export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  test: {
    include: ['test/**/*.test.{ts,tsx}'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Both cores: most tests wait on a database, a socket or a browser, and Vitest's default leaves one idle.
    maxWorkers: 2,
    // A worker runs its test files one after another in one module graph instead of importing the server
    // afresh for each (that import was 73 s of the run): 187 s → 140 s. Tests therefore restore what they
    // change of the process (spies, timers, globals) and keep their state in their own app and database.
    isolate: false,
  },
});
