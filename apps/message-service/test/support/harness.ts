import { randomUUID } from 'node:crypto';
import { type Broker, connectAmqp, createBroker, MemoryBroker, MemoryTransport } from '@im/broker';
import type { MessageName, MessagePayload, QueueSpec } from '@im/contracts';
import { pgAdapter } from '@im/db';
import { silentLogger } from '@im/logger';
import { amqpUrl, brokerNamespace, createTestDatabase, type TestDatabase } from '@im/testkit';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { build, type MessageAppOptions } from '../../src/app.js';
import { createOutboxSignal, type OutboxSignal } from '../../src/domain/outbox-signal.js';
import { MIGRATIONS_DIR } from '../../src/paths.js';
import { createPrismaStore } from '../../src/repositories/prisma-store.js';
import type { MessageStore } from '../../src/repositories/store.js';
import { createMessageWorker, type MessageWorker, type MessageWorkerOptions } from '../../src/worker.js';
import { createTokenIssuer, type TokenIssuer } from './tokens.js';

export const INTERNAL_TOKEN = 'internal-token-for-tests-0123456789';

export interface HarnessOptions {
  /** Real RabbitMQ (default) or the in-process transport of standalone mode. */
  transport?: 'amqp' | 'memory';
  app?: Partial<Pick<MessageAppOptions, 'maxGroupMembers' | 'presenceExpiryMs'>>;
}

/** Everything a test file needs: its own database and broker namespace, the app, and workers on demand. */
export interface Harness {
  readonly db: TestDatabase;
  readonly store: MessageStore;
  readonly broker: Broker;
  readonly namespace: string;
  readonly app: FastifyInstance;
  readonly tokens: TokenIssuer;
  readonly outbox: OutboxSignal;
  /** A worker on this harness's store and broker (stopped by close()). */
  worker(options?: Partial<MessageWorkerOptions>): MessageWorker;
  /** A queue bound to the given events (or delivery keys) that records what arrives. */
  probe(bindings: ProbeBindings): Promise<Probe>;
  /** A user with a token for one device. */
  user(): Promise<TestUser>;
  close(): Promise<void>;
}

export interface TestUser {
  readonly id: string;
  readonly deviceId: string;
  readonly token: string;
  /** `inject` with this user's bearer token. */
  request(options: InjectOptions): Promise<LightMyRequestResponse>;
}

export interface ProbeBindings {
  readonly events?: readonly MessageName[];
  /** Routing keys on the delivery exchange (`user.<id>`, `user.*`). */
  readonly delivery?: readonly string[];
}

export interface Received<N extends MessageName = MessageName> {
  readonly name: N;
  readonly messageId: string;
  readonly routingKey: string;
  readonly data: MessagePayload<N>;
}

export interface Probe {
  readonly received: readonly Received[];
  of<N extends MessageName>(name: N): Array<Received<N>>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const logger = silentLogger();
  const db = await createTestDatabase({ migrationsDir: MIGRATIONS_DIR, schema: 'messaging' });
  const store = createPrismaStore({ adapter: pgAdapter({ url: db.url }), logger });
  const ns = brokerNamespace('msgsvc');
  const transport =
    options.transport === 'memory'
      ? new MemoryTransport({ broker: new MemoryBroker() })
      : await connectAmqp({ url: amqpUrl(), connectionName: `message-service test ${ns.name}` });
  const broker = createBroker({ transport, logger, instanceId: ns.name, namespace: ns.name });
  await broker.declareTopology();
  const tokens = await createTokenIssuer();
  const outbox = createOutboxSignal();
  const app = await build({
    logger,
    store,
    verifier: tokens.verifier,
    internalToken: INTERNAL_TOKEN,
    outbox,
    ...options.app,
  });
  const workers: MessageWorker[] = [];

  return {
    db,
    store,
    broker,
    namespace: ns.name,
    app,
    tokens,
    outbox,
    worker(workerOptions = {}) {
      const worker = createMessageWorker({
        store,
        broker,
        logger,
        outbox,
        // Quick sweeps and polls so tests wait for conditions, not for timers.
        outboxPollMs: 50,
        ...workerOptions,
      });
      workers.push(worker);
      return worker;
    },
    async probe(bindings) {
      const received: Received[] = [];
      const spec: QueueSpec = {
        name: `probe-${randomUUID()}`,
        description: 'test probe',
        bindings: [
          ...(bindings.events?.length ? [{ exchange: 'events' as const, keys: bindings.events }] : []),
          ...(bindings.delivery?.length ? [{ exchange: 'delivery' as const, keys: bindings.delivery }] : []),
        ],
        durable: false,
        maxAttempts: 1,
        prefetch: 500,
      };
      const names = new Set<MessageName>([
        ...(bindings.events ?? []),
        ...(bindings.delivery ? ['delivery.frame.v1' as const] : []),
      ]);
      const record = async (
        data: unknown,
        context: { name: MessageName; messageId: string; routingKey: string },
      ) => {
        received.push({
          name: context.name,
          messageId: context.messageId,
          routingKey: context.routingKey,
          data,
        } as Received);
      };
      await broker.consume(spec, Object.fromEntries([...names].map((name) => [name, record])));
      return {
        received,
        of: <N extends MessageName>(name: N) => received.filter((r): r is Received<N> => r.name === name),
      };
    },
    async user() {
      const id = randomUUID();
      const deviceId = randomUUID();
      const token = await tokens.token(id, deviceId);
      return {
        id,
        deviceId,
        token,
        request: (request: InjectOptions) =>
          app.inject({ ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } }),
      };
    },
    async close() {
      await Promise.all(workers.map((w) => w.stop()));
      await app.close();
      ns.track(transport.declaredNames());
      await broker.close();
      if (transport.kind === 'amqp') await ns.cleanup();
      await store.close();
      await db.drop();
    },
  };
}

/** `inject` for the internal endpoints, with the internal token. */
export function internal(app: FastifyInstance, url: string): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'GET', url, headers: { 'x-internal-token': INTERNAL_TOKEN } });
}
