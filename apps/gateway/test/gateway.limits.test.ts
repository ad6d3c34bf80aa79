import { randomUUID } from 'node:crypto';
import { DeliveryKeys } from '@im/contracts';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createTestAuth,
  metricValue,
  newUser,
  opaqueEnvelope,
  startTestGateway,
  storedMessage,
  type TestAuth,
  type TestGateway,
  TestSocket,
  testBrokers,
} from './support/index.js';

const brokers = testBrokers('gw-limits');
let auth: TestAuth;
const gateways: TestGateway[] = [];

async function gatewayWith(limits: Parameters<typeof startTestGateway>[0]['limits']): Promise<TestGateway> {
  const gateway = await startTestGateway({ brokers, auth, limits });
  gateways.push(gateway);
  return gateway;
}

async function liveUser(gateway: TestGateway, user = newUser()) {
  const socket = await TestSocket.live(gateway.url, await auth.token(user.userId, user.deviceId));
  return { ...user, socket };
}

beforeAll(async () => {
  auth = await createTestAuth();
});

afterAll(async () => {
  for (const gateway of gateways) await gateway.close();
  await brokers.closeAll();
});

describe('frame and envelope size', () => {
  it('closes with 1009 on a frame over maxFrameBytes', async () => {
    const gateway = await gatewayWith({ maxFrameBytes: 8 * 1024 });
    const { socket } = await liveUser(gateway);
    socket.send({ type: 'ping', ref: 'x'.repeat(9 * 1024) });
    expect((await socket.waitClosed()).code).toBe(1009);
  });

  it('refuses an envelope over maxEnvelopeBytes with MSG_ENVELOPE_TOO_LARGE and keeps the connection', async () => {
    const gateway = await gatewayWith({ maxEnvelopeBytes: 4 * 1024 });
    const { socket, userId } = await liveUser(gateway);
    const conversationId = randomUUID();
    const envelope = opaqueEnvelope({ conversationId, senderId: userId }, 6 * 1024);
    socket.send({
      type: 'message.send',
      ref: 'big',
      clientMsgId: envelope.clientMsgId,
      conversationId,
      envelope,
    });
    expect(await socket.waitFor('error', (f) => f.ref === 'big')).toMatchObject({
      code: 'MSG_ENVELOPE_TOO_LARGE',
      clientMsgId: envelope.clientMsgId,
    });
    await socket.roundTrip('still-open');
    await socket.close();
  });
});

describe('rate limit', () => {
  it('answers frames over the token bucket with WS_RATE_LIMITED (ref echoed) and serves again once it refills', async () => {
    const gateway = await gatewayWith({ framesPerSecond: 5, frameBurst: 10, maxRateLimitedFrames: 100 });
    const { socket } = await liveUser(gateway);
    for (let i = 0; i < 20; i++) socket.send({ type: 'ping', ref: `burst-${i}` });
    await vi.waitFor(() => expect(socket.of('pong').length + socket.of('error').length).toBe(20));
    const limited = socket.of('error');
    expect(limited.length).toBeGreaterThanOrEqual(9);
    expect(limited.every((f) => f.code === 'WS_RATE_LIMITED' && f.ref?.startsWith('burst-'))).toBe(true);
    await vi.waitFor(
      async () => {
        const ref = `later-${randomUUID()}`;
        socket.send({ type: 'ping', ref });
        await socket.waitFor('pong', (f) => f.ref === ref, 300);
      },
      { timeout: 5_000, interval: 250 },
    );
    expect(metricValue(await gateway.metrics(), 'gateway_rate_limited_frames_total')).toBeGreaterThanOrEqual(
      9,
    );
    await socket.close();
  });

  it('closes a connection that keeps sending over the limit (4008)', async () => {
    const gateway = await gatewayWith({ framesPerSecond: 5, frameBurst: 10, maxRateLimitedFrames: 20 });
    const { socket } = await liveUser(gateway);
    for (let i = 0; i < 60; i++) socket.send({ type: 'ping', ref: `flood-${i}` });
    expect((await socket.waitClosed()).code).toBe(4008);
    expect(socket.of('error').at(-1)?.code).toBe('WS_RATE_LIMIT_EXCEEDED');
  });
});

describe('connections per user', () => {
  it('closes the connection over maxConnectionsPerUser with 4029, and accepts one again after a close', async () => {
    const gateway = await gatewayWith({ maxConnectionsPerUser: 2 });
    const user = newUser();
    const token = await auth.token(user.userId, user.deviceId);
    const first = await TestSocket.live(gateway.url, token);
    const second = await TestSocket.live(gateway.url, await auth.token(user.userId, randomUUID()));
    const third = await TestSocket.open(gateway.url, { token });
    expect((await third.waitClosed()).code).toBe(4029);
    expect(third.of('error')[0]?.code).toBe('WS_TOO_MANY_CONNECTIONS');
    // Another user is not affected.
    const other = await liveUser(gateway);
    await first.close();
    const fourth = await TestSocket.live(gateway.url, token);
    await Promise.all([second.close(), fourth.close(), other.socket.close()]);
  });
});

describe('heartbeat', () => {
  it('answers a ping frame with a pong frame', async () => {
    const gateway = await gatewayWith({});
    const { socket } = await liveUser(gateway);
    socket.send({ type: 'ping', ref: 'hb' });
    const pong = await socket.waitFor('pong', (f) => f.ref === 'hb');
    expect(Date.parse(pong.serverTime)).not.toBeNaN();
    await socket.close();
  });

  it('terminates a peer that stops answering pings, and keeps the one that answers', async () => {
    const gateway = await gatewayWith({ heartbeatIntervalMs: 100, heartbeatTimeoutMs: 400 });
    const alive = await liveUser(gateway);
    const deadUser = newUser();
    const dead = await TestSocket.open(gateway.url, {
      token: await auth.token(deadUser.userId, deadUser.deviceId),
      autoPong: false,
    });
    await dead.waitFor('sync.done');
    expect((await dead.waitClosed()).code).toBe(1006);
    await alive.socket.roundTrip('still-alive');
    await alive.socket.close();
  });
});

describe('send buffer', () => {
  it('closes a reader that does not keep up with 4002 instead of buffering without bound', async () => {
    const gateway = await gatewayWith({ maxSendBufferBytes: 256 * 1024 });
    const { socket, userId, deviceId } = await liveUser(gateway);
    const bystander = await liveUser(gateway);
    socket.ws.pause();
    const conversationId = randomUUID();
    let seq = 0;
    // The kernel's socket buffers take several MB first; publish until the gateway gives up on the reader.
    await vi.waitFor(
      async () => {
        const batch = Array.from({ length: 50 }, () =>
          gateway.broker.publish(
            'delivery.frame.v1',
            {
              frame: {
                type: 'message',
                message: storedMessage({
                  conversationId,
                  seq: ++seq,
                  senderId: userId,
                  ciphertextBytes: 48 * 1024,
                }),
              },
            },
            { routingKey: DeliveryKeys.device(deviceId) },
          ),
        );
        await Promise.all(batch);
        expect(metricValue(await gateway.metrics(), 'gateway_slow_consumer_closes_total')).toBe(1);
      },
      { timeout: 20_000, interval: 10 },
    );
    expect(seq).toBeLessThan(3_000);
    socket.ws.resume();
    expect((await socket.waitClosed()).code).toBe(4002);
    expect(socket.of('error').at(-1)?.code).toBe('WS_SLOW_CONSUMER');
    await bystander.socket.roundTrip('unaffected');
    await bystander.socket.close();
  });
});
