import type { AddressInfo } from 'node:net';
import { type Broker, createBroker, MemoryBroker, MemoryTransport } from '@im/broker';
import { type AppError, DeliveryKeys } from '@im/contracts';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { build } from '../src/index.js';
import {
  createTestAuth,
  newUser,
  nothingPending,
  type TestAuth,
  TestSocket,
  testLogger,
} from './support/index.js';

/** Standalone mode: the same gateway over the in-process transport (no RabbitMQ). */
let auth: TestAuth;
let broker: Broker;
let app: FastifyInstance;
let url: string;

beforeAll(async () => {
  auth = await createTestAuth();
  const memory = new MemoryBroker();
  const logger = testLogger('gateway-memory');
  broker = createBroker({ transport: new MemoryTransport({ broker: memory }), logger, instanceId: 'test' });
  app = await build({
    broker: createBroker({
      transport: new MemoryTransport({ broker: memory }),
      logger,
      instanceId: 'gw-memory',
    }),
    verifier: auth.verifier,
    revocations: auth.revocations,
    messageService: nothingPending,
    instanceId: 'gw-memory',
    logger,
    allowedOrigins: [],
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  url = `ws://127.0.0.1:${(app.server.address() as AddressInfo).port}/v1/ws`;
});

afterAll(async () => {
  await app?.close();
  await broker?.close();
});

describe('over the in-process transport', () => {
  it('routes by user and device key while connected, then the keys are unroutable; in-process as on RabbitMQ', async () => {
    const user = newUser();
    const socket = await TestSocket.live(url, await auth.token(user.userId, user.deviceId));
    const frame = { type: 'broadcast' as const, text: 'hi', from: 'test', at: new Date().toISOString() };
    await broker.publish(
      'delivery.frame.v1',
      { frame },
      { routingKey: DeliveryKeys.user(user.userId), mandatory: true },
    );
    await socket.waitFor('broadcast', (f) => f.text === 'hi');

    await socket.close();
    await vi.waitFor(async () => {
      const error = await broker
        .publish(
          'delivery.frame.v1',
          { frame },
          { routingKey: DeliveryKeys.device(user.deviceId), mandatory: true },
        )
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect((error as AppError).code).toBe('BROKER_UNROUTABLE');
    });
  });

  it('closes a revoked session at once', async () => {
    const user = newUser();
    const socket = await TestSocket.live(url, await auth.token(user.userId, user.deviceId));
    await broker.publish('session.revoked.v1', {
      sessionId: user.deviceId,
      userId: user.userId,
      reason: 'logout',
      revokedAt: new Date().toISOString(),
    });
    expect((await socket.waitClosed()).code).toBe(4403);
  });
});
