import { readFileSync } from 'node:fs';
import { createVerifier } from '@im/auth-client';
import type { Logger } from '@im/logger';
import { createServiceApp, type HealthState, type ReadinessCheck } from '@im/service';
import type { FastifyInstance } from 'fastify';
import { AuthService, type RateLimitPolicy } from './domain/auth-service.js';
import { type Clock, systemClock } from './domain/clock.js';
import { Housekeeping } from './domain/housekeeping.js';
import { KeyDirectory } from './domain/key-directory.js';
import { type EventPublisher, OutboxRelay } from './domain/outbox-relay.js';
import { argon2idHasher, type PasswordHasher } from './domain/passwords.js';
import { RateLimiter } from './domain/rate-limiter.js';
import type { SealingKey } from './domain/sealing.js';
import { SigningKeyRing } from './domain/signing-keys.js';
import { AccessTokenIssuer } from './domain/tokens.js';
import type { AuthEnv } from './env.js';
import { authRoutes } from './http/auth-routes.js';
import { retryAfterHeader } from './http/common.js';
import { internalRoutes } from './http/internal-routes.js';
import { jwksRoutes } from './http/jwks-routes.js';
import { keyRoutes } from './http/key-routes.js';
import { userRoutes } from './http/user-routes.js';
import type { Store } from './repositories/store.js';

export const SERVICE_NAME = 'auth-service';
export const SERVICE_VERSION: string = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
).version;

/** Everything tunable, in domain units. `settingsFromEnv` derives it from the environment. */
export interface AuthSettings {
  issuer: string;
  audience: string;
  accessTokenTtlMs: number;
  refreshTokenTtlMs: number;
  signingKeyRefreshMs: number;
  rateLimits: RateLimitPolicy;
  trustProxy: boolean;
  bodyLimitBytes: number;
  outboxPollIntervalMs: number;
  /** Shared secret of the internal endpoints (`x-internal-token`); without one they are not served. */
  internalToken: string | undefined;
}

export function settingsFromEnv(env: AuthEnv): AuthSettings {
  return {
    issuer: env.JWT_ISSUER,
    audience: env.JWT_AUDIENCE,
    accessTokenTtlMs: env.ACCESS_TOKEN_TTL,
    refreshTokenTtlMs: env.REFRESH_TOKEN_TTL,
    signingKeyRefreshMs: env.SIGNING_KEY_REFRESH,
    rateLimits: {
      registerPerIp: env.RATE_LIMIT_REGISTER_IP,
      registerPerUsername: env.RATE_LIMIT_REGISTER_USERNAME,
      loginPerIp: env.RATE_LIMIT_LOGIN_IP,
      loginPerUsername: env.RATE_LIMIT_LOGIN_USERNAME,
      refreshPerIp: env.RATE_LIMIT_REFRESH_IP,
      refreshPerUser: env.RATE_LIMIT_REFRESH_USER,
    },
    trustProxy: env.TRUST_PROXY,
    bodyLimitBytes: env.BODY_LIMIT_BYTES,
    outboxPollIntervalMs: env.OUTBOX_POLL_INTERVAL,
    internalToken: env.INTERNAL_TOKEN,
  };
}

export interface ComponentOptions {
  store: Store;
  settings: AuthSettings;
  sealingKey: SealingKey;
  /** Publishes an outbox event to the broker (resolving after the broker's confirm). */
  publish: EventPublisher;
  logger: Logger;
  clock?: Clock;
  hasher?: PasswordHasher;
}

/** The service's parts, built without I/O. `build` serves them; tests and CLI commands reach into them. */
export interface AuthComponents {
  store: Store;
  settings: AuthSettings;
  signingKeys: SigningKeyRing;
  auth: AuthService;
  keyDirectory: KeyDirectory;
  relay: OutboxRelay;
  housekeeping: Housekeeping;
}

