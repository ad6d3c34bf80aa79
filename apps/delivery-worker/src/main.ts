import { connectBroker } from '@im/broker';
import { parseEnv, redactConfig } from '@im/config';
import { createLogger } from '@im/logger';
import { createMetricsRegistry, createServiceApp, runMain } from '@im/service';
import { createHttpDirectory } from './directory.js';
import { DeliveryWorkerEnv } from './env.js';
import { createDeliveryWorker } from './worker.js';

const SERVICE = 'delivery-worker';
const VERSION = '0.1.0';

const env = parseEnv(SERVICE, DeliveryWorkerEnv);
const logger = createLogger({
  service: SERVICE,
  version: VERSION,
  instance: env.INSTANCE_ID,
  level: env.LOG_LEVEL,
  pretty: env.LOG_PRETTY,
});

await runMain({
  logger,
  shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
  async start(lifecycle) {
    logger.info({ config: redactConfig(env) }, 'starting');
    const broker = await connectBroker({
      url: env.AMQP_URL,
      logger,
      service: SERVICE,
      instanceId: env.INSTANCE_ID,
      namespace: env.BROKER_NAMESPACE,
    });
    const metrics = createMetricsRegistry(SERVICE);
    const worker = createDeliveryWorker({
      broker,
      directory: createHttpDirectory({ baseUrl: env.MESSAGE_SERVICE_URL, internalToken: env.INTERNAL_TOKEN }),
      logger,
      instanceId: env.INSTANCE_ID,
      membersCacheTtlMs: env.MEMBERS_CACHE_TTL_MS,
      typingTtlMs: env.TYPING_TTL_MS,
      metrics,
    });
    const app = await createServiceApp({
      service: SERVICE,
      version: VERSION,
      logger,
      metrics,
      health: lifecycle,
      readiness: {
        broker: () => {
          if (!broker.isConnected()) throw new Error('not connected to RabbitMQ');
        },
      },
    });
    // In this order: stop consuming (in-flight events finish), close the health endpoints, close the broker.
    lifecycle.onShutdown('stop consuming', () => worker.stop());
    lifecycle.onShutdown('close http server', () => app.close());
    lifecycle.onShutdown('close broker', () => broker.close());
    await worker.start();
    const address = await app.listen({ port: env.PORT, host: env.HOST });
    logger.info({ address, instanceId: env.INSTANCE_ID }, 'listening (health and metrics)');
  },
});
