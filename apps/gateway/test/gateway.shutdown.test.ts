import { AppError, DeliveryKeys, gatewayQueue, Queues } from '@im/contracts';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createTestAuth,
  newUser,
  type Recorded,
  recordQueue,
  startTestGateway,
  type TestAuth,
  TestSocket,
  testBrokers,
} from './support/index.js';

const brokers = testBrokers('gw-shutdown');
let auth: TestAuth;
let presence: { messages: Recorded[]; stop(): Promise<void> };

beforeAll(async () => {
  auth = await createTestAuth();
  const broker = await brokers.connect('shutdown-test');
  await broker.declareTopology();
  presence = await recordQueue(broker, Queues.messageEvents);
});

afterAll(async () => {
  await presence?.stop();
  await brokers.closeAll();
});

const statuses = (deviceId: string) =>
  presence.messages
    .map((m) => m.data as { deviceId: string; status: string })
    .filter((p) => p.deviceId === deviceId)
    .map((p) => p.status);

describe('presence refresh', () => {
  it('re-announces connected devices as online periodically', async () => {
    const gateway = await startTestGateway({ brokers, auth, presenceRefreshMs: 100 });
    const user = newUser();
    const socket = await TestSocket.live(gateway.url, await auth.token(user.userId, user.deviceId));
    await vi.waitFor(() => expect(statuses(user.deviceId).length).toBeGreaterThanOrEqual(3));
    expect(new Set(statuses(user.deviceId))).toEqual(new Set(['online']));
    await socket.close();
    await gateway.close();
  });
});

describe('graceful shutdown', () => {
  it('closes every socket with 1012, announces the devices offline and deletes the gateway queue', async () => {
    const gateway = await startTestGateway({ brokers, auth });
    const users = [newUser(), newUser()];
    const sockets = await Promise.all(
      users.map(async (u) => TestSocket.live(gateway.url, await auth.token(u.userId, u.deviceId))),
    );
    const queue = gateway.broker.queueNames(gatewayQueue(gateway.instanceId)).main;
    const probe = await brokers.connect('shutdown-probe');
    expect((await probe.transport.queueInfo(queue)).consumerCount).toBe(1);

    await gateway.close();

    for (const socket of sockets) {
      expect((await socket.waitClosed()).code).toBe(1012);
      expect(socket.of('error').at(-1)?.code).toBe('WS_GOING_AWAY');
    }
    for (const user of users)
      await vi.waitFor(() => expect(statuses(user.deviceId)).toEqual(['online', 'offline']));
    const gone = await probe.transport.queueInfo(queue).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((gone as AppError).code).toBe('BROKER_NOT_FOUND');
    const unroutable = await probe
      .publish(
        'delivery.frame.v1',
        { frame: { type: 'broadcast', text: 'x', from: 't', at: new Date().toISOString() } },
        { routingKey: DeliveryKeys.user(users[0]!.userId), mandatory: true },
      )
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(unroutable).toBeInstanceOf(AppError);
  });

  it('finishes closing while clients keep trying to reconnect to it', async () => {
    const gateway = await startTestGateway({ brokers, auth });
    const user = newUser();
    const token = await auth.token(user.userId, user.deviceId);
    const socket = await TestSocket.live(gateway.url, token);
    let closed = false;
    const attempts: Array<Promise<unknown>> = [];
    // Reconnect attempts land before, during and after the close (refused, 503, or closed 1012).
    const hammer = (async () => {
      while (!closed) {
        attempts.push(
          TestSocket.open(gateway.url, { token }).then(
            (s) => s.waitClosed(),
            (e: unknown) => e,
          ),
        );
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    await gateway.close();
    closed = true;
    await hammer;
    expect((await socket.waitClosed()).code).toBe(1012);
    await Promise.all(attempts);
    expect(attempts.length).toBeGreaterThan(1);
  });

  it('starts with a clean queue when restarted under the instance id of a copy that crashed', async () => {
    const instanceId = `fixed-${Date.now().toString(36)}`;
    const crashed = await startTestGateway({ brokers, auth, instanceId });
    const user = newUser();
    const socket = await TestSocket.live(crashed.url, await auth.token(user.userId, user.deviceId));
    // The copy dies without cleaning up: its broker connection goes, its queue and bindings stay.
    await crashed.broker.close();
    const restarted = await startTestGateway({ brokers, auth, instanceId });
    const probe = await brokers.connect('restart-probe');
    const error = await probe
      .publish(
        'delivery.frame.v1',
        { frame: { type: 'broadcast', text: 'x', from: 't', at: new Date().toISOString() } },
        { routingKey: DeliveryKeys.user(user.userId), mandatory: true },
      )
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect((error as AppError).code).toBe('BROKER_UNROUTABLE');
    socket.ws.terminate();
    await crashed.app.close();
    // The restarted copy still serves.
    const again = await TestSocket.live(restarted.url, await auth.token(user.userId, user.deviceId));
    await again.close();
    await restarted.close();
  });
});