export function createComponents(options: ComponentOptions): AuthComponents {
  const { store, settings, logger } = options;
  const clock = options.clock ?? systemClock;
  const signingKeys = new SigningKeyRing({
    repository: store.signingKeys,
    sealingKey: options.sealingKey,
    clock,
    logger,
    accessTokenTtlMs: settings.accessTokenTtlMs,
    refreshIntervalMs: settings.signingKeyRefreshMs,
  });
  const relay = new OutboxRelay({
    outbox: store.outbox,
    publish: options.publish,
    clock,
    logger,
    pollIntervalMs: settings.outboxPollIntervalMs,
  });
  const onEventsCommitted = () => relay.wake();
  const auth = new AuthService({
    store,
    hasher: options.hasher ?? argon2idHasher(),
    issuer: new AccessTokenIssuer(
      signingKeys,
      {
        issuer: settings.issuer,
        audience: settings.audience,
        ttlSeconds: Math.round(settings.accessTokenTtlMs / 1000),
      },
      clock,
    ),
    verifier: createVerifier({
      jwks: () => signingKeys.jwks(),
      issuer: settings.issuer,
      audience: settings.audience,
      now: clock,
    }),
    rateLimiter: new RateLimiter(store.rateLimits, clock),
    policy: {
      accessTokenTtlSeconds: Math.round(settings.accessTokenTtlMs / 1000),
      refreshTokenTtlSeconds: Math.round(settings.refreshTokenTtlMs / 1000),
      rateLimits: settings.rateLimits,
    },
    clock,
    logger,
    onEventsCommitted,
  });
  const keyDirectory = new KeyDirectory({ store, clock, logger, onEventsCommitted });
  const housekeeping = new Housekeeping(store, clock, logger);
  return { store, settings, signingKeys, auth, keyDirectory, relay, housekeeping };
}

export interface AuthAppOptions {
  components: AuthComponents;
  logger: Logger;
  /** Shared with the lifecycle so /readyz answers 503 once shutdown begins. */
  health?: HealthState;
  /** Extra readiness checks (the broker connection); the database is always checked. */
  readiness?: Record<string, ReadinessCheck>;
  /**
   * When true (the default), `ready()` loads the signing keys (creating the
   * first one) and starts the outbox relay and housekeeping, and `close()` stops
   * them. False builds the routes only (the OpenAPI generator).
   */
  background?: boolean;
}

/** The auth service as a Fastify app. Only main.ts listens; tests use `inject`. */
export async function build(options: AuthAppOptions): Promise<FastifyInstance> {
  const { components, logger } = options;
  const { settings, store } = components;
  const app = await createServiceApp({
    service: SERVICE_NAME,
    version: SERVICE_VERSION,
    logger,
    bodyLimit: settings.bodyLimitBytes,
    trustProxy: settings.trustProxy,
    ...(options.health ? { health: options.health } : {}),
    readiness: { database: () => store.ping(), ...options.readiness },
    openapi: {
      title: 'Auth service',
      description:
        'Accounts, device sessions, access and refresh tokens, the JWKS, and the public-key directory of end-to-end encryption. Errors: `{ error: { code, message } }` with a code of the contracts catalog.',
    },
  });
  app.addHook('onError', retryAfterHeader);

  await app.register(authRoutes, { auth: components.auth });
  await app.register(userRoutes, { auth: components.auth });
  await app.register(keyRoutes, { auth: components.auth, keys: components.keyDirectory });
  if (settings.internalToken) {
    await app.register(internalRoutes, { auth: components.auth, internalToken: settings.internalToken });
  }
  await app.register(jwksRoutes, {
    keys: components.signingKeys,
    maxAgeSeconds: Math.max(1, Math.floor(settings.signingKeyRefreshMs / 1000)),
  });

  if (options.background ?? true) {
    app.addHook('onReady', async () => {
      await components.signingKeys.initialize();
      components.relay.start();
      components.housekeeping.start();
    });
    app.addHook('onClose', async () => {
      await components.relay.stop();
      await components.housekeeping.stop();
    });
  }
  return app;
}
