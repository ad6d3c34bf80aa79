import { AppError } from '@im/contracts';
import pg from 'pg';
import { resolveDatabaseTarget } from '../url.js';
import { compareSchemas, formatDifference, type SchemaDifference } from './compare.js';
import { expectedSchemaFrom, readPrismaSchema } from './expected.js';
import { introspectSchema } from './introspect.js';

export interface SchemaCheckOptions {
  /** schema.prisma, or a folder of `.prisma` files. */
  schemaPath: string;
  /** The migrated database; a Prisma-style `?schema=` parameter is honoured. */
  url: string;
  /** The Postgres schema holding the service's tables (default: the URL's, else `public`). */
  schema?: string;
}

/**
 * Lists every difference between the tables Prisma Migrate would create for the
 * Prisma schema and what the database has: tables, columns (type, nullability,
 * default), primary keys, unique and plain indexes (name, columns, order,
 * method), foreign keys (columns, target, referential actions) and enums.
 * `_prisma_migrations` is ignored. Empty means they agree.
 *
 * Prisma 7's `migrate diff` needs the native schema engine, which cannot be
 * downloaded everywhere; this check needs only Prisma's wasm schema parser and
 * pg_catalog. See docs/database.md for what it does not cover.
 */
export async function compareSchemaWithDatabase(options: SchemaCheckOptions): Promise<SchemaDifference[]> {
  const expected = expectedSchemaFrom(await readPrismaSchema(options.schemaPath));
  const target = resolveDatabaseTarget(options.url, options.schema);
  const client = new pg.Client({
    connectionString: target.connectionString,
    application_name: 'im-db-schema-check',
  });
  await client.connect();
  try {
    return compareSchemas(expected, await introspectSchema(client, target.schema));
  } finally {
    await client.end();
  }
}

/** Throws `DB_SCHEMA_DRIFT` listing every difference when the migrated database does not match the Prisma schema. */
export async function assertSchemaMatchesDatabase(options: SchemaCheckOptions): Promise<void> {
  const differences = await compareSchemaWithDatabase(options);
  if (differences.length === 0) return;
  throw new AppError(
    'DB_SCHEMA_DRIFT',
    `The database does not match ${options.schemaPath} (${differences.length} difference${differences.length === 1 ? '' : 's'}):\n` +
      differences.map((d) => `  - ${formatDifference(d)}`).join('\n') +
      '\nAdd a migration that brings the database to the schema (or fix the schema).',
    { differences },
  );
}
