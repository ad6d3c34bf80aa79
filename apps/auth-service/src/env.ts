import { envs } from '@im/config';
import { z } from 'zod';
import type { RateLimitRule } from './domain/rate-limiter.js';

const UNITS_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `900`, `900s`, `15m`, `1h`, `30d`, `250ms` → milliseconds. A bare number is seconds. */
export function parseDuration(value: string): number | undefined {
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(value.trim());
  if (!match) return undefined;
  const unit = (match[2] ?? 's') as keyof typeof UNITS_MS;
  return Number(match[1]) * UNITS_MS[unit];
}

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx) => {
      const ms = parseDuration(value);
      if (ms === undefined || ms <= 0) {
        ctx.addIssue({ code: 'custom', message: 'use a duration such as 900s, 15m, 12h or 30d' });
        return z.NEVER;
      }
      return ms;
    });

/** `<count>/<duration>`, e.g. `10/1m`: at most 10 requests per sliding minute. */
const rateLimit = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((value, ctx): RateLimitRule => {
      const [count, window] = value.split('/');
      const limit = Number(count);
      const windowMs = window === undefined ? undefined : parseDuration(window);
      if (!Number.isInteger(limit) || limit < 1 || windowMs === undefined || windowMs <= 0) {
        ctx.addIssue({ code: 'custom', message: 'use <count>/<duration>, e.g. 10/1m' });
        return z.NEVER;
      }
      return { limit, windowMs };
    });

/**
 * The auth service's environment. Parsed once by main.ts (and the CLI
 * commands); nothing below them reads process.env.
 */
export const AuthEnv = z.object({
  PORT: envs.port(3001),
  HOST: envs.host,
  /** Distinguishes copies in logs and broker connection names; default host:pid. */
  INSTANCE_ID: z.string().min(1).max(100).optional(),
  LOG_LEVEL: envs.logLevel,
  /** Human-readable logs (development only). */
  LOG_PRETTY: envs.boolean(false),
  /** postgres://… of the auth service's own database (`?schema=name` picks a Postgres schema; default public). */
  DATABASE_URL: envs.url,
  /** Postgres schema of the tables, when several services share one database (overrides `?schema=`). */
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'use a lower-case identifier')
    .optional(),
  /** Apply pending migrations at start-up (under an advisory lock, so copies may start together). */
  MIGRATE_ON_START: envs.boolean(true),
  DATABASE_POOL_MAX: z.coerce.number().int().positive().default(10),
  /** amqp://… of RabbitMQ. */
  AMQP_URL: envs.url,
  /** Prefix of exchange and queue names (test isolation); empty in production. */
  BROKER_NAMESPACE: z.string().default(''),
  /** Trust X-Forwarded-For (set behind a reverse proxy, or per-IP limits see only the proxy). */
  TRUST_PROXY: envs.boolean(false),
  /** Shared secret of the internal endpoints (`x-internal-token`); unset: they are not served. */
  INTERNAL_TOKEN: z.string().min(16, 'use at least 16 characters').optional(),
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(64 * 1024),

  JWT_ISSUER: z.string().min(1).default('im-auth'),
  JWT_AUDIENCE: z.string().min(1).default('im'),
  ACCESS_TOKEN_TTL: duration('15m'),
  REFRESH_TOKEN_TTL: duration('30d'),
  /**
   * 32 random bytes, base64 (`openssl rand -base64 32`). Seals the JWT signing
   * keys stored in the database. The same value for every copy of the service.
   */
  SIGNING_KEY_ENCRYPTION_KEY: z.string().min(43, 'use 32 random bytes in base64 (openssl rand -base64 32)'),
  /** How often each copy re-reads the signing keys (a rotation reaches every copy within this). */
  SIGNING_KEY_REFRESH: duration('1m'),

  RATE_LIMIT_REGISTER_IP: rateLimit('20/1h'),
  RATE_LIMIT_REGISTER_USERNAME: rateLimit('5/1h'),
  RATE_LIMIT_LOGIN_IP: rateLimit('60/5m'),
  RATE_LIMIT_LOGIN_USERNAME: rateLimit('10/5m'),
  RATE_LIMIT_REFRESH_IP: rateLimit('120/5m'),
  RATE_LIMIT_REFRESH_USER: rateLimit('60/5m'),

  OUTBOX_POLL_INTERVAL: duration('1s'),
  SHUTDOWN_TIMEOUT: duration('10s'),
});
export type AuthEnv = z.infer<typeof AuthEnv>;
