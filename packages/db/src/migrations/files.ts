import { createHash } from 'node:crypto';
import type { Dirent } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '@im/contracts';

/** One migration folder in Prisma's layout: `<migrationsDir>/<name>/migration.sql`. */
export interface MigrationFile {
  /** The folder name, `<timestamp>_<name>`; what `_prisma_migrations.migration_name` holds. */
  name: string;
  /** Absolute path of its migration.sql. */
  path: string;
  sql: string;
  /** SHA-256 of the script, lower-case hex: what Prisma stores in `_prisma_migrations.checksum`. */
  checksum: string;
}

export const MIGRATION_SCRIPT = 'migration.sql';
export const MIGRATION_LOCK_FILE = 'migration_lock.toml';

export function checksumOf(script: string): string {
  return createHash('sha256').update(script, 'utf8').digest('hex');
}

/**
 * Whether a script matches a stored checksum the way Prisma decides it: line
 * endings do not matter (git may rewrite them on checkout), and checksums from
 * old Prisma versions were not zero-padded.
 */
export function scriptMatchesChecksum(script: string, checksum: string): boolean {
  const variants = [script, script.replaceAll('\r\n', '\n'), script.replaceAll('\n', '\r\n')];
  return variants.some((variant) => {
    const digest = createHash('sha256').update(variant, 'utf8').digest();
    const rendered =
      checksum.length !== 0 && checksum.length !== 64
        ? Array.from(digest, (byte) => byte.toString(16)).join('')
        : digest.toString('hex');
    return rendered === checksum;
  });
}

/**
 * Reads a migrations folder the way Prisma's CLI lists it: every sub-folder is
 * a migration, sorted by name (`localeCompare`, as Prisma does); the provider
 * in `migration_lock.toml`, when the file exists, must be `postgresql`.
 */
export async function readMigrations(migrationsDir: string): Promise<MigrationFile[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(migrationsDir, { withFileTypes: true });
  } catch (err) {
    throw new AppError('DB_MIGRATIONS_INVALID', `Cannot read the migrations folder ${migrationsDir}`, {
      cause: String(err),
    });
  }
  await assertLockfileProvider(migrationsDir);
  const names = entries
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort((a, b) => a.localeCompare(b));
  const migrations: MigrationFile[] = [];
  for (const name of names) {
    const path = join(migrationsDir, name, MIGRATION_SCRIPT);
    let sql: string;
    try {
      sql = await readFile(path, 'utf8');
    } catch (err) {
      throw new AppError(
        'DB_MIGRATIONS_INVALID',
        `Migration folder ${name} has no readable ${MIGRATION_SCRIPT}`,
        {
          path,
          cause: String(err),
        },
      );
    }
    migrations.push({ name, path, sql, checksum: checksumOf(sql) });
  }
  return migrations;
}

async function assertLockfileProvider(migrationsDir: string): Promise<void> {
  const path = join(migrationsDir, MIGRATION_LOCK_FILE);
  let content: string;
  try {
    content = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // Prisma treats a missing lock file as "any provider"
    throw err;
  }
  const line = content.split(/\r?\n/).find((l) => l.startsWith('provider'));
  const provider = line
    ? line
        .replace(/^provider\s*=\s*/, '')
        .replaceAll('"', '')
        .trim()
    : '<none>';
  if (provider !== 'postgresql') {
    throw new AppError(
      'DB_MIGRATIONS_INVALID',
      `${path} names provider "${provider}"; these migrations are for PostgreSQL ("postgresql")`,
    );
  }
}
