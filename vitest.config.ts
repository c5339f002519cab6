import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration files each start a server with its own worker threads: two files at a time fit 2 cores.
    maxWorkers: 2,
    pool: 'forks',
    // Tests run the TypeScript sources: a CLI they spawn (bin/clinfer.mjs) runs them through tsx, never a
    // dist/ that may be older (test/integration/build.test.ts runs a fresh build on its own).
    env: { CLINFER_FROM_SOURCE: '1' },
    // Under CI a skipped test fails the run (test/reporters/no-skips.ts): every peer is installed first.
    reporters: ['default', './test/reporters/no-skips.ts'],
  },
});
