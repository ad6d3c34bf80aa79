import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { migrate, quoteIdent, readMigrations, withDatabase } from '@im/db';
import pg from 'pg';

/** The Postgres server tests use: `TEST_DATABASE_URL`, else the machine's own. */
export function testDatabaseServerUrl(): string {
  return process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

export interface TestDatabaseOptions {
  /** A service's `prisma/migrations` folder. */
  migrationsDir: string;
  /** Migrate into this Postgres schema instead of `public` (as the standalone mode does). */
  schema?: string;
  /** Server to create the database on (default: {@link testDatabaseServerUrl}). */
  serverUrl?: string;
}

export interface TestDatabase {
  /** URL of the new database; carries `?schema=` when a schema was asked for. */
  readonly url: string;
  readonly name: string;
  readonly schema: string;
  /** Drops the database, closing any connection still open to it. Safe to call twice. */
  drop(): Promise<void>;
}

const TEMPLATE_PREFIX = 'im_tpl_';
const TEST_PREFIX = 'im_test_';

/** Templates this process has already made sure of, by name. */
const readyTemplates = new Map<string, Promise<void>>();

/**
 * A freshly migrated database of its own, in milliseconds: the migrations run
 * once into a template database per distinct migrations content, and every call
 * copies it (`CREATE DATABASE … TEMPLATE …`). Parallel test workers agree on
 * who builds a template through a Postgres advisory lock. Give each test file
 * its own database and `drop()` it in `afterAll`.
 */
export async function createTestDatabase(options: TestDatabaseOptions): Promise<TestDatabase> {
  const serverUrl = options.serverUrl ?? testDatabaseServerUrl();
  const schema = options.schema ?? 'public';
  const template = await templateFor(options.migrationsDir, schema);
  let ready = readyTemplates.get(template.name);
  if (!ready) {
    ready = ensureTemplate(serverUrl, template, options.migrationsDir, schema);
    readyTemplates.set(template.name, ready);
    ready.catch(() => readyTemplates.delete(template.name)); // let a later call retry a failed build
  }
  await ready;

  const name = `${TEST_PREFIX}${template.family}_${randomBytes(6).toString('hex')}`;
  await withClient(serverUrl, (client) =>
    client.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE ${quoteIdent(template.name)}`),
  );
  const plainUrl = withDatabase(serverUrl, name);
  const url = schema === 'public' ? plainUrl : `${plainUrl}?schema=${schema}`;
  let dropped: Promise<void> | undefined;
  return {
    url,
    name,
    schema,
    drop() {
      dropped ??= withClient(serverUrl, async (client) => {
        await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
      });
      return dropped;
    },
  };
}

/** Drops the template databases built for a migrations folder (all contents), e.g. after a test of its own. */
export async function dropTestTemplates(options: TestDatabaseOptions): Promise<void> {
  const serverUrl = options.serverUrl ?? testDatabaseServerUrl();
  const { family } = await templateFor(options.migrationsDir, options.schema ?? 'public');
  await withClient(serverUrl, async (client) => {
    for (const name of await templatesOf(client, family)) await dropTemplate(client, name);
  });
  for (const name of readyTemplates.keys())
    if (name.startsWith(`${TEMPLATE_PREFIX}${family}_`)) readyTemplates.delete(name);
}

interface Template {
  /** `im_tpl_<family>_<content>` */
  name: string;
  /** Identifies the migrations folder (package and path, schema), so older contents of it can be dropped. */
  family: string;
}

async function templateFor(migrationsDir: string, schema: string): Promise<Template> {
  const migrations = await readMigrations(migrationsDir);
  const content = createHash('sha256').update(`v1\0${schema}`);
  for (const m of migrations) content.update(`\0${m.name}\0${m.checksum}`);
  const family = createHash('sha256')
    .update(`${await folderIdentity(resolve(migrationsDir))}\0${schema}`)
    .digest('hex')
    .slice(0, 8);
  return { name: `${TEMPLATE_PREFIX}${family}_${content.digest('hex').slice(0, 16)}`, family };
}

/** `<package name>:<path inside the package>`, stable across clones; the absolute path outside any package. */
async function folderIdentity(dir: string): Promise<string> {
  for (let current = dir; ; current = dirname(current)) {
    try {
      const { name } = JSON.parse(await readFile(join(current, 'package.json'), 'utf8')) as { name?: string };
      if (name) return `${name}:${relative(current, dir)}`;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (dirname(current) === current) return dir;
  }
}

/**
 * Builds the template unless a complete one exists. Completeness is marked by
 * `IS_TEMPLATE`, set only after the migrations succeeded; a half-built database
 * left by a crashed worker is dropped and rebuilt. Older templates of the same
 * family are removed so they do not pile up as migrations change.
 */
async function ensureTemplate(
  serverUrl: string,
  template: Template,
  migrationsDir: string,
  schema: string,
): Promise<void> {
  await withClient(serverUrl, async (client) => {
    const lockKey = BigInt.asIntN(
      64,
      BigInt(`0x${createHash('sha256').update(template.name).digest('hex').slice(0, 16)}`),
    );
    await client.query('SELECT pg_advisory_lock($1)', [lockKey.toString()]);
    try {
      const existing = await client.query<{ complete: boolean }>(
        'SELECT datistemplate AS complete FROM pg_database WHERE datname = $1',
        [template.name],
      );
      if (existing.rows[0]?.complete) return;
      if (existing.rows[0]) await dropTemplate(client, template.name);
      await client.query(`CREATE DATABASE ${quoteIdent(template.name)}`);
      await migrate({ url: withDatabase(serverUrl, template.name), migrationsDir, schema });
      await client.query(
        `ALTER DATABASE ${quoteIdent(template.name)} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`,
      );
      for (const older of await templatesOf(client, template.family)) {
        if (older !== template.name) await dropTemplate(client, older);
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [lockKey.toString()]);
    }
  });
}

async function templatesOf(client: pg.Client, family: string): Promise<string[]> {
  const rows = await client.query<{ datname: string }>(
    'SELECT datname FROM pg_database WHERE starts_with(datname, $1)',
    [`${TEMPLATE_PREFIX}${family}_`],
  );
  return rows.rows.map((r) => r.datname);
}

async function dropTemplate(client: pg.Client, name: string): Promise<void> {
  await client.query(`ALTER DATABASE ${quoteIdent(name)} WITH IS_TEMPLATE false`);
  try {
    await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
  } catch (err) {
    // 55006: another worker of an older checkout is copying it right now; it goes with the next cleanup.
    if ((err as { code?: string }).code !== '55006') throw err;
  }
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, application_name: 'im-testkit' });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
