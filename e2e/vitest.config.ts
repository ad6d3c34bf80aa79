import { defineConfig } from 'vitest/config';

// Each file starts a whole system of processes: run files one at a time so a
// 2-core machine is not asked to run three clusters at once.
export default defineConfig({
  test: { testTimeout: 120_000, hookTimeout: 180_000, fileParallelism: false },
});
