import { assertSchemaMatchesDatabase, compareSchemaWithDatabase } from '@im/db';
import { createTestDatabase } from '@im/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, SCHEMA_PATH } from './harness.js';

describe('migrations and the Prisma schema', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    database = await createTestDatabase({ migrationsDir: MIGRATIONS_DIR });
  });
  afterAll(() => database?.drop());

  it('produce the same tables, columns, keys and indexes', async () => {
    expect(await compareSchemaWithDatabase({ schemaPath: SCHEMA_PATH, url: database.url })).toEqual([]);
    await assertSchemaMatchesDatabase({ schemaPath: SCHEMA_PATH, url: database.url });
  });
});
