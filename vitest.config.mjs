import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // The CLI tests spawn the built program; two workers fit this 2-core machine.
    maxWorkers: 2,
  },
});
