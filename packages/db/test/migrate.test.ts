import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '@im/contracts';
import pg from 'pg';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { migrate, PRISMA_MIGRATE_LOCK_KEY, readMigrationHistory } from '../src/index.js';
import {
  copyMigrations,
  createScratchDatabase,
  FIXTURE_MIGRATIONS,
  type ScratchDatabase,
  sql,
} from './helpers.js';
import { prismaMigrateDeploy } from './prisma-engine.js';

const CLI = fileURLToPath(new URL('../bin/im-db.mjs', import.meta.url));
const FIXTURE_NAMES = ['20250101000000_init', '20250102000000_member_read_seq'];

const databases: ScratchDatabase[] = [];
async function database(): Promise<ScratchDatabase> {
  const db = await createScratchDatabase();
  databases.push(db);
  return db;
}
afterEach(async () => {
  await Promise.all(databases.splice(0).map((db) => db.drop()));
});

function rejection(promise: Promise<unknown>): Promise<AppError> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => {
      expect(err).toBeInstanceOf(AppError);
      return err as AppError;
    },
  );
}

async function addMigration(dir: string, name: string, script: string): Promise<void> {
  await mkdir(join(dir, name));
  await writeFile(join(dir, name, 'migration.sql'), script);
}

describe('migrate', () => {
  it('applies a fresh database and records each migration as prisma migrate deploy does', async () => {
    const db = await database();
    const result = await migrate({ url: db.url, migrationsDir: FIXTURE_MIGRATIONS });
    expect(result).toEqual({ applied: FIXTURE_NAMES, alreadyApplied: 0 });

    const tables = await sql<{ table_name: string }>(
      db.url,
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    expect(tables.map((t) => t.table_name)).toEqual([
      'Conversation',
      'Message',
      'User',
      '_prisma_migrations',
      'members',
    ]);

    const columns = await sql(
      db.url,
      `SELECT column_name, data_type, character_maximum_length AS len, is_nullable, column_default
         FROM information_schema.columns WHERE table_name = '_prisma_migrations' ORDER BY ordinal_position`,
    );
    expect(columns).toEqual([
      { column_name: 'id', data_type: 'character varying', len: 36, is_nullable: 'NO', column_default: null },
      {
        column_name: 'checksum',
        data_type: 'character varying',
        len: 64,
        is_nullable: 'NO',
        column_default: null,
      },
      {
        column_name: 'finished_at',
        data_type: 'timestamp with time zone',
        len: null,
        is_nullable: 'YES',
        column_default: null,
      },
      {
        column_name: 'migration_name',
        data_type: 'character varying',
        len: 255,
        is_nullable: 'NO',
        column_default: null,
      },
      { column_name: 'logs', data_type: 'text', len: null, is_nullable: 'YES', column_default: null },
      {
        column_name: 'rolled_back_at',
        data_type: 'timestamp with time zone',
        len: null,
        is_nullable: 'YES',
        column_default: null,
      },
      {
        column_name: 'started_at',
        data_type: 'timestamp with time zone',
        len: null,
        is_nullable: 'NO',
        column_default: 'now()',
      },
      {
        column_name: 'applied_steps_count',
        data_type: 'integer',
        len: null,
        is_nullable: 'NO',
        column_default: '0',
      },
    ]);

    const history = await readMigrationHistory({ url: db.url });
    expect(history.map((r) => r.migration_name)).toEqual(FIXTURE_NAMES);
    for (const record of history) {
      const file = await readFile(join(FIXTURE_MIGRATIONS, record.migration_name, 'migration.sql'));
      expect(record.checksum).toBe(createHash('sha256').update(file).digest('hex'));
      expect(record.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(record.finished_at).toBeInstanceOf(Date);
      expect(record.finished_at!.getTime()).toBeGreaterThanOrEqual(record.started_at.getTime());
      expect(record).toMatchObject({ logs: null, rolled_back_at: null, applied_steps_count: 1 });
    }
  });

  it('is a no-op when run again', async () => {
    const db = await database();
    await migrate({ url: db.url, migrationsDir: FIXTURE_MIGRATIONS });
    const before = await readMigrationHistory({ url: db.url });
    expect(await migrate({ url: db.url, migrationsDir: FIXTURE_MIGRATIONS })).toEqual({
      applied: [],
      alreadyApplied: 2,
    });
    expect(await readMigrationHistory({ url: db.url })).toEqual(before);
  });

  it('keeps services apart: each schema gets its own tables and history', async () => {
    const db = await database();
    await migrate({ url: db.url, migrationsDir: FIXTURE_MIGRATIONS, schema: 'svc_a' });
    await migrate({ url: `${db.url}?schema=svc_b`, migrationsDir: FIXTURE_MIGRATIONS });
    const tables = await sql<{ table_schema: string; n: string }>(
      db.url,
      `SELECT table_schema, count(*) AS n FROM information_schema.tables
        WHERE table_schema NOT IN ('pg_catalog', 'information_schema') GROUP BY table_schema ORDER BY table_schema`,
    );
    expect(tables).toEqual([
      { table_schema: 'svc_a', n: '5' },
      { table_schema: 'svc_b', n: '5' },
    ]);
    expect(await readMigrationHistory({ url: db.url, schema: 'svc_b' })).toHaveLength(2);
    expect(await readMigrationHistory({ url: db.url })).toEqual([]);
  });

  it('applies each migration exactly once when two processes start at the same moment', async () => {
    const db = await database();
    // Hold the migration lock so both processes are provably waiting on it, then let them race.
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    await holder.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATE_LOCK_KEY]);
    const runs = [1, 2].map(() => {
      const child = spawn(process.execPath, [CLI, 'migrate', '--dir', FIXTURE_MIGRATIONS, '--url', db.url], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      child.stderr.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      return { exited: once(child, 'exit').then(([code]) => code as number), output: () => output };
    });
    try {
      await vi.waitFor(
        async () => {
          const [row] = await sql<{ waiting: string }>(
            db.url,
            `SELECT count(*) AS waiting FROM pg_locks
              WHERE locktype = 'advisory' AND objid = $1 AND NOT granted
                AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
            [PRISMA_MIGRATE_LOCK_KEY],
          );
          expect(row?.waiting).toBe('2');
        },
        { timeout: 20_000, interval: 50 },
      );
    } finally {
      await holder.end();
    }
    const codes = await Promise.all(runs.map((r) => r.exited));
    expect(codes, runs.map((r) => r.output()).join('\n')).toEqual([0, 0]);

    const counts = await sql<{ migration_name: string; n: string }>(
      db.url,
      'SELECT migration_name, count(*) AS n FROM _prisma_migrations GROUP BY migration_name ORDER BY migration_name',
    );
    expect(counts).toEqual(FIXTURE_NAMES.map((migration_name) => ({ migration_name, n: '1' })));
    const summaries = runs.map((r) =>
      r
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { msg: string; applied?: number })
        .find((log) => log.applied !== undefined),
    );
    expect(summaries.map((s) => s?.applied).sort()).toEqual([0, 2]);
  }, 60_000);

  it('refuses to start when an applied migration file was edited, naming the file', async () => {
    const db = await database();
    const dir = await copyMigrations();
    await migrate({ url: db.url, migrationsDir: dir });
    await appendFile(
      join(dir, '20250101000000_init', 'migration.sql'),
      '\nCREATE INDEX "User_displayName_idx" ON "User"("displayName");\n',
    );
    await addMigration(dir, '20250103000000_next', 'ALTER TABLE "User" ADD COLUMN "bio" TEXT;');

    const err = await rejection(migrate({ url: db.url, migrationsDir: dir }));
    expect(err.code).toBe('DB_MIGRATION_EDITED');
    expect(err.message).toContain(join(dir, '20250101000000_init', 'migration.sql'));
    expect((await readMigrationHistory({ url: db.url })).map((r) => r.migration_name)).toEqual(FIXTURE_NAMES);
  });

  it('accepts an applied migration whose only change is its line endings, as Prisma does', async () => {
    const db = await database();
    const dir = await copyMigrations();
    await migrate({ url: db.url, migrationsDir: dir });
    const file = join(dir, '20250102000000_member_read_seq', 'migration.sql');
    await writeFile(file, (await readFile(file, 'utf8')).replaceAll('\n', '\r\n'));
    expect(await migrate({ url: db.url, migrationsDir: dir })).toEqual({ applied: [], alreadyApplied: 2 });
  });

  it('records a failed migration, rolls its statements back and blocks later runs until it is resolved', async () => {
    const db = await database();
    const dir = await copyMigrations();
    await addMigration(
      dir,
      '20250103000000_broken',
      'CREATE TABLE "Attachment" ("id" BIGSERIAL NOT NULL);\nINSERT INTO "no_such_table" VALUES (1);\n',
    );

    const failed = await rejection(migrate({ url: db.url, migrationsDir: dir }));
    expect(failed.code).toBe('DB_MIGRATION_FAILED');
    expect(failed.message).toContain('20250103000000_broken');
    const [attachment] = await sql<{ exists: string | null }>(
      db.url,
      `SELECT to_regclass('"Attachment"')::text AS exists`,
    );
    expect(attachment?.exists).toBeNull();
    const broken = (await readMigrationHistory({ url: db.url })).find(
      (r) => r.migration_name === '20250103000000_broken',
    );
    expect(broken).toMatchObject({ finished_at: null, rolled_back_at: null, applied_steps_count: 0 });
    expect(broken?.logs).toContain('no_such_table');
    expect(broken?.logs).toContain('Database error code: 42P01');

    const blocked = await rejection(migrate({ url: db.url, migrationsDir: dir }));
    expect(blocked.code).toBe('DB_MIGRATION_FAILED');
    expect(blocked.message).toContain('The `20250103000000_broken` migration started at');

    // Resolve as `prisma migrate resolve --rolled-back` does, fix the file, and the next run applies it.
    await sql(
      db.url,
      "UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = '20250103000000_broken'",
    );
    await writeFile(
      join(dir, '20250103000000_broken', 'migration.sql'),
      'CREATE TABLE "Attachment" ("id" BIGSERIAL NOT NULL);\n',
    );
    expect(await migrate({ url: db.url, migrationsDir: dir })).toEqual({
      applied: ['20250103000000_broken'],
      alreadyApplied: 2,
    });
  });

  it('refuses a schema that has tables but no migration history', async () => {
    const db = await database();
    await sql(db.url, 'CREATE TABLE legacy (id int)');
    const err = await rejection(migrate({ url: db.url, migrationsDir: FIXTURE_MIGRATIONS }));
    expect(err.code).toBe('DB_NOT_EMPTY');
    expect(err.message).toContain('legacy');
  });

  it('gives up with a clear error when another run holds the lock too long', async () => {
    const db = await database();
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATE_LOCK_KEY]);
      const err = await rejection(
        migrate({ url: db.url, migrationsDir: FIXTURE_MIGRATIONS, lockTimeoutMs: 200 }),
      );
      expect(err.code).toBe('DB_MIGRATION_LOCK_TIMEOUT');
    } finally {
      await holder.end();
    }
  });

  it('refuses migrations written for another provider', async () => {
    const dir = await copyMigrations();
    await writeFile(join(dir, 'migration_lock.toml'), 'provider = "mysql"\n');
    const err = await rejection(migrate({ url: 'postgres://unused@127.0.0.1:1/none', migrationsDir: dir }));
    expect(err.code).toBe('DB_MIGRATIONS_INVALID');
    expect(err.message).toContain('"mysql"');
  });
});

describe('agreement with prisma migrate deploy (Prisma schema engine, wasm build)', () => {
  it('Prisma sees nothing to apply after this runner, and this runner nothing after Prisma', async () => {
    const ours = await database();
    await migrate({ url: ours.url, migrationsDir: FIXTURE_MIGRATIONS });
    expect(await prismaMigrateDeploy(ours.url, FIXTURE_MIGRATIONS)).toEqual([]);

    const theirs = await database();
    expect(await prismaMigrateDeploy(theirs.url, FIXTURE_MIGRATIONS)).toEqual(FIXTURE_NAMES);
    expect(await migrate({ url: theirs.url, migrationsDir: FIXTURE_MIGRATIONS })).toEqual({
      applied: [],
      alreadyApplied: 2,
    });
    const strip = (rows: Awaited<ReturnType<typeof readMigrationHistory>>) =>
      rows.map(({ migration_name, checksum, logs, rolled_back_at, applied_steps_count, finished_at }) => ({
        migration_name,
        checksum,
        logs,
        rolled_back_at,
        applied_steps_count,
        finished: finished_at !== null,
      }));
    expect(strip(await readMigrationHistory({ url: ours.url }))).toEqual(
      strip(await readMigrationHistory({ url: theirs.url })),
    );
  });

  it('Prisma also refuses to continue after a failure this runner recorded', async () => {
    const db = await database();
    const dir = await copyMigrations();
    await addMigration(dir, '20250103000000_broken', 'SELECT * FROM "no_such_table";\n');
    await rejection(migrate({ url: db.url, migrationsDir: dir }));
    await expect(prismaMigrateDeploy(db.url, dir)).rejects.toThrow(/20250103000000_broken/);
  });
});
