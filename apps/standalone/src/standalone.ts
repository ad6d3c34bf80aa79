import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import { createVerifier, RevocationList } from '@im/auth-client';
import {
  MIGRATIONS_DIR as AUTH_MIGRATIONS,
  type AuthSettings,
  brokerPublisher,
  build as buildAuth,
  connectStore,
  createComponents,
  parseDuration,
  parseSealingKey,
} from '@im/auth-service';
import { type Broker, connectBroker, MemoryBroker } from '@im/broker';
import { AppError } from '@im/contracts';
import { migrate, pgAdapter, startEmbeddedPostgres } from '@im/db';
import { createDeliveryWorker, createHttpDirectory } from '@im/delivery-worker';
import { build as buildGateway, createHttpMessageServiceClient } from '@im/gateway';
import type { Logger } from '@im/logger';
import {
  build as buildMessages,
  createMessageWorker,
  createOutboxSignal,
  createPrismaStore,
  MIGRATIONS_DIR as MESSAGE_MIGRATIONS,
  WorkerComponents,
} from '@im/message-service';
import { createServiceApp, Lifecycle } from '@im/service';
import type { FastifyInstance } from 'fastify';
import { createDispatcher, type Route } from './dispatch.js';
import { loadOrCreateSecrets } from './secrets.js';

export interface StandaloneOptions {
  port: number;
  host: string;
  dataDir: string;
  /** Use this PostgreSQL instead of starting the embedded one. */
  databaseUrl?: string;
  /** Use RabbitMQ instead of the in-process broker. */
  amqpUrl?: string;
  /** The built web app (served at `/` when the folder exists). */
  webDist?: string;
  /** Origins allowed to open the WebSocket besides the app's own. */
  allowedOrigins?: readonly string[];
  /** Access-token lifetime in the auth service's duration syntax (default 15m). */
  accessTokenTtl?: string;
  /** The standalone runner's own logger. */
  logger: Logger;
  /** Each service logs under its own name (`service` field), as when it runs alone. */
  loggerFor: (service: string) => Logger;
  /** Shared with the caller's lifecycle, so /readyz answers 503 while shutting down. */
  lifecycle?: Lifecycle;
}

export interface Standalone {
  /** Base URL of the one port (web app, HTTP APIs, WebSocket at /v1/ws). */
  readonly url: string;
  /** Shuts everything down in order: sockets, HTTP, workers, brokers, databases. */
  close(): Promise<void>;
}

const ISSUER = 'im-standalone';
const AUDIENCE = 'im';

/**
 * The whole system in one process, on one port: the auth service, the message
 * service and its worker, the delivery worker and a gateway, over an embedded
 * PostgreSQL (each service in its own schema) and the in-process broker, plus
 * the web app. The same services as the distributed deployment, composed
 * differently: nothing here is a special case of theirs.
 */
