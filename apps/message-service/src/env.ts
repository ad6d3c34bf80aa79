import { envs } from '@im/config';
import { z } from 'zod';
import { WorkerComponents } from './worker.js';

/** Everything this service can run in one process; split them across processes with COMPONENTS. */
export const Components = ['http', ...WorkerComponents] as const;
export type Component = (typeof Components)[number];

const count = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** The message service's configuration, parsed once by main.ts. */
export const Env = z.object({
  PORT: envs.port(8082),
  HOST: envs.host,
  LOG_LEVEL: envs.logLevel,
  LOG_PRETTY: envs.boolean(false),
  /** Distinguishes copies in logs and broker consumer tags; default host:pid. */
  INSTANCE_ID: z.string().min(1).max(100).optional(),
  SHUTDOWN_TIMEOUT_MS: envs.durationMs(10_000),
  TRUST_PROXY: envs.boolean(false),

  DATABASE_URL: envs.url,
  /** The Postgres schema this service owns (created by the migration step). */
  DATABASE_SCHEMA: z.string().default('messaging'),
  DATABASE_POOL_MAX: count(10),
  /** Apply pending migrations at start-up (under an advisory lock, so copies may start together). */
  MIGRATE_ON_START: envs.boolean(true),

  AMQP_URL: envs.url,
  /** Prefix of every exchange and queue name (several deployments on one RabbitMQ). */
  BROKER_NAMESPACE: z.string().max(100).optional(),

  /** Shared secret of the internal endpoints (x-internal-token). */
  INTERNAL_TOKEN: z.string().min(16, 'use at least 16 characters'),
  JWKS_URL: envs.url,
  JWT_ISSUER: z.string().min(1),
  JWT_AUDIENCE: z.string().min(1),
  /**
   * The auth service: when set, sessions revoked before this copy started are loaded at
   * start-up (`/internal/v1/revocations`, same INTERNAL_TOKEN), so their tokens are refused too.
   */
  AUTH_URL: envs.optionalUrl,
  /** How long a revoked session is remembered (at least the access-token lifetime). */
  REVOCATION_RETENTION_MS: envs.durationMs(60 * 60_000),

  MAX_GROUP_MEMBERS: count(1000),
  MAX_ENVELOPE_BYTES: count(64 * 1024),
  /** Keep messages this many days; unset keeps them forever. */
  RETENTION_DAYS: z.coerce.number().positive().optional(),
  RETENTION_SWEEP_MS: envs.durationMs(3_600_000),

  SEND_BATCH_SIZE: count(64),
  /** Unacked commands held at once (bounds the batch size); default the queue's prefetch. */
  COMMAND_PREFETCH: z.coerce.number().int().positive().optional(),
  SEND_CONCURRENCY: count(2),
  RECEIPT_BATCH_SIZE: count(256),
  PRESENCE_BATCH_SIZE: count(256),
  COMMAND_MAX_ATTEMPTS: count(10),
  OUTBOX_BATCH_SIZE: count(200),
  OUTBOX_POLL_MS: envs.durationMs(250),
  PRESENCE_EXPIRY_MS: envs.durationMs(90_000),
  PRESENCE_SWEEP_MS: envs.durationMs(15_000),

  /** Which parts run in this process (comma-separated); default all. */
  COMPONENTS: envs
    .list([...Components])
    .pipe(z.array(z.enum(Components)).min(1, 'name at least one component')),
});
export type Env = z.infer<typeof Env>;
