import { createVerifier, loadRevocations, RevocationList } from '@im/auth-client';
import { connectBroker } from '@im/broker';
import { parseEnv, redactConfig } from '@im/config';
import { createLogger } from '@im/logger';
import { runMain } from '@im/service';
import { build } from './app.js';
import { GatewayEnv } from './env.js';
import { createHttpMessageServiceClient } from './message-service-client.js';

const SERVICE = 'gateway';
const VERSION = '0.1.0';

const env = parseEnv(SERVICE, GatewayEnv);
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
    const revocations = new RevocationList({ retentionMs: env.REVOCATION_RETENTION_MS });
    const app = await build({
      broker,
      verifier: createVerifier({
        jwksUrl: env.JWKS_URL ?? new URL('/.well-known/jwks.json', env.AUTH_URL),
        issuer: env.JWT_ISSUER,
        audience: env.JWT_AUDIENCE,
        revocations,
      }),
      revocations,
      messageService: createHttpMessageServiceClient({
        baseUrl: env.MESSAGE_SERVICE_URL,
        internalToken: env.INTERNAL_TOKEN,
      }),
      instanceId: env.INSTANCE_ID,
      logger,
      allowedOrigins: env.ALLOWED_ORIGINS,
      presenceRefreshMs: env.PRESENCE_REFRESH_MS,
      health: lifecycle,
      version: VERSION,
      limits: {
        maxFrameBytes: env.MAX_FRAME_BYTES,
        maxEnvelopeBytes: env.MAX_ENVELOPE_BYTES,
        framesPerSecond: env.WS_FRAMES_PER_SECOND,
        frameBurst: env.WS_FRAME_BURST,
        maxConnectionsPerUser: env.MAX_CONNECTIONS_PER_USER,
        authTimeoutMs: env.AUTH_TIMEOUT_MS,
        heartbeatIntervalMs: env.HEARTBEAT_INTERVAL_MS,
        heartbeatTimeoutMs: env.HEARTBEAT_TIMEOUT_MS,
        maxSendBufferBytes: env.MAX_SEND_BUFFER_BYTES,
      },
    });
    // In this order: close the sockets (1012) and the gateway queue, then the broker connection.
    lifecycle.onShutdown('close websockets and the gateway queue', () => app.close());
    lifecycle.onShutdown('close broker', () => broker.close());
    // Now subscribed to session.revoked.v1: load the sessions revoked before this copy started, so
    // their still-valid access tokens are refused here too. Without them the gateway does not open.
    const revoked = await loadRevocations(revocations, {
      authUrl: env.AUTH_URL,
      internalToken: env.INTERNAL_TOKEN,
    });
    logger.info({ revoked }, 'revocations loaded');
    const address = await app.listen({ port: env.PORT, host: env.HOST });
    logger.info({ address, instanceId: env.INSTANCE_ID }, 'listening');
  },
});
