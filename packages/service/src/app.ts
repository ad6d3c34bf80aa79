import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Logger } from '@im/logger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Registry } from 'prom-client';
import { installErrorHandling } from './errors.js';
import { type HealthState, installHealth, type ReadinessCheck } from './health.js';
import { createMetricsRegistry, installHttpMetrics } from './metrics.js';

export interface ServiceAppOptions {
  service: string;
  version: string;
  logger: Logger;
  /** Dependency checks behind /readyz. */
  readiness?: Record<string, ReadinessCheck>;
  /** Shared with the lifecycle so /readyz answers 503 once shutdown begins. */
  health?: HealthState;
  /** Largest accepted request body in bytes (default 64 KiB). */
  bodyLimit?: number;
  /** Publish an OpenAPI document at /docs/json and a UI at /docs. */
  openapi?: { title: string; description: string };
  /** Metrics registry; default a fresh one for this app. */
  metrics?: Registry;
  /** Trust X-Forwarded-For from a reverse proxy (needed for per-IP limits behind one). */
  trustProxy?: boolean;
}

/**
 * The skeleton every HTTP service is built on: zod validation of every input,
 * catalog errors, /livez, /readyz, /metrics and (optionally) OpenAPI at /docs.
 * Routes are registered by the caller on the returned instance.
 */
export async function createServiceApp(options: ServiceAppOptions): Promise<FastifyInstance> {
  // Typed as Fastify's logger interface so the instance keeps Fastify's default generics.
  const loggerInstance: FastifyBaseLogger = options.logger;
  const app = Fastify({
    loggerInstance,
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    trustProxy: options.trustProxy ?? false,
    // Per-request lines are logged at debug by the onResponse hook below, not at info by Fastify.
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // JSON only: a text/plain body is answered 415, not parsed as a string.
  app.removeContentTypeParser('text/plain');
  installErrorHandling(app);

  if (options.openapi) {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: options.openapi.title,
          description: options.openapi.description,
          version: options.version,
        },
        components: {
          securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
        },
      },
      transform: jsonSchemaTransform,
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
  }

  const health = options.health ?? { draining: false };
  installHealth(app, health, options.readiness ?? {});
  // While draining, answers close their keep-alive connection so close() is not held up by idle sockets.
  app.addHook('onSend', async (_request, reply, payload) => {
    if (health.draining) reply.header('connection', 'close');
    return payload;
  });
  installHttpMetrics(app, options.metrics ?? createMetricsRegistry(options.service));

  app.addHook('onResponse', async (request, reply) => {
    request.log.debug(
      {
        method: request.method,
        url: request.routeOptions.url,
        status: reply.statusCode,
        ms: reply.elapsedTime,
      },
      'request',
    );
  });
  return app;
}
