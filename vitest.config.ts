import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration files each start a server with its own worker threads: two files at a time fit 2 cores.
    maxWorkers: 2,
    pool: 'forks',
    // Under CI a skipped test fails the run (test/reporters/no-skips.ts): every peer is installed first.
    reporters: ['default', './test/reporters/no-skips.ts'],
  },
});
