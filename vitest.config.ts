import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['server/**/*.test.ts', 'test/**/*.test.ts', 'actions/**/*.test.ts', 'plugins/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: more workers than that only adds contention between servers under test.
    pool: 'forks',
    maxWorkers: 2,
    fileParallelism: true,
  },
});
