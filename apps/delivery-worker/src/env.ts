import { hostname } from 'node:os';
import { envs } from '@im/config';
import { z } from 'zod';

/** The delivery worker's environment, parsed once by main.ts. */
export const DeliveryWorkerEnv = z.object({
  /** Port of /livez, /readyz and /metrics. */
  PORT: envs.port(8084),
  HOST: envs.host,
  LOG_LEVEL: envs.logLevel,
  LOG_PRETTY: envs.boolean(false),
  /** Unique per running copy (names its cache-invalidation queue). Default: host name and pid. */
  INSTANCE_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,100}$/, 'use 1–100 characters of A-Z a-z 0-9 _ . -')
    .default(`${hostname()}-${process.pid}`),
  /** amqp://… of RabbitMQ. */
  AMQP_URL: envs.url,
  /** Prefix of exchange and queue names (test isolation); empty in production. */
  BROKER_NAMESPACE: z.string().default(''),
  /** The message service (internal member and contact lists). */
  MESSAGE_SERVICE_URL: envs.url.default('http://127.0.0.1:8082'),
  /** Shared secret of the internal API (`x-internal-token`). */
  INTERNAL_TOKEN: z.string().min(16, 'use at least 16 characters'),
  MEMBERS_CACHE_TTL_MS: envs.durationMs(30_000),
  TYPING_TTL_MS: envs.durationMs(5_000),
  SHUTDOWN_TIMEOUT_MS: envs.durationMs(10_000),
});
export type DeliveryWorkerEnv = z.infer<typeof DeliveryWorkerEnv>;