export async function startStandalone(options: StandaloneOptions): Promise<Standalone> {
  const { logger } = options;
  const lifecycle = options.lifecycle ?? new Lifecycle(logger, 15_000);
  const log = options.loggerFor;
  const closers: Array<{ name: string; run: () => Promise<unknown> | unknown }> = [];
  // Shutdown runs in reverse order of start-up (the last thing started stops first).
  const onClose = (name: string, run: () => Promise<unknown> | unknown) => closers.unshift({ name, run });

  try {
    const secrets = await loadOrCreateSecrets(options.dataDir);

    // --- database ------------------------------------------------------------
    let databaseUrl = options.databaseUrl;
    if (!databaseUrl) {
      const postgres = await startEmbeddedPostgres({
        dataDir: join(options.dataDir, 'postgres'),
        logger: log('postgres'),
      });
      onClose('stop embedded PostgreSQL', () => postgres.stop());
      databaseUrl = postgres.url;
      logger.info({ dataDir: postgres.dataDir, port: postgres.port }, 'embedded PostgreSQL running');
    }
    await migrate({
      url: databaseUrl,
      schema: 'auth',
      migrationsDir: AUTH_MIGRATIONS,
      logger: log('auth-service'),
    });
    await migrate({
      url: databaseUrl,
      schema: 'messaging',
      migrationsDir: MESSAGE_MIGRATIONS,
      logger: log('message-service'),
    });

    // --- broker: one connection per service, as when they run apart ----------
    const memory = options.amqpUrl ? undefined : new MemoryBroker();
    const brokerFor = async (service: string): Promise<Broker> => {
      const broker = await connectBroker({
        url: options.amqpUrl,
        ...(memory ? { memoryBroker: memory } : {}),
        logger: log(service),
        service,
        instanceId: `standalone-${service}`,
      });
      await broker.declareTopology();
      onClose(`close ${service} broker`, () => broker.close());
      return broker;
    };

    // --- the port: bound first, so internal clients know where to call -------
    const server = createServer();
    let dispatch: ReturnType<typeof createDispatcher> | undefined;
    server.on('request', (req, res) => {
      if (dispatch) return dispatch.request(req, res);
      res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
      res.end(JSON.stringify({ error: { code: 'UNAVAILABLE', message: 'Starting up; retry shortly' } }));
    });
    server.on('upgrade', (req, socket, head) => {
      if (dispatch) return dispatch.upgrade(req, socket, head);
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    });
    await listen(server, options.port, options.host);
    onClose('close the port', () => closeServer(server));
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('the server has no TCP address');
    const url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${address.port}`;
    const selfOrigin = `http://${options.host === '0.0.0.0' ? 'localhost' : options.host}:${address.port}`;

    // --- auth service --------------------------------------------------------
    const authLogger = log('auth-service');
    const authStore = connectStore({ url: databaseUrl, schema: 'auth', logger: authLogger });
    onClose('close auth database', () => authStore.close());
    const authBroker = await brokerFor('auth-service');
    const settings: AuthSettings = {
      issuer: ISSUER,
      audience: AUDIENCE,
      accessTokenTtlMs: parseDuration(options.accessTokenTtl ?? '15m') ?? 15 * 60_000,
      refreshTokenTtlMs: 30 * 86_400_000,
      signingKeyRefreshMs: 60_000,
      rateLimits: {
        registerPerIp: { limit: 20, windowMs: 3_600_000 },
        registerPerUsername: { limit: 5, windowMs: 3_600_000 },
        loginPerIp: { limit: 60, windowMs: 300_000 },
        loginPerUsername: { limit: 10, windowMs: 300_000 },
        refreshPerIp: { limit: 120, windowMs: 300_000 },
        refreshPerUser: { limit: 60, windowMs: 300_000 },
      },
      trustProxy: false,
      bodyLimitBytes: 256 * 1024,
      outboxPollIntervalMs: 1_000,
      internalToken: secrets.internalToken,
    };
    const auth = createComponents({
      store: authStore,
      settings,
      sealingKey: parseSealingKey(secrets.signingKeyEncryptionKey),
      publish: brokerPublisher(authBroker),
      logger: authLogger,
    });
    const authApp = await buildAuth({ components: auth, logger: authLogger, health: lifecycle });
    onClose('close auth service', () => authApp.close());
    const jwks = () => auth.signingKeys.jwks();
    // One list for every verifier of the process, fed by the gateway's subscription to session.revoked.v1.
    const revocations = new RevocationList({ retentionMs: 2 * settings.accessTokenTtlMs });

    // --- message service -----------------------------------------------------
    const messageLogger = log('message-service');
    const messageStore = createPrismaStore({
      adapter: pgAdapter({ url: databaseUrl, schema: 'messaging', applicationName: 'message-service' }),
      logger: messageLogger,
    });
    onClose('close message database', () => messageStore.close());
    const messageBroker = await brokerFor('message-service');
    const outbox = createOutboxSignal();
    const messageWorker = createMessageWorker({
      store: messageStore,
      broker: messageBroker,
      logger: messageLogger,
      outbox,
      components: WorkerComponents,
    });
    onClose('stop message worker', () => messageWorker.stop());
    const messageApp = await buildMessages({
      logger: messageLogger,
      store: messageStore,
      verifier: createVerifier({ jwks, issuer: ISSUER, audience: AUDIENCE, revocations }),
      internalToken: secrets.internalToken,
      outbox,
      health: lifecycle,
    });
    onClose('close message service', () => messageApp.close());
    await messageWorker.start();

    // --- delivery worker -----------------------------------------------------
    const deliveryLogger = log('delivery-worker');
    const deliveryBroker = await brokerFor('delivery-worker');
    const deliveryWorker = createDeliveryWorker({
      broker: deliveryBroker,
      directory: createHttpDirectory({ baseUrl: url, internalToken: secrets.internalToken }),
      logger: deliveryLogger,
      instanceId: 'standalone',
    });
    onClose('stop delivery worker', () => deliveryWorker.stop());
    await deliveryWorker.start();

    // --- gateway -------------------------------------------------------------
    const gatewayLogger = log('gateway');
    const gatewayBroker = await brokerFor('gateway');
    const gatewayApp = await buildGateway({
      broker: gatewayBroker,
      verifier: createVerifier({ jwks, issuer: ISSUER, audience: AUDIENCE, revocations }),
      revocations,
      messageService: createHttpMessageServiceClient({ baseUrl: url, internalToken: secrets.internalToken }),
      instanceId: 'standalone',
      logger: gatewayLogger,
      // The page is served from this port under any local name the browser used.
      allowedOrigins: [
        selfOrigin,
        url,
        `http://localhost:${address.port}`,
        `http://127.0.0.1:${address.port}`,
        ...(options.allowedOrigins ?? []),
      ],
      health: lifecycle,
    });
    // Sockets close first (1012: clients reconnect), before anything they depend on.
    closers.unshift({ name: 'close websockets', run: () => gatewayApp.close() });

    // --- the web app, /livez, /readyz, /metrics ------------------------------
    const front = await frontApp({ options, logger, lifecycle, apps: [authApp, messageApp, gatewayApp] });
    onClose('close front', () => front.close());

    const routes: Route[] = [
      { prefix: '/v1/auth/', app: authApp },
      { prefix: '/v1/users', app: authApp },
      { prefix: '/v1/keys', app: authApp },
      { prefix: '/.well-known/', app: authApp },
      { prefix: '/v1/conversations', app: messageApp },
      { prefix: '/v1/presence', app: messageApp },
      { prefix: '/internal/v1/revocations', app: authApp },
      { prefix: '/internal/', app: messageApp },
      { prefix: '/v1/ws', app: gatewayApp },
    ];
    await Promise.all([authApp.ready(), messageApp.ready(), gatewayApp.ready(), front.ready()]);
    dispatch = createDispatcher(routes, front);
    logger.info({ url, web: front.hasWeb }, 'standalone system ready');

    let closing: Promise<void> | undefined;
    return {
      url,
      close: () => {
        closing ??= runClosers(closers, logger);
        return closing;
      },
    };
  } catch (error) {
    await runClosers(closers, logger);
    throw error;
  }
}

