import { defineConfig } from 'vitest/config';

// Four tiers, each runnable alone (see README "Tests"): unit beside the code, integration with real
// servers on port 0, services against real PostgreSQL/Redis/Mosquitto, e2e in Chromium.
export default defineConfig({
  test: {
    projects: [
      // The web UI's unit tests are pure logic (no DOM): they run in node beside the server's.
      { test: { name: 'unit', include: ['src/**/*.test.ts', 'web/src/**/*.test.ts'], environment: 'node' } },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: ['test/services/**', 'test/e2e/**'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'services',
          include: ['test/services/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          // One Chromium and one server at a time: the tier shares two cores with everything else.
          fileParallelism: false,
        },
      },
    ],
  },
});
