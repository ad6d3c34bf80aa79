/**
 * Prisma's own schema engine, in its WebAssembly build, as a reference to test
 * against. Prisma 7's CLI does not use this build (it needs the native engine,
 * which cannot be downloaded here), but the engine's code is the same: its
 * `applyMigrations` is what `prisma migrate deploy` runs and its `diff` is what
 * `prisma migrate diff` runs. It reaches Postgres through @prisma/adapter-pg.
 * Test-only: the package is experimental and pinned to the version that
 * @prisma/internals 7.10.0 uses.
 */
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import { bindMigrationAwareSqlAdapterFactory } from '@prisma/driver-adapter-utils';
import * as bindings from '@prisma/schema-engine-wasm/schema_engine_bg';
import pg from 'pg';

/** The slice of the WebAssembly JS API used here (the project's TS lib settings do not declare it). */
interface WasmApi {
  compile(bytes: Uint8Array): Promise<object>;
  instantiate(
    module: object,
    imports: Record<string, Record<string, unknown>>,
  ): Promise<{ exports: Record<string, unknown> }>;
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let loaded: Promise<void> | undefined;

/** Instantiates the wasm module once (the package's own entry imports .wasm as an ES module, which Node cannot). */
function load(): Promise<void> {
  loaded ??= (async () => {
    const glue = createRequire(import.meta.url).resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const bytes = await readFile(join(glue, '..', 'schema_engine_bg.wasm'));
    const instance = await wasmApi.instantiate(await wasmApi.compile(bytes), {
      './schema_engine_bg.js': bindings as unknown as Record<string, unknown>,
    });
    bindings.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as (() => void) | undefined)?.();
  })();
  return loaded;
}

const NO_FILTERS = { externalTables: [], externalEnums: [] };

/**
 * An engine on its own pool. The engine keeps Prisma's advisory lock on a pooled
 * connection (the CLI simply exits), so `close` must end the pool to release it.
 */
async function engineFor(
  url: string,
  datamodels?: Array<[string, string]>,
): Promise<{ engine: bindings.SchemaEngine; close(): Promise<void> }> {
  await load();
  const pool = new pg.Pool({ connectionString: url });
  pool.on('error', () => {}); // idle connections cut by DROP DATABASE ... WITH (FORCE) after a test
  const adapter = bindMigrationAwareSqlAdapterFactory(new PrismaPg(pool));
  const engine = await bindings.SchemaEngine.new({ datamodels }, () => {}, adapter);
  return {
    engine,
    close: async () => {
      engine.free();
      await pool.end();
    },
  };
}

/** `prisma migrate deploy`: applies the folder's pending migrations; returns their names. */
export async function prismaMigrateDeploy(url: string, migrationsDir: string): Promise<string[]> {
  const { engine, close } = await engineFor(url);
  try {
    const names = (await readdir(migrationsDir, { withFileTypes: true }))
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort((a, b) => a.localeCompare(b));
    const migrationDirectories = await Promise.all(
      names.map(async (name) => ({
        path: name,
        migrationFile: {
          path: 'migration.sql',
          content: {
            tag: 'ok' as const,
            value: await readFile(join(migrationsDir, name, 'migration.sql'), 'utf8'),
          },
        },
      })),
    );
    const result = await engine.applyMigrations({
      migrationsList: {
        baseDir: migrationsDir,
        lockfile: {
          path: 'migration_lock.toml',
          content: await readFile(join(migrationsDir, 'migration_lock.toml'), 'utf8'),
        },
        shadowDbInitScript: '',
        migrationDirectories,
      },
      filters: NO_FILTERS,
    });
    return result.appliedMigrationNames;
  } finally {
    await close();
  }
}

/** `prisma migrate diff --from-empty --to-schema <file> --script`: the SQL Prisma generates for a schema. */
export async function prismaSchemaSql(url: string, schemaPath: string): Promise<string> {
  const content = await readFile(schemaPath, 'utf8');
  const { engine, close } = await engineFor(url, [[schemaPath, content]]);
  try {
    const result = await engine.diff({
      from: { tag: 'empty' },
      to: { tag: 'schemaDatamodel', files: [{ path: schemaPath, content }] },
      script: true,
      exitCode: null,
      filters: NO_FILTERS,
    });
    return result.stdout ?? '';
  } finally {
    await close();
  }
}
