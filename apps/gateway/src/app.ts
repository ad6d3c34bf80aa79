import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import websocket from '@fastify/websocket';
import type { RevocationList, Verifier } from '@im/auth-client';
import type { Broker } from '@im/broker';
import type { Logger } from '@im/logger';
import { createMetricsRegistry, createServiceApp, type HealthState } from '@im/service';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { GatewayContext } from './connection.js';
import { Hub } from './hub.js';
import { defaultLimits, type GatewayLimits } from './limits.js';
import type { MessageServiceClient } from './message-service-client.js';
import { createGatewayMetrics } from './metrics.js';

export const WS_PATH = '/v1/ws';

export interface GatewayOptions {
  broker: Broker;
  /** Verifies access tokens (JWKS of the auth service). */
  verifier: Verifier;
  /**
   * The revocation list the verifier consults: fed here from `session.revoked.v1`
   * so a revoked session cannot reconnect with a still-valid token.
   */
  revocations?: RevocationList;
  /** The offline queue (the message service's internal pending endpoint). */
  messageService: MessageServiceClient;
  /** Unique per running copy: names this instance's broker queue. */
  instanceId: string;
  logger: Logger;
  /**
   * Origins allowed to open a WebSocket from a browser (exact `scheme://host[:port]`),
   * `*` for any. A request without an Origin header (not a browser) is always allowed.
   */
  allowedOrigins: readonly string[];
  limits?: Partial<GatewayLimits>;
  /** Re-announce connected devices as online this often, ms (default 30 000). */
  presenceRefreshMs?: number;
  /** On shutdown, how long sockets get to complete their close handshake, ms (default 2 000). */
  closeGraceMs?: number;
  /** After a broker reconnect, every connection is drained again within this window, ms (default 5 000). */
  resyncSpreadMs?: number;
  health?: HealthState;
  metrics?: Registry;
  version?: string;
}

/**
 * The gateway: `GET /v1/ws` (docs/protocol.md) plus /livez, /readyz and
 * /metrics. It consumes its own broker queue from the moment it is built;
 * `app.close()` closes every socket with 1012, stops the consumer and deletes
 * the queue. The broker itself is the caller's to close (after the app).
 */
export async function build(options: GatewayOptions): Promise<FastifyInstance> {
  const limits: GatewayLimits = { ...defaultLimits, ...options.limits };
  const registry = options.metrics ?? createMetricsRegistry('gateway');
  const { broker, logger } = options;
  const app = await createServiceApp({
    service: 'gateway',
    version: options.version ?? '0.1.0',
    logger,
    metrics: registry,
    ...(options.health ? { health: options.health } : {}),
    readiness: {
      broker: () => {
        if (!broker.isConnected()) throw new Error('not connected to the broker');
      },
    },
  });
  const context: GatewayContext = {
    broker,
    verifier: options.verifier,
    revocations: options.revocations,
    messageService: options.messageService,
    instanceId: options.instanceId,
    limits,
    metrics: createGatewayMetrics(registry),
    logger,
  };
  const hub = new Hub(context, {
    presenceRefreshMs: options.presenceRefreshMs ?? 30_000,
    closeGraceMs: options.closeGraceMs ?? 2_000,
    resyncSpreadMs: options.resyncSpreadMs ?? 5_000,
  });
  await hub.start();
  const allowAnyOrigin = options.allowedOrigins.includes('*');
  const allowed = new Set(options.allowedOrigins);

  await app.register(websocket, {
    options: {
      maxPayload: limits.maxFrameBytes,
      // Bad UTF-8 gets an error frame from the frame parser instead of a 1007 close.
      skipUTF8Validation: true,
      perMessageDeflate: false,
    },
    preClose: async () => {
      await hub.stop();
      await hub.terminateStragglers(app.websocketServer.clients);
      // Upgrade requests Fastify refused with 503 since close() began leave their socket open.
      for (const socket of upgradeSockets) socket.destroy();
      logger.debug('websockets closed');
    },
    errorHandler: (error, socket, request) => {
      // ws reports protocol errors (an oversized frame: 1009) and closes the socket itself.
      request.log.debug({ err: error }, 'websocket error');
      if (socket.readyState === socket.OPEN) socket.close(1011, 'internal error');
    },
  });

  // While closing, Fastify answers an upgrade request 503 on its raw socket and leaves that socket
  // open (it is no longer the HTTP server's to end), which would hold up server.close() forever.
  // Track every upgrade socket and end those that arrive during shutdown.
  const upgradeSockets = new Set<Duplex>();
  app.server.on('upgrade', (_request: IncomingMessage, socket: Duplex) => {
    if (hub.stopping) {
      socket.end();
      setTimeout(() => socket.destroy(), 1_000).unref();
      return;
    }
    upgradeSockets.add(socket);
    socket.once('close', () => upgradeSockets.delete(socket));
  });

  app.get(WS_PATH, { websocket: true }, (socket, request) => {
    const origin = request.headers.origin;
    if (origin !== undefined && !allowAnyOrigin && !allowed.has(origin)) {
      request.log.info({ origin }, 'websocket from a refused origin');
      socket.send(
        JSON.stringify({ type: 'error', code: 'WS_ORIGIN_REFUSED', message: 'Origin not allowed' }),
      );
      socket.close(4403, 'Origin not allowed');
      return;
    }
    hub.accept(socket, request.headers.authorization);
  });
  return app;
}
