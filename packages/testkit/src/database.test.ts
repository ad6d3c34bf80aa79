import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createTestDatabase,
  dropTestTemplates,
  type TestDatabase,
  testDatabaseServerUrl,
} from './database.js';

const MODULE = fileURLToPath(new URL('./database.ts', import.meta.url));

async function query<R extends pg.QueryResultRow>(
  url: string,
  text: string,
  values?: unknown[],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: url.replace(/\?schema=.*$/, '') });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** A migrations folder of its own (its content is unique, so its template is built by this test). */
async function migrationsFolder(extra = ''): Promise<string> {
  const dir = join(await mkdtemp(join(tmpdir(), 'im-testkit-db-')), 'migrations');
  await mkdir(join(dir, '20250101000000_init'), { recursive: true });
  await writeFile(join(dir, 'migration_lock.toml'), 'provider = "postgresql"\n');
  await writeFile(
    join(dir, '20250101000000_init', 'migration.sql'),
    `-- ${dir}\nCREATE TABLE "Note" ("id" SERIAL PRIMARY KEY, "body" TEXT NOT NULL);\n${extra}`,
  );
  return dir;
}

async function templates(prefixOf: string): Promise<string[]> {
  const rows = await query<{ datname: string }>(
    testDatabaseServerUrl(),
    "SELECT datname FROM pg_database WHERE datistemplate AND datname LIKE 'im_tpl_%' AND datname = ANY($1)",
    [[prefixOf]],
  );
  return rows.map((r) => r.datname);
}

async function templateNamesOf(db: TestDatabase): Promise<string[]> {
  const family = db.name.split('_')[2];
  const rows = await query<{ datname: string }>(
    testDatabaseServerUrl(),
    'SELECT datname FROM pg_database WHERE starts_with(datname, $1) ORDER BY datname',
    [`im_tpl_${family}_`],
  );
  return rows.map((r) => r.datname);
}

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('createTestDatabase', () => {
  it('gives each call its own migrated database, and drop removes it', async () => {
    const dir = await migrationsFolder();
    cleanups.push(() => dropTestTemplates({ migrationsDir: dir }));
    const [a, b] = await Promise.all([
      createTestDatabase({ migrationsDir: dir }),
      createTestDatabase({ migrationsDir: dir }),
    ]);
    cleanups.push(a.drop, b.drop);
    expect(a.name).not.toBe(b.name);

    await query(a.url, `INSERT INTO "Note" ("body") VALUES ('only in a')`);
    expect(await query(a.url, 'SELECT body FROM "Note"')).toEqual([{ body: 'only in a' }]);
    expect(await query(b.url, 'SELECT body FROM "Note"')).toEqual([]);
    expect(
      await query(b.url, 'SELECT migration_name, finished_at IS NOT NULL AS done FROM _prisma_migrations'),
    ).toEqual([{ migration_name: '20250101000000_init', done: true }]);

    await a.drop();
    const left = await query(
      testDatabaseServerUrl(),
      'SELECT datname FROM pg_database WHERE datname = ANY($1)',
      [[a.name, b.name]],
    );
    expect(left).toEqual([{ datname: b.name }]);
  });

  it('migrates into the requested schema and says so in the URL', async () => {
    const dir = await migrationsFolder();
    cleanups.push(() => dropTestTemplates({ migrationsDir: dir, schema: 'svc' }));
    const db = await createTestDatabase({ migrationsDir: dir, schema: 'svc' });
    cleanups.push(db.drop);
    expect(db.url).toMatch(/\?schema=svc$/);
    expect(
      await query(
        db.url,
        "SELECT table_schema, table_name FROM information_schema.tables WHERE table_name = 'Note'",
      ),
    ).toEqual([{ table_schema: 'svc', table_name: 'Note' }]);
  });

  it('builds one template when parallel workers ask for the same new migrations at once', async () => {
    const dir = await migrationsFolder();
    cleanups.push(() => dropTestTemplates({ migrationsDir: dir }));
    const script = `
      import { createTestDatabase } from ${JSON.stringify(MODULE)};
      const db = await createTestDatabase({ migrationsDir: ${JSON.stringify(dir)} });
      console.log(JSON.stringify({ name: db.name }));
      await db.drop();
    `;
    const workers = [1, 2, 3].map(() => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      child.stderr.on('data', (chunk: Buffer) => {
        output += chunk.toString();
      });
      return once(child, 'exit').then(([code]) => ({ code: code as number, output }));
    });
    const results = await Promise.all(workers);
    expect(
      results.map((r) => r.code),
      results.map((r) => r.output).join('\n'),
    ).toEqual([0, 0, 0]);
    const names = results.map(
      (r) => (JSON.parse(r.output.trim().split('\n').at(-1) ?? '{}') as { name: string }).name,
    );
    expect(new Set(names).size).toBe(3);

    const probe = await createTestDatabase({ migrationsDir: dir });
    cleanups.push(probe.drop);
    expect(await templateNamesOf(probe)).toHaveLength(1);
  }, 60_000);

  it('rebuilds the template when the migrations change, and drops the old one', async () => {
    const dir = await migrationsFolder();
    cleanups.push(() => dropTestTemplates({ migrationsDir: dir }));
    const before = await createTestDatabase({ migrationsDir: dir });
    cleanups.push(before.drop);
    const [oldTemplate] = await templateNamesOf(before);

    await mkdir(join(dir, '20250102000000_tags'));
    await writeFile(
      join(dir, '20250102000000_tags', 'migration.sql'),
      'ALTER TABLE "Note" ADD COLUMN "tags" TEXT[];\n',
    );
    const after = await createTestDatabase({ migrationsDir: dir });
    cleanups.push(after.drop);
    expect(
      await query(
        after.url,
        `SELECT column_name FROM information_schema.columns WHERE table_name = 'Note' ORDER BY 1`,
      ),
    ).toEqual([{ column_name: 'body' }, { column_name: 'id' }, { column_name: 'tags' }]);
    const now = await templateNamesOf(after);
    expect(now).toHaveLength(1);
    expect(now).not.toContain(oldTemplate);
    expect(await templates(oldTemplate ?? '')).toEqual([]);
  });
});
