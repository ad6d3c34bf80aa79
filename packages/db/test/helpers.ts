import { randomBytes } from 'node:crypto';
import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { quoteIdent, withDatabase } from '../src/url.js';

export const SERVER_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export const FIXTURE_DIR = fileURLToPath(new URL('./fixtures/chat/', import.meta.url));
export const FIXTURE_SCHEMA = join(FIXTURE_DIR, 'prisma/schema.prisma');
export const FIXTURE_MIGRATIONS = join(FIXTURE_DIR, 'prisma/migrations');
export const DRIFTED_MIGRATIONS = fileURLToPath(
  new URL('./fixtures/chat-drifted/migrations/', import.meta.url),
);

export interface ScratchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** An empty database of its own for one test (this package cannot use @im/testkit, which depends on it). */
export async function createScratchDatabase(): Promise<ScratchDatabase> {
  const name = `im_db_test_${randomBytes(6).toString('hex')}`;
  await sql(SERVER_URL, `CREATE DATABASE ${quoteIdent(name)}`);
  return {
    name,
    url: withDatabase(SERVER_URL, name),
    drop: async () => {
      await sql(SERVER_URL, `DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
    },
  };
}

/** Runs statements on a fresh connection and returns the last result's rows. */
export async function sql<R extends pg.QueryResultRow = pg.QueryResultRow>(
  url: string,
  text: string,
  values?: unknown[],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** A private copy of a migrations folder that a test may add to or edit. */
export async function copyMigrations(from = FIXTURE_MIGRATIONS): Promise<string> {
  const dir = join(await mkdtemp(join(tmpdir(), 'im-db-migrations-')), 'migrations');
  await cp(from, dir, { recursive: true });
  return dir;
}
