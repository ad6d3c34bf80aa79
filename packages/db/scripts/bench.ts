/**
 * `pnpm --filter @im/db bench`: timings of the database plumbing on this
 * machine's Postgres (TEST_DATABASE_URL or 127.0.0.1:5432). Prints numbers;
 * asserts nothing.
 */
import { performance } from 'node:perf_hooks';
import { compareSchemaWithDatabase, migrate, quoteIdent } from '../src/index.js';
import {
  createScratchDatabase,
  FIXTURE_MIGRATIONS,
  FIXTURE_SCHEMA,
  SERVER_URL,
  sql,
} from '../test/helpers.js';

const RUNS = 5;

async function time(label: string, fn: () => Promise<void>): Promise<void> {
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  const median = samples[Math.floor(samples.length / 2)] ?? 0;
  console.log(
    `${label.padEnd(52)} median ${median.toFixed(1).padStart(7)} ms   (min ${samples[0]?.toFixed(1)}, max ${samples.at(-1)?.toFixed(1)}, n=${RUNS})`,
  );
}

const template = await createScratchDatabase();
try {
  await migrate({ url: template.url, migrationsDir: FIXTURE_MIGRATIONS });

  await time('migrate a fresh database (2 migrations)', async () => {
    const db = await createScratchDatabase();
    await migrate({ url: db.url, migrationsDir: FIXTURE_MIGRATIONS });
    await db.drop();
  });
  await time('migrate an up-to-date database (no-op)', async () => {
    await migrate({ url: template.url, migrationsDir: FIXTURE_MIGRATIONS });
  });
  await time('schema check (fixture schema vs database)', async () => {
    await compareSchemaWithDatabase({ schemaPath: FIXTURE_SCHEMA, url: template.url });
  });
  let n = 0;
  await time('CREATE DATABASE … TEMPLATE (createTestDatabase copy)', async () => {
    n += 1;
    await sql(
      SERVER_URL,
      `CREATE DATABASE ${quoteIdent(`${template.name}_copy${n}`)} TEMPLATE ${quoteIdent(template.name)}`,
    );
  });
  for (let i = 1; i <= n; i += 1) {
    await sql(SERVER_URL, `DROP DATABASE ${quoteIdent(`${template.name}_copy${i}`)} WITH (FORCE)`);
  }
} finally {
  await template.drop();
}
