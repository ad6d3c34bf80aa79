import { randomUUID } from 'node:crypto';
import { AppError } from '@im/contracts';
import pg from 'pg';
import { type DbLogger, silentDbLogger } from '../logger.js';
import { quoteIdent, resolveDatabaseTarget } from '../url.js';
import { type MigrationFile, readMigrations, scriptMatchesChecksum } from './files.js';

/**
 * The advisory-lock key `prisma migrate deploy` takes (prisma-engines,
 * sql-schema-connector, flavour/postgres.rs). Using the same key makes this
 * runner and Prisma's exclude each other as well as themselves.
 */
export const PRISMA_MIGRATE_LOCK_KEY = 72707369;

export const MIGRATIONS_TABLE = '_prisma_migrations';

/** Prisma's DDL for the history table, verbatim (prisma-engines, flavour/postgres.rs). */
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
);`;

export interface MigrateOptions {
  /** Postgres URL; a Prisma-style `?schema=` parameter is honoured. */
  url: string;
  /** The folder holding `<timestamp>_<name>/migration.sql` sub-folders. */
  migrationsDir: string;
  /** The Postgres schema to migrate (default: the URL's `schema` parameter, else `public`). Created when missing. */
  schema?: string;
  logger?: DbLogger;
  /** How long to wait for another migrator to finish (default 60 s). */
  lockTimeoutMs?: number;
}

export interface MigrateResult {
  /** Names of the migrations this run applied, in order. */
  applied: string[];
  /** How many migrations were already applied before this run. */
  alreadyApplied: number;
}

/** A row of `_prisma_migrations`. */
export interface MigrationRecord {
  id: string;
  checksum: string;
  finished_at: Date | null;
  migration_name: string;
  logs: string | null;
  rolled_back_at: Date | null;
  started_at: Date;
  applied_steps_count: number;
}

/**
 * Applies pending SQL migrations with the semantics of `prisma migrate deploy`,
 * without Prisma's schema engine:
 *
 * - one Postgres advisory lock (Prisma's own key) around the whole run, so
 *   concurrent starts apply each migration exactly once;
 * - history in `_prisma_migrations` with Prisma's table and values, so either
 *   tool can take over from the other;
 * - refuses to run while an earlier migration is marked failed (as Prisma does),
 *   and, stricter than `deploy`, when an applied migration file was edited;
 * - each migration and its history row commit in one transaction. A failure
 *   rolls the script back and leaves the row Prisma would leave (no
 *   `finished_at`, the error in `logs`), which blocks later runs until resolved.
 */
export async function migrate(options: MigrateOptions): Promise<MigrateResult> {
  const logger = options.logger ?? silentDbLogger;
  const target = resolveDatabaseTarget(options.url, options.schema);
  const migrations = await readMigrations(options.migrationsDir);
  const client = new pg.Client({
    connectionString: target.connectionString,
    application_name: 'im-db-migrate',
  });
  await client.connect();
  try {
    await acquireLock(client, options.lockTimeoutMs ?? 60_000);
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(target.schema)}`);
      await client.query(`SET search_path TO ${quoteIdent(target.schema)}`);
      await ensureMigrationsTable(client, target.schema);
      const records = await listRecords(client);
      assertNoFailedMigration(records);
      assertAppliedUnchanged(records, migrations);
      warnAboutUnknownRecords(records, migrations, logger, target.schema);

      const live = records.filter((r) => r.rolled_back_at === null);
      const pending = migrations.filter((m) => !live.some((r) => r.migration_name === m.name));
      const applied: string[] = [];
      for (const migration of pending) {
        await applyOne(client, migration, logger, target.schema);
        applied.push(migration.name);
      }
      const alreadyApplied = migrations.length - pending.length;
      logger.info(
        { schema: target.schema, applied: applied.length, alreadyApplied },
        applied.length === 0 ? 'database schema is up to date' : 'migrations applied',
      );
      return { applied, alreadyApplied };
    } finally {
      await client
        .query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATE_LOCK_KEY])
        .catch((err: unknown) =>
          logger.warn({ err }, 'could not release the migration lock; it is released with the connection'),
        );
    }
  } finally {
    await client.end();
  }
}

/** Reads the migration history of a schema (empty when the table does not exist yet). */
export async function readMigrationHistory(options: {
  url: string;
  schema?: string;
}): Promise<MigrationRecord[]> {
  const target = resolveDatabaseTarget(options.url, options.schema);
  const client = new pg.Client({ connectionString: target.connectionString });
  await client.connect();
  try {
    const exists = await client.query<{ table: string | null }>('SELECT to_regclass($1)::text AS table', [
      `${quoteIdent(target.schema)}.${MIGRATIONS_TABLE}`,
    ]);
    if (!exists.rows[0]?.table) return [];
    await client.query(`SET search_path TO ${quoteIdent(target.schema)}`);
    return await listRecords(client);
  } finally {
    await client.end();
  }
}

async function acquireLock(client: pg.Client, timeoutMs: number): Promise<void> {
  await client.query(`SET lock_timeout = ${Math.max(1, Math.floor(timeoutMs))}`);
  try {
    await client.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATE_LOCK_KEY]);
  } catch (err) {
    if ((err as { code?: string }).code === '55P03') {
      throw new AppError(
        'DB_MIGRATION_LOCK_TIMEOUT',
        `Another migration run held the lock for more than ${timeoutMs} ms (advisory lock ${PRISMA_MIGRATE_LOCK_KEY})`,
      );
    }
    throw err;
  } finally {
    await client.query('RESET lock_timeout');
  }
}

