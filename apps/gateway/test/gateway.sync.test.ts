import { randomUUID } from 'node:crypto';
import type { Broker } from '@im/broker';
import { DeliveryKeys, type StoredMessage } from '@im/contracts';
import { amqpTarget, amqpUrlVia, startTcpProxy } from '@im/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createTestAuth,
  newUser,
  ScriptedPending,
  startTestGateway,
  storedMessage,
  type TestAuth,
  type TestGateway,
  TestSocket,
  testBrokers,
  unreachable,
} from './support/index.js';

const brokers = testBrokers('gw-sync');
let auth: TestAuth;
let broker: Broker;
const gateways: TestGateway[] = [];

beforeAll(async () => {
  auth = await createTestAuth();
  broker = await brokers.connect('sync-test');
  await broker.declareTopology();
});

afterAll(async () => {
  for (const gateway of gateways) await gateway.close();
  await brokers.closeAll();
});

async function gatewayWith(options: Omit<Parameters<typeof startTestGateway>[0], 'brokers' | 'auth'>) {
  const gateway = await startTestGateway({ brokers, auth, ...options });
  gateways.push(gateway);
  return gateway;
}

function conversationLog(
  conversationId: string,
  from: number,
  to: number,
  senderId = randomUUID(),
): StoredMessage[] {
  return Array.from({ length: to - from + 1 }, (_, i) =>
    storedMessage({ conversationId, seq: from + i, senderId }),
  );
}

function live(deviceId: string, message: StoredMessage) {
  return broker.publish(
    'delivery.frame.v1',
    { frame: { type: 'message', message } },
    { routingKey: DeliveryKeys.device(deviceId) },
  );
}

/** The (conversation, seq) of every message frame, in arrival order. */
function received(socket: TestSocket): string[] {
  return socket.of('message').map((f) => `${f.message.conversationId.slice(0, 4)}:${f.message.seq}`);
}

