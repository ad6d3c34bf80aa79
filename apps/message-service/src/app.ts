import type { Verifier } from '@im/auth-client';
import type { Logger } from '@im/logger';
import { createServiceApp, type HealthState, type ReadinessCheck, type ServiceAppOptions } from '@im/service';
import type { FastifyInstance } from 'fastify';
import { ConversationService } from './domain/conversations.js';
import type { OutboxSignal } from './domain/outbox-signal.js';
import { DEFAULT_PRESENCE_EXPIRY_MS } from './domain/presence.js';
import { internalRoutes } from './http/internal-routes.js';
import { publicRoutes } from './http/public-routes.js';
import type { MessageStore } from './repositories/store.js';
import { SERVICE_NAME, SERVICE_VERSION } from './version.js';

export interface MessageAppOptions {
  logger: Logger;
  store: MessageStore;
  /** Verifies bearer access tokens (`createVerifier` from @im/auth-client). */
  verifier: Verifier;
  /** Shared secret of the internal endpoints (`x-internal-token`). */
  internalToken: string;
  /** Most members a group may have, its creator included. Default 1000. */
  maxGroupMembers?: number;
  /** A device not refreshed for this long counts as offline. Default 90 s. */
  presenceExpiryMs?: number;
  /** Wakes the outbox relay after membership changes (share it with the worker). */
  outbox?: OutboxSignal;
  health?: HealthState;
  metrics?: ServiceAppOptions['metrics'];
  /** More /readyz checks (the broker, in main.ts); the database is always checked. */
  readiness?: Record<string, ReadinessCheck>;
  /** Trust X-Forwarded-For from a reverse proxy. */
  trustProxy?: boolean;
}

/** The message service's HTTP API: public (bearer) and internal (`x-internal-token`) routes. */
export async function build(options: MessageAppOptions): Promise<FastifyInstance> {
  const app = await createServiceApp({
    service: SERVICE_NAME,
    version: SERVICE_VERSION,
    logger: options.logger,
    bodyLimit: 64 * 1024,
    readiness: { database: () => options.store.ping(), ...options.readiness },
    openapi: {
      title: 'Message service',
      description:
        'Conversations, members, history and presence (bearer access token), and the internal ' +
        'endpoints gateways and delivery workers call (x-internal-token). Errors are ' +
        '`{ error: { code, message } }` with a code from the catalog; a non-member gets ' +
        'MSG_CONVERSATION_NOT_FOUND (404) whether the conversation exists or not.',
    },
    ...(options.health ? { health: options.health } : {}),
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ...(options.trustProxy === undefined ? {} : { trustProxy: options.trustProxy }),
  });
  const conversations = new ConversationService({
    store: options.store,
    maxGroupMembers: options.maxGroupMembers ?? 1000,
    outbox: options.outbox,
  });
  await app.register(publicRoutes, {
    verifier: options.verifier,
    store: options.store,
    conversations,
    presenceExpiryMs: options.presenceExpiryMs ?? DEFAULT_PRESENCE_EXPIRY_MS,
  });
  await app.register(internalRoutes, {
    internalToken: options.internalToken,
    store: options.store,
    conversations,
  });
  return app;
}
