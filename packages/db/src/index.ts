export { type PgAdapterOptions, pgAdapter } from './adapter.js';
export { type EmbeddedPostgres, type EmbeddedPostgresOptions, startEmbeddedPostgres } from './embedded.js';
export { type DbLogger, silentDbLogger } from './logger.js';
export { checksumOf, type MigrationFile, readMigrations, scriptMatchesChecksum } from './migrations/files.js';
export {
  MIGRATIONS_TABLE,
  type MigrateOptions,
  type MigrateResult,
  type MigrationRecord,
  migrate,
  PRISMA_MIGRATE_LOCK_KEY,
  readMigrationHistory,
} from './migrations/migrate.js';
export {
  assertSchemaMatchesDatabase,
  compareSchemaWithDatabase,
  type SchemaCheckOptions,
} from './schema-check/check.js';
export { type DifferenceKind, formatDifference, type SchemaDifference } from './schema-check/compare.js';
export {
  type IsolationLevel,
  isWriteConflict,
  type TransactionClient,
  type WithTransactionOptions,
  withTransaction,
} from './transaction.js';
export {
  assertSchemaName,
  type DatabaseTarget,
  quoteIdent,
  resolveDatabaseTarget,
  withDatabase,
} from './url.js';
