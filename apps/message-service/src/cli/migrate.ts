/**
 * `pnpm --filter @im/message-service migrate`
 *
 * Applies prisma/migrations to DATABASE_URL, schema DATABASE_SCHEMA, with the
 * semantics of `prisma migrate deploy` and without Prisma's engine. Safe to run
 * from several copies at once (advisory lock). The service also does this at
 * start-up unless MIGRATE_ON_START=false.
 */
import { parseEnv } from '@im/config';
import { migrate } from '@im/db';
import { createLogger } from '@im/logger';
import { Env } from '../env.js';
import { MIGRATIONS_DIR } from '../paths.js';
import { SERVICE_NAME, SERVICE_VERSION } from '../version.js';

const env = parseEnv(
  `${SERVICE_NAME} migrate`,
  Env.pick({ DATABASE_URL: true, DATABASE_SCHEMA: true, LOG_LEVEL: true }),
);
const logger = createLogger({
  service: `${SERVICE_NAME}-migrate`,
  version: SERVICE_VERSION,
  level: env.LOG_LEVEL,
});
const result = await migrate({
  url: env.DATABASE_URL,
  schema: env.DATABASE_SCHEMA,
  migrationsDir: MIGRATIONS_DIR,
  logger,
});
logger.info({ applied: result.applied, alreadyApplied: result.alreadyApplied }, 'migrations applied');
