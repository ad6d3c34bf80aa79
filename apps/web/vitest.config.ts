import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: { name: 'unit', include: ['src/**/*.test.ts'], sequence: { groupOrder: 0 } },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          // One standalone system for every end-to-end file; each test makes its own users.
          globalSetup: ['test/e2e/global-setup.ts'],
          testTimeout: 120_000,
          // Conditions in a browser take a moment on a loaded 2-core machine; polls wait up to 20 s.
          expect: { poll: { timeout: 20_000, interval: 100 } },
          hookTimeout: 180_000,
          // Browsers are heavy on a 2-core machine: two files at a time.
          maxWorkers: 2,
          // After the unit tests, which are quick and need nothing running.
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
