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
  },
});