async function ensureMigrationsTable(client: pg.Client, schema: string): Promise<void> {
  const tables = await client.query<{ relname: string }>(
    `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind IN ('r', 'p')`,
    [schema],
  );
  const names = tables.rows.map((r) => r.relname);
  if (names.includes(MIGRATIONS_TABLE)) return;
  if (names.length > 0) {
    throw new AppError(
      'DB_NOT_EMPTY',
      `Schema "${schema}" already has tables (${names.join(', ')}) but no ${MIGRATIONS_TABLE}. ` +
        'Baseline it first: mark the migrations it already contains as applied ' +
        '(prisma migrate resolve --applied <name>), as with prisma migrate deploy.',
    );
  }
  await client.query(CREATE_MIGRATIONS_TABLE);
}

async function listRecords(client: pg.Client): Promise<MigrationRecord[]> {
  const result = await client.query<MigrationRecord>(
    `SELECT id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count
       FROM ${MIGRATIONS_TABLE} ORDER BY started_at`,
  );
  return result.rows;
}

function assertNoFailedMigration(records: MigrationRecord[]): void {
  const failed = records.filter((r) => r.finished_at === null && r.rolled_back_at === null);
  if (failed.length === 0) return;
  const details = failed
    .map((r) => {
      const logs = r.logs?.trim() ? ` with the following logs:\n${r.logs.trim()}` : '';
      return `The \`${r.migration_name}\` migration started at ${r.started_at.toISOString()} failed${logs}`;
    })
    .join('\n');
  throw new AppError(
    'DB_MIGRATION_FAILED',
    `Found failed migrations in the target database; new migrations will not be applied.\n${details}\n` +
      'Fix the database by hand, then mark the migration rolled back ' +
      "(prisma migrate resolve --rolled-back <name>, or UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = '<name>' AND finished_at IS NULL) " +
      'or applied (prisma migrate resolve --applied <name>).',
    { migrations: failed.map((r) => r.migration_name) },
  );
}

function assertAppliedUnchanged(records: MigrationRecord[], migrations: MigrationFile[]): void {
  const edited = migrations.filter((m) =>
    records.some(
      (r) =>
        r.migration_name === m.name &&
        r.finished_at !== null &&
        r.rolled_back_at === null &&
        !scriptMatchesChecksum(m.sql, r.checksum),
    ),
  );
  if (edited.length === 0) return;
  throw new AppError(
    'DB_MIGRATION_EDITED',
    `Refusing to migrate: ${edited.map((m) => m.path).join(', ')} ${edited.length === 1 ? 'was' : 'were'} edited after being applied ` +
      '(checksum differs from _prisma_migrations). Restore the applied version and put the change in a new migration.',
    { migrations: edited.map((m) => m.name), files: edited.map((m) => m.path) },
  );
}

function warnAboutUnknownRecords(
  records: MigrationRecord[],
  migrations: MigrationFile[],
  logger: DbLogger,
  schema: string,
): void {
  const known = new Set(migrations.map((m) => m.name));
  const unknown = records.filter((r) => r.rolled_back_at === null && !known.has(r.migration_name));
  if (unknown.length > 0) {
    logger.warn(
      { schema, migrations: unknown.map((r) => r.migration_name) },
      'the database has applied migrations that are not in the migrations folder',
    );
  }
}

async function applyOne(
  client: pg.Client,
  migration: MigrationFile,
  logger: DbLogger,
  schema: string,
): Promise<void> {
  const id = randomUUID();
  const startedAt = Date.now();
  await client.query('BEGIN');
  try {
    await client.query(
      `INSERT INTO ${MIGRATIONS_TABLE} (id, checksum, started_at, migration_name) VALUES ($1, $2, now(), $3)`,
      [id, migration.checksum, migration.name],
    );
    // No parameters: pg sends it with the simple-query protocol, so a script of many statements runs as is.
    await client.query(migration.sql);
    await client.query(
      `UPDATE ${MIGRATIONS_TABLE}
          SET applied_steps_count = applied_steps_count + 1, finished_at = clock_timestamp()
        WHERE id = $1`,
      [id],
    );
    await client.query('COMMIT');
  } catch (err) {
    logger.error({ schema, migration: migration.name, err }, 'migration failed');
    try {
      await client.query('ROLLBACK');
      await client.query(
        `INSERT INTO ${MIGRATIONS_TABLE} (id, checksum, started_at, migration_name, logs)
         VALUES ($1, $2, to_timestamp($3 / 1000.0), $4, $5)`,
        [id, migration.checksum, startedAt, migration.name, describeFailure(migration.name, err)],
      );
    } catch (recordErr) {
      // The connection is gone (or the history table is); the script was rolled back with it, so the
      // next run simply retries the migration. Report the original failure, not this one.
      logger.error(
        { schema, migration: migration.name, err: recordErr },
        'could not record the failed migration',
      );
    }
    throw new AppError('DB_MIGRATION_FAILED', `Migration ${migration.name} failed: ${errorMessage(err)}`, {
      migration: migration.name,
      file: migration.path,
    });
  }
  logger.info({ schema, migration: migration.name, ms: Date.now() - startedAt }, 'migration applied');
}

/** The `logs` text Prisma writes for a failed migration (user_facing_errors ApplyMigrationError). */
function describeFailure(name: string, err: unknown): string {
  const code = (err as { code?: unknown }).code;
  return [
    'A migration failed to apply. New migrations cannot be applied before the error is recovered from.',
    `Migration name: ${name}`,
    `Database error code: ${typeof code === 'string' ? code : 'none'}`,
    `Database error:\n${errorMessage(err)}`,
  ].join('\n\n');
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
