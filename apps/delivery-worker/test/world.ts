import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Broker, MessageContext, MessageHandlers } from '@im/broker';
import type { MessageName, MessagePayload, QueueSpec, ServerFrame } from '@im/contracts';
import { pgAdapter } from '@im/db';
import {
  createTestAuth,
  newUser,
  type TestAuth,
  type TestBrokers,
  testBrokers,
  testLogger,
} from '@im/gateway/testing';
import {
  build,
  createMessageWorker,
  createPrismaStore,
  type MessageStore,
  type MessageWorker,
  MIGRATIONS_DIR,
} from '@im/message-service';
import { createTestDatabase, type TestDatabase } from '@im/testkit';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import {
  createDeliveryWorker,
  createHttpDirectory,
  type DeliveryWorker,
  type MemberDirectory,
} from '../src/index.js';

export const INTERNAL_TOKEN = 'internal-token-for-delivery-worker-tests';

export interface Frame {
  readonly routingKey: string;
  readonly frame: ServerFrame;
  readonly exceptDeviceId: string | undefined;
}

export interface FrameProbe {
  readonly frames: Frame[];
  to(routingKey: string): ServerFrame[];
}

export interface EventProbe {
  readonly events: Array<{ name: MessageName; data: unknown; messageId: string }>;
  of<N extends MessageName>(name: N): Array<{ data: MessagePayload<N>; messageId: string }>;
}

export interface TestMember {
  readonly userId: string;
  readonly deviceId: string;
  /** A request to the message service's public API as this user. */
  call(
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    body?: unknown,
  ): Promise<{ status: number; body: unknown }>;
}

/**
 * A real message service (HTTP on a random port, its own database) and its
 * outbox relay, delivery workers on demand, and probes on the delivery
 * exchange, all in one broker namespace.
 */
export interface World {
  readonly brokers: TestBrokers;
  readonly broker: Broker;
  /** http://127.0.0.1:<port> of the message service. */
  readonly messageServiceUrl: string;
  readonly auth: TestAuth;
  readonly directory: MemberDirectory;
  readonly messageService: FastifyInstance;
  /** A started delivery worker with its own broker connection and metrics registry. */
  worker(instanceId?: string): Promise<{ worker: DeliveryWorker; metrics: Registry }>;
  /** The message service's broker side (default: only the outbox relay, which publishes what its HTTP API writes). */
  relay(components?: Parameters<typeof createMessageWorker>[0]['components']): Promise<MessageWorker>;
  /** Records frames published under exactly these delivery routing keys (the "online" devices and users). */
  probe(routingKeys: string[]): Promise<FrameProbe>;
  /** Records events of these names. */
  events(names: MessageName[]): Promise<EventProbe>;
  member(): TestMember;
  close(): Promise<void>;
}

export async function startWorld(prefix: string): Promise<World> {
  const brokers = testBrokers(prefix);
  const auth = await createTestAuth();
  const logger = testLogger('message-service');
  const db: TestDatabase = await createTestDatabase({ migrationsDir: MIGRATIONS_DIR, schema: 'messaging' });
  const store: MessageStore = createPrismaStore({
    adapter: pgAdapter({ url: db.url, schema: 'messaging' }),
    logger,
  });
  const broker = await brokers.connect(`${prefix}-test`);
  await broker.declareTopology();
  const messageService = await build({
    logger,
    store,
    verifier: auth.verifier,
    internalToken: INTERNAL_TOKEN,
  });
  await messageService.listen({ port: 0, host: '127.0.0.1' });
  const { port } = messageService.server.address() as AddressInfo;
  const directory = createHttpDirectory({
    baseUrl: `http://127.0.0.1:${port}`,
    internalToken: INTERNAL_TOKEN,
  });
  const stops: Array<() => Promise<void>> = [];

  async function record(
    spec: QueueSpec,
    names: MessageName[],
    onMessage: (data: unknown, context: MessageContext) => void,
  ) {
    const handlers = Object.fromEntries(
      names.map((name) => [name, async (data: unknown, context: MessageContext) => onMessage(data, context)]),
    ) as MessageHandlers;
    const subscription = await broker.consume(spec, handlers, { maxAttempts: 1 });
    stops.push(() => subscription.cancel());
  }

  function probeSpec(bindings: QueueSpec['bindings']): QueueSpec {
    return {
      name: `probe-${randomUUID()}`,
      description: 'test probe',
      bindings,
      durable: false,
      maxAttempts: 1,
      prefetch: 500,
    };
  }

  return {
    brokers,
    broker,
    messageServiceUrl: `http://127.0.0.1:${port}`,
    auth,
    directory,
    messageService,
    async worker(instanceId = `dw-${randomUUID().slice(0, 8)}`) {
      const metrics = new Registry();
      const worker = createDeliveryWorker({
        broker: await brokers.connect(instanceId),
        directory,
        logger: testLogger(`delivery-worker ${instanceId}`),
        instanceId,
        metrics,
      });
      await worker.start();
      stops.push(() => worker.stop());
      return { worker, metrics };
    },
    async relay(components = ['relay']) {
      const relay = createMessageWorker({ store, broker, logger, components, outboxPollMs: 50 });
      await relay.start();
      stops.push(() => relay.stop());
      return relay;
    },
    async probe(routingKeys) {
      const frames: Frame[] = [];
      await record(
        probeSpec([{ exchange: 'delivery', keys: routingKeys }]),
        ['delivery.frame.v1'],
        (data, context) => {
          const payload = data as MessagePayload<'delivery.frame.v1'>;
          frames.push({
            routingKey: context.routingKey,
            frame: payload.frame,
            exceptDeviceId: payload.exceptDeviceId,
          });
        },
      );
      return { frames, to: (key) => frames.filter((f) => f.routingKey === key).map((f) => f.frame) };
    },
    async events(names) {
      const events: EventProbe['events'] = [];
      await record(probeSpec([{ exchange: 'events', keys: names }]), names, (data, context) => {
        events.push({ name: context.name, data, messageId: context.messageId });
      });
      return {
        events,
        of: <N extends MessageName>(name: N) =>
          events
            .filter((e) => e.name === name)
            .map((e) => ({ data: e.data as MessagePayload<N>, messageId: e.messageId })),
      };
    },
    member() {
      const { userId, deviceId } = newUser();
      return {
        userId,
        deviceId,
        async call(method, url, body) {
          const token = await auth.token(userId, deviceId);
          const response = await messageService.inject({
            method,
            url,
            headers: { authorization: `Bearer ${token}` },
            ...(body === undefined ? {} : { payload: body as object }),
          });
          return { status: response.statusCode, body: response.json() };
        },
      };
    },
    async close() {
      for (const stop of stops.splice(0).reverse()) await stop();
      await messageService.close();
      await brokers.closeAll();
      await store.close();
      await db.drop();
    },
  };
}
