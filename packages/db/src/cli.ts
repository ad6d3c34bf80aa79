import { isAbsolute, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isAppError } from '@im/contracts';
import { createLogger } from '@im/logger';
import { migrate } from './migrations/migrate.js';
import { assertSchemaMatchesDatabase } from './schema-check/check.js';

const USAGE = `Usage:
  im-db migrate --dir <migrations folder> [--url <postgres url>] [--schema <name>] [--lock-timeout <ms>]
  im-db check   --prisma-schema <schema.prisma> [--url <postgres url>] [--schema <name>]

--url defaults to $DATABASE_URL. A Prisma-style ?schema= in the URL is honoured; --schema wins.`;

/**
 * Relative paths are taken from where the user stood: under
 * `pnpm --filter @im/db migrate -- --dir …` pnpm runs the script inside
 * packages/db and records the original directory in INIT_CWD.
 */
function baseDir(): string {
  const viaOwnScript = process.env.npm_package_name === '@im/db' && process.env.INIT_CWD;
  return viaOwnScript ? (process.env.INIT_CWD as string) : process.cwd();
}

function absolute(path: string): string {
  return isAbsolute(path) ? path : resolve(baseDir(), path);
}

async function main(argv: string[]): Promise<number> {
  const logger = createLogger({ service: 'im-db', level: process.env.LOG_LEVEL ?? 'info' });
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      dir: { type: 'string' },
      url: { type: 'string' },
      schema: { type: 'string' },
      'prisma-schema': { type: 'string' },
      'lock-timeout': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const command = positionals[0];
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const url = values.url ?? process.env.DATABASE_URL;
  if (!url) {
    logger.error({}, 'no database URL: pass --url or set DATABASE_URL');
    return 2;
  }
  try {
    if (command === 'migrate') {
      if (!values.dir) throw new Error('migrate needs --dir <migrations folder>');
      await migrate({
        url,
        migrationsDir: absolute(values.dir),
        schema: values.schema,
        logger,
        lockTimeoutMs: values['lock-timeout'] ? Number(values['lock-timeout']) : undefined,
      });
      return 0;
    }
    if (command === 'check') {
      if (!values['prisma-schema']) throw new Error('check needs --prisma-schema <schema.prisma>');
      await assertSchemaMatchesDatabase({
        schemaPath: absolute(values['prisma-schema']),
        url,
        schema: values.schema,
      });
      logger.info({}, 'the database matches the Prisma schema');
      return 0;
    }
    process.stderr.write(`unknown command "${command}"\n${USAGE}\n`);
    return 2;
  } catch (err) {
    logger.error(
      isAppError(err) ? { code: err.code, details: err.details } : { err },
      `im-db ${command} failed: ${err instanceof Error ? err.message : String(err)}`,
    );
    return 1;
  }
}

// `pnpm <script> -- --dir …` passes the `--` through; it only separates pnpm's options from ours.
const argv = process.argv.slice(2);
const separator = argv.indexOf('--');
if (separator !== -1) argv.splice(separator, 1);
process.exitCode = await main(argv);