describe('drain, then live', () => {
  it('streams the offline queue in order, holds live messages back until sync.done, and skips those already drained', async () => {
    const user = newUser();
    const a = randomUUID();
    const b = randomUUID();
    const [first, second] = [a, b].sort();
    const pendingA = conversationLog(first!, 1, 250);
    const pendingB = conversationLog(second!, 1, 120);
    const pending = new ScriptedPending([...pendingA, ...pendingB]);
    pending.holdPage(2);
    const gateway = await gatewayWith({ messageService: pending, limits: { drainPageSize: 100 } });

    const socket = await TestSocket.open(gateway.url, {
      token: await auth.token(user.userId, user.deviceId),
    });
    await vi.waitFor(() => expect(pending.pagesRequested).toBe(3));
    // While page 2 is held: live copies of drained and not-yet-drained messages, new ones, and a receipt.
    await live(user.deviceId, pendingA[9]!);
    await live(user.deviceId, pendingB[50]!);
    const newA = storedMessage({ conversationId: first!, seq: 251, senderId: user.userId });
    const newB = storedMessage({ conversationId: second!, seq: 121, senderId: user.userId });
    await live(user.deviceId, newA);
    await live(user.deviceId, newB);
    await broker.publish(
      'delivery.frame.v1',
      {
        frame: { type: 'receipt', conversationId: first!, userId: randomUUID(), deliveredSeq: 3, readSeq: 2 },
      },
      { routingKey: DeliveryKeys.device(user.deviceId) },
    );
    // Not a message: passes through mid-drain; it also proves the frames before it reached the connection.
    await socket.waitFor('receipt');
    expect(socket.of('sync.done')).toEqual([]);
    pending.release();

    const done = await socket.waitFor('sync.done');
    expect(done.delivered).toBe(370);
    await vi.waitFor(() => expect(socket.of('message')).toHaveLength(372));
    await socket.roundTrip('settled');

    const types = socket.frames.map((f) => f.type);
    expect(types[0]).toBe('ready');
    const doneAt = types.indexOf('sync.done');
    expect(types.slice(doneAt + 1).filter((t) => t === 'message')).toHaveLength(2);
    const expected = [
      ...pendingA.map((m) => `${first!.slice(0, 4)}:${m.seq}`),
      ...pendingB.map((m) => `${second!.slice(0, 4)}:${m.seq}`),
      `${first!.slice(0, 4)}:251`,
      `${second!.slice(0, 4)}:121`,
    ];
    expect(received(socket)).toEqual(expected);
    await socket.close();
  });

  it('says resync in ready when the device cannot be caught up from its cursors', async () => {
    const gateway = await gatewayWith({ messageService: new ScriptedPending([], 'new_device') });
    const user = newUser();
    const socket = await TestSocket.open(gateway.url, {
      token: await auth.token(user.userId, user.deviceId),
    });
    expect((await socket.waitFor('ready')).resync).toEqual({ reason: 'new_device' });
    await socket.waitFor('sync.done');
    await socket.close();
  });

  it('drains once more instead of growing memory when too many live messages arrive during a drain', async () => {
    const user = newUser();
    const conversationId = randomUUID();
    const stored = conversationLog(conversationId, 1, 150);
    const pending = new ScriptedPending([...stored]);
    pending.holdPage(1);
    const gateway = await gatewayWith({
      messageService: pending,
      limits: { drainPageSize: 100, maxBufferedLiveFrames: 5 },
    });
    const socket = await TestSocket.open(gateway.url, {
      token: await auth.token(user.userId, user.deviceId),
    });
    await vi.waitFor(() => expect(pending.pagesRequested).toBe(2));
    const more = conversationLog(conversationId, 151, 170);
    pending.append(...more); // stored in the database, then delivered live
    for (const message of more) await live(user.deviceId, message);
    await broker.publish(
      'delivery.frame.v1',
      { frame: { type: 'typing', conversationId, userId: randomUUID(), state: 'start' } },
      { routingKey: DeliveryKeys.device(user.deviceId) },
    );
    await socket.waitFor('typing');
    pending.release();
    await socket.waitFor('sync.done');
    await vi.waitFor(() => expect(socket.of('message')).toHaveLength(170));
    await socket.roundTrip('settled');
    expect(socket.of('message').map((f) => f.message.seq)).toEqual(
      Array.from({ length: 170 }, (_, i) => i + 1),
    );
    // The second pass started from the beginning of the queue again.
    expect(pending.requests.filter((r) => r.pageToken === undefined)).toHaveLength(2);
    await socket.close();
  });

  it('re-sends everything pending on a sync frame and answers with sync.done carrying its ref', async () => {
    const user = newUser();
    const conversationId = randomUUID();
    const pending = new ScriptedPending(conversationLog(conversationId, 1, 3));
    const gateway = await gatewayWith({ messageService: pending });
    const socket = await TestSocket.live(gateway.url, await auth.token(user.userId, user.deviceId));
    expect(socket.of('message')).toHaveLength(3);
    socket.send({ type: 'sync', ref: 'again' });
    expect(await socket.waitFor('sync.done', (f) => f.ref === 'again')).toMatchObject({ delivered: 3 });
    expect(socket.of('message').map((f) => f.message.seq)).toEqual([1, 2, 3, 1, 2, 3]);
    await socket.close();
  });

  it('drains every connection again once its broker connection is back (live frames sent meanwhile were lost)', async () => {
    const proxy = await startTcpProxy({ target: amqpTarget() });
    try {
      const user = newUser();
      const conversationId = randomUUID();
      const log = conversationLog(conversationId, 1, 4);
      const pending = new ScriptedPending(log.slice(0, 2));
      const gateway = await gatewayWith({
        messageService: pending,
        amqpUrl: amqpUrlVia(proxy.host, proxy.port),
        resyncSpreadMs: 50,
      });
      const socket = await TestSocket.live(gateway.url, await auth.token(user.userId, user.deviceId));
      expect(socket.of('message').map((f) => f.message.seq)).toEqual([1, 2]);
      // Messages 3 and 4 are stored while the gateway is cut off from the broker: their live copies never reach it.
      proxy.cutAll();
      pending.append(log[2]!, log[3]!);
      await vi.waitFor(() => expect(socket.of('sync.done')).toHaveLength(2), { timeout: 20_000 });
      expect(socket.of('message').map((f) => f.message.seq)).toEqual([1, 2, 1, 2, 3, 4]);
      await socket.close();
      // Closed while its broker is still reachable through the proxy.
      await gateway.close();
    } finally {
      await proxy.close();
    }
  });

  it('closes with 4013 when the offline queue cannot be read', async () => {
    const gateway = await gatewayWith({ messageService: unreachable });
    const user = newUser();
    const socket = await TestSocket.open(gateway.url, {
      token: await auth.token(user.userId, user.deviceId),
    });
    expect((await socket.waitClosed()).code).toBe(4013);
    expect(socket.of('error')[0]?.code).toBe('WS_UPSTREAM_UNAVAILABLE');
    expect(socket.of('ready')).toEqual([]);
  });
});
