/**
 * `pnpm --filter @im/auth-service migrate`
 *
 * Applies prisma/migrations to DATABASE_URL (schema DATABASE_SCHEMA or the
 * URL's `?schema=`) with the semantics of `prisma migrate deploy`, without
 * Prisma's engine. Safe to run from several copies at once.
 */
import { parseEnv } from '@im/config';
import { migrate } from '@im/db';
import { createLogger } from '@im/logger';
import { SERVICE_NAME, SERVICE_VERSION } from '../app.js';
import { AuthEnv } from '../env.js';
import { MIGRATIONS_DIR } from '../paths.js';

const env = parseEnv(
  `${SERVICE_NAME} migrate`,
  AuthEnv.pick({ DATABASE_URL: true, DATABASE_SCHEMA: true, LOG_LEVEL: true }),
);
const logger = createLogger({
  service: `${SERVICE_NAME}-migrate`,
  version: SERVICE_VERSION,
  level: env.LOG_LEVEL,
});
const result = await migrate({
  url: env.DATABASE_URL,
  migrationsDir: MIGRATIONS_DIR,
  ...(env.DATABASE_SCHEMA ? { schema: env.DATABASE_SCHEMA } : {}),
  logger,
});
logger.info({ applied: result.applied, alreadyApplied: result.alreadyApplied }, 'migrations applied');
