import { parseEnv, redactConfig } from '@im/config';
import { createLogger } from '@im/logger';
import { runMain } from '@im/service';
import { StandaloneEnv } from './env.js';
import { startStandalone } from './standalone.js';

const env = parseEnv('standalone', StandaloneEnv);
const logger = createLogger({ service: 'standalone', level: env.LOG_LEVEL, pretty: env.LOG_PRETTY });

await runMain({
  logger,
  shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
  async start(lifecycle) {
    logger.info({ config: redactConfig(env) }, 'starting');
    const system = await startStandalone({
      port: env.PORT,
      host: env.HOST,
      dataDir: env.DATA_DIR,
      ...(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : {}),
      ...(env.AMQP_URL ? { amqpUrl: env.AMQP_URL } : {}),
      webDist: env.WEB_DIST,
      allowedOrigins: env.ALLOWED_ORIGINS,
      accessTokenTtl: env.ACCESS_TOKEN_TTL,
      logger,
      loggerFor: (service) =>
        createLogger({ service, instance: 'standalone', level: env.LOG_LEVEL, pretty: env.LOG_PRETTY }),
      lifecycle,
    });
    lifecycle.onShutdown('stop the system', () => system.close());
    // Printed plainly as well as logged: this is the line a person looks for.
    process.stdout.write(`\n  IM platform is running at ${system.url}\n\n`);
  },
});
