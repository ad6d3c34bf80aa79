import { hostname } from 'node:os';
import { parseEnv, redactConfig } from '@im/config';
import { migrate } from '@im/db';
import { createLogger } from '@im/logger';
import { runMain } from '@im/service';
import { build, createComponents, SERVICE_NAME, SERVICE_VERSION, settingsFromEnv } from './app.js';
import { parseSealingKey } from './domain/sealing.js';
import { AuthEnv } from './env.js';
import { brokerPublisher, connectBroker } from './events-broker.js';
import { MIGRATIONS_DIR } from './paths.js';
import { connectStore } from './repositories/connect.js';

const env = parseEnv(SERVICE_NAME, AuthEnv);
const instance = env.INSTANCE_ID ?? `${hostname()}:${process.pid}`;
const logger = createLogger({
  service: SERVICE_NAME,
  version: SERVICE_VERSION,
  instance,
  level: env.LOG_LEVEL,
  pretty: env.LOG_PRETTY,
});

await runMain({
  logger,
  shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT,
  async start(lifecycle) {
    logger.info({ config: redactConfig(env) }, 'starting');
    const sealingKey = parseSealingKey(env.SIGNING_KEY_ENCRYPTION_KEY);
    if (env.MIGRATE_ON_START) {
      const result = await migrate({
        url: env.DATABASE_URL,
        migrationsDir: MIGRATIONS_DIR,
        ...(env.DATABASE_SCHEMA ? { schema: env.DATABASE_SCHEMA } : {}),
        logger,
      });
      logger.info(result, 'migrations applied');
    }
    // Prisma connects on first use: nothing to close if start-up fails before the steps below.
    const store = connectStore({
      url: env.DATABASE_URL,
      schema: env.DATABASE_SCHEMA,
      poolMax: env.DATABASE_POOL_MAX,
      logger,
    });
    const broker = await connectBroker({
      url: env.AMQP_URL,
      namespace: env.BROKER_NAMESPACE,
      logger,
      instanceId: instance,
    });
    const components = createComponents({
      store,
      settings: settingsFromEnv(env),
      sealingKey,
      publish: brokerPublisher(broker),
      logger,
    });
    const app = await build({
      components,
      logger,
      health: lifecycle,
      readiness: {
        broker: () => {
          if (!broker.isConnected()) throw new Error('not connected to RabbitMQ');
        },
      },
    });
    // Steps run in the order added: stop HTTP (and the relay), then the broker, then the database.
    lifecycle.onShutdown('close http server, outbox relay and housekeeping', () => app.close());
    lifecycle.onShutdown('close broker', () => broker.close());
    lifecycle.onShutdown('close database', () => store.close());
    const address = await app.listen({ port: env.PORT, host: env.HOST });
    logger.info({ address }, 'listening');
  },
});
