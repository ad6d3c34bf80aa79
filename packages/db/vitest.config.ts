import { defineConfig } from 'vitest/config';

// Every test here creates databases and runs migrations on the machine's Postgres; on a
// loaded 2-core CI machine that takes seconds, not milliseconds.
export default defineConfig({
  test: { testTimeout: 30_000, hookTimeout: 60_000 },
});
