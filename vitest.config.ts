import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two files at once even on two cores (vitest's default there is one): most of the suite waits
    // on child processes and servers, and the run took 12.6 min one file at a time, 9.3 min two.
    maxWorkers: 2,
  },
});
