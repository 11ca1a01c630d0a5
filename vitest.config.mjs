import { defineConfig } from 'vitest/config';

// Two projects: `unit` runs in seconds without privileges (`npx vitest run --project unit`);
// `e2e` needs root (network namespaces, live capture, nftables, dpkg) or a browser.
// CI (scripts/test.sh) runs both.
const E2E = ['test/e2e/**/*.test.ts', 'test/browser/**/*.test.ts', 'test/package/**/*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // The CLI tests spawn the built program; two workers fit this 2-core machine.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: E2E } },
      { extends: true, test: { name: 'e2e', include: E2E } },
    ],
  },
});
