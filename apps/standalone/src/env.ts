import { fileURLToPath } from 'node:url';
import { envs } from '@im/config';
import { z } from 'zod';

const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/**
 * The standalone mode's environment. Everything has a default: `pnpm start`
 * needs nothing set. With DATABASE_URL the services use that PostgreSQL
 * instead of the embedded one; with AMQP_URL, RabbitMQ instead of the
 * in-process broker.
 */
export const StandaloneEnv = z.object({
  PORT: envs.port(8080),
  HOST: envs.host,
  LOG_LEVEL: envs.logLevel,
  LOG_PRETTY: envs.boolean(false),
  /** Where the embedded PostgreSQL keeps its data and the generated secrets live. */
  DATA_DIR: z.string().default(`${REPO_ROOT}.data`),
  DATABASE_URL: envs.optionalUrl,
  AMQP_URL: envs.optionalUrl,
  /** The built web app; served at `/` when present. */
  WEB_DIST: z.string().default(`${REPO_ROOT}apps/web/dist`),
  /** Extra origins allowed to open the WebSocket (the app's own origin always is). */
  ALLOWED_ORIGINS: envs.list([]),
  /** Access-token lifetime (auth service syntax: 900s, 15m …). */
  ACCESS_TOKEN_TTL: z.string().default('15m'),
  SHUTDOWN_TIMEOUT_MS: envs.durationMs(15_000),
});
export type StandaloneEnv = z.infer<typeof StandaloneEnv>;
