import { hostname } from 'node:os';
import { createVerifier, loadRevocations, RevocationList } from '@im/auth-client';
import { connectBroker } from '@im/broker';
import { parseEnv, redactConfig } from '@im/config';
import { revocationsQueue } from '@im/contracts';
import { migrate, pgAdapter } from '@im/db';
import { createLogger } from '@im/logger';
import { createMetricsRegistry, createServiceApp, runMain } from '@im/service';
import { build } from './app.js';
import { createOutboxSignal } from './domain/outbox-signal.js';
import { Env } from './env.js';
import { MIGRATIONS_DIR } from './paths.js';
import { createPrismaStore } from './repositories/prisma-store.js';
import { followRevocations } from './revocations.js';
import { SERVICE_NAME, SERVICE_VERSION } from './version.js';
import { createMessageWorker, type WorkerComponent, WorkerComponents } from './worker.js';

const env = parseEnv(SERVICE_NAME, Env);
const instanceId = env.INSTANCE_ID ?? `${hostname()}:${process.pid}`;
const logger = createLogger({
  service: SERVICE_NAME,
  version: SERVICE_VERSION,
  instance: instanceId,
  level: env.LOG_LEVEL,
  pretty: env.LOG_PRETTY,
});

await runMain({
  logger,
  shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
  async start(lifecycle) {
    logger.info({ config: redactConfig(env) }, 'starting');
    if (env.MIGRATE_ON_START) {
      const result = await migrate({
        url: env.DATABASE_URL,
        schema: env.DATABASE_SCHEMA,
        migrationsDir: MIGRATIONS_DIR,
        logger,
      });
      logger.info(result, 'migrations applied');
    }

    const store = createPrismaStore({
      adapter: pgAdapter({
        url: env.DATABASE_URL,
        schema: env.DATABASE_SCHEMA,
        max: env.DATABASE_POOL_MAX,
        applicationName: SERVICE_NAME,
        onPoolError: (err) => logger.warn({ err }, 'idle database connection failed'),
      }),
      logger,
    });
    const broker = await connectBroker({
      url: env.AMQP_URL,
      logger,
      service: SERVICE_NAME,
      instanceId,
      namespace: env.BROKER_NAMESPACE,
    });
    const outbox = createOutboxSignal();
    const metrics = createMetricsRegistry(SERVICE_NAME);
    const components = new Set(env.COMPONENTS);
    const worker = createMessageWorker({
      store,
      broker,
      logger,
      outbox,
      metrics,
      components: WorkerComponents.filter((c: WorkerComponent) => components.has(c)),
      sendBatchSize: env.SEND_BATCH_SIZE,
      sendConcurrency: env.SEND_CONCURRENCY,
      ...(env.COMMAND_PREFETCH === undefined ? {} : { commandPrefetch: env.COMMAND_PREFETCH }),
      receiptBatchSize: env.RECEIPT_BATCH_SIZE,
      presenceBatchSize: env.PRESENCE_BATCH_SIZE,
      maxEnvelopeBytes: env.MAX_ENVELOPE_BYTES,
      commandMaxAttempts: env.COMMAND_MAX_ATTEMPTS,
      outboxBatchSize: env.OUTBOX_BATCH_SIZE,
      outboxPollMs: env.OUTBOX_POLL_MS,
      presenceExpiryMs: env.PRESENCE_EXPIRY_MS,
      presenceSweepMs: env.PRESENCE_SWEEP_MS,
      retentionSweepMs: env.RETENTION_SWEEP_MS,
      ...(env.RETENTION_DAYS === undefined ? {} : { retentionMs: env.RETENTION_DAYS * 86_400_000 }),
    });

    // Shutdown order: stop taking HTTP requests, finish and ack in-flight batches, then close the broker and database.
    const readiness = {
      database: () => store.ping(),
      broker: () => {
        if (!broker.isConnected()) throw new Error('no connection to RabbitMQ');
      },
    };
    // A revoked session's token is refused from the moment its event arrives, not when it expires.
    const revocations = new RevocationList({ retentionMs: env.REVOCATION_RETENTION_MS });
    const revocationFeed = components.has('http')
      ? await followRevocations(broker, revocationsQueue(SERVICE_NAME, instanceId), revocations)
      : undefined;
    // Without the API, a process still answers /livez, /readyz and /metrics for its orchestrator.
    const app = components.has('http')
      ? await build({
          logger,
          store,
          verifier: createVerifier({
            jwksUrl: env.JWKS_URL,
            issuer: env.JWT_ISSUER,
            audience: env.JWT_AUDIENCE,
            revocations,
          }),
          internalToken: env.INTERNAL_TOKEN,
          maxGroupMembers: env.MAX_GROUP_MEMBERS,
          presenceExpiryMs: env.PRESENCE_EXPIRY_MS,
          outbox,
          metrics,
          health: lifecycle,
          trustProxy: env.TRUST_PROXY,
          readiness,
        })
      : await createServiceApp({
          service: SERVICE_NAME,
          version: SERVICE_VERSION,
          logger,
          metrics,
          health: lifecycle,
          readiness,
        });
    lifecycle.onShutdown('stop accepting HTTP', () => app.close());
    lifecycle.onShutdown('stop the worker', () => worker.stop());
    lifecycle.onShutdown('stop following revocations', () => revocationFeed?.cancel());
    lifecycle.onShutdown('close the broker', () => broker.close());
    lifecycle.onShutdown('close the database', () => store.close());

    if (revocationFeed && env.AUTH_URL) {
      // Subscribed first, then loaded: no revocation falls between the two.
      const revoked = await loadRevocations(revocations, {
        authUrl: env.AUTH_URL,
        internalToken: env.INTERNAL_TOKEN,
      });
      logger.info({ revoked }, 'revocations loaded');
    }
    await worker.start();
    const address = await app.listen({ port: env.PORT, host: env.HOST });
    logger.info({ address, components: [...components] }, 'listening');
  },
});
