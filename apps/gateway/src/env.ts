import { hostname } from 'node:os';
import { envs } from '@im/config';
import { z } from 'zod';

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** The gateway's environment, parsed once by main.ts. Nothing below main.ts reads process.env. */
export const GatewayEnv = z.object({
  PORT: envs.port(8083),
  HOST: envs.host,
  LOG_LEVEL: envs.logLevel,
  /** Human-readable logs (development only). */
  LOG_PRETTY: envs.boolean(false),
  /** Names this copy's broker queue (`gateway.<id>`); unique per running copy. Default: host name and pid. */
  INSTANCE_ID: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,100}$/, 'use 1–100 characters of A-Z a-z 0-9 _ . -')
    .default(`${hostname()}-${process.pid}`),

  /** amqp://… of RabbitMQ. */
  AMQP_URL: envs.url,
  /** Prefix of exchange and queue names (test isolation); empty in production. */
  BROKER_NAMESPACE: z.string().default(''),

  /** The auth service: its revocations are loaded at start (internal API, `INTERNAL_TOKEN`). */
  AUTH_URL: envs.url.default('http://127.0.0.1:3001'),
  /** The auth service's key set; default `<AUTH_URL>/.well-known/jwks.json`. */
  JWKS_URL: envs.optionalUrl,
  JWT_ISSUER: z.string().min(1).default('im-auth'),
  JWT_AUDIENCE: z.string().min(1).default('im'),
  /** How long a revoked session is remembered: longer than the access-token lifetime. */
  REVOCATION_RETENTION_MS: envs.durationMs(60 * 60_000),

  /** The message service, for the offline drain (internal API). */
  MESSAGE_SERVICE_URL: envs.url.default('http://127.0.0.1:8082'),
  /** Shared secret of the internal APIs of the message and auth services (`x-internal-token`). */
  INTERNAL_TOKEN: z.string().min(16, 'use at least 16 characters'),

  /** Comma-separated origins allowed to open a WebSocket from a browser, or `*`. Requests without Origin are allowed. */
  ALLOWED_ORIGINS: envs.list([]),

  MAX_FRAME_BYTES: positiveInt(96 * 1024),
  MAX_ENVELOPE_BYTES: positiveInt(64 * 1024),
  WS_FRAMES_PER_SECOND: positiveInt(30),
  WS_FRAME_BURST: positiveInt(60),
  MAX_CONNECTIONS_PER_USER: positiveInt(10),
  AUTH_TIMEOUT_MS: envs.durationMs(10_000),
  HEARTBEAT_INTERVAL_MS: envs.durationMs(25_000),
  HEARTBEAT_TIMEOUT_MS: envs.durationMs(60_000),
  MAX_SEND_BUFFER_BYTES: positiveInt(4 * 1024 * 1024),
  PRESENCE_REFRESH_MS: envs.durationMs(30_000),
  SHUTDOWN_TIMEOUT_MS: envs.durationMs(10_000),
});
export type GatewayEnv = z.infer<typeof GatewayEnv>;