async function frontApp(input: {
  options: StandaloneOptions;
  logger: Logger;
  lifecycle: Lifecycle;
  apps: FastifyInstance[];
}): Promise<FastifyInstance & { hasWeb: boolean }> {
  const { options, apps } = input;
  const app = await createServiceApp({
    service: 'standalone',
    version: '0.1.0',
    logger: input.logger,
    health: input.lifecycle,
    readiness: Object.fromEntries(
      apps.map((service, i) => [
        ['auth', 'messages', 'gateway'][i] ?? `app${i}`,
        async () => {
          const res = await service.inject('/readyz');
          if (res.statusCode !== 200) throw new Error(res.body);
        },
      ]),
    ),
  });
  const webDist = options.webDist;
  const hasWeb = webDist !== undefined && existsSync(join(webDist, 'index.html'));
  if (hasWeb) {
    await app.register(fastifyStatic, { root: webDist, wildcard: false, index: ['index.html'] });
    // Client-side routes: any other GET that accepts HTML gets the app shell.
    app.get('/*', { schema: { hide: true } }, (request, reply) => {
      if ((request.headers.accept ?? '').includes('text/html')) return reply.sendFile('index.html');
      throw new AppError('NOT_FOUND', `No route GET ${request.url}`);
    });
  } else {
    app.get('/', async (_request, reply) =>
      reply
        .type('text/html')
        .send(
          '<!doctype html><title>IM platform</title><p>The API is running. Build the web app with <code>pnpm --filter @im/web build</code> to serve it here.</p>',
        ),
    );
  }
  return Object.assign(app, { hasWeb });
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

async function runClosers(
  closers: ReadonlyArray<{ name: string; run: () => Promise<unknown> | unknown }>,
  logger: Logger,
): Promise<void> {
  for (const closer of closers) {
    try {
      await closer.run();
    } catch (error) {
      logger.error({ err: error, step: closer.name }, 'standalone shutdown step failed; continuing');
    }
  }
}
