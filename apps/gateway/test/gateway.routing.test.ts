import { randomUUID } from 'node:crypto';
import type { Broker } from '@im/broker';
import { AppError, DeliveryKeys, Queues, type ServerFrame } from '@im/contracts';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createTestAuth,
  generateIdentity,
  newUser,
  type Recorded,
  recordQueue,
  sealedEnvelope,
  startTestGateway,
  type TestAuth,
  type TestGateway,
  TestSocket,
  testBrokers,
} from './support/index.js';

const brokers = testBrokers('gw-routing');
let auth: TestAuth;
let gateway: TestGateway;
/** The test's own connection: publishes as the delivery worker would, and reads what the gateway published. */
let broker: Broker;
let commands: { messages: Recorded[]; stop(): Promise<void> };
let typing: { messages: Recorded[]; stop(): Promise<void> };
let presence: { messages: Recorded[]; stop(): Promise<void> };

beforeAll(async () => {
  auth = await createTestAuth();
  broker = await brokers.connect('routing-test');
  await broker.declareTopology();
  commands = await recordQueue(broker, Queues.messageCommands);
  typing = await recordQueue(broker, Queues.deliveryEphemeral);
  presence = await recordQueue(broker, Queues.messageEvents);
  gateway = await startTestGateway({ brokers, auth, limits: { typingThrottleMs: 60_000 } });
});

afterAll(async () => {
  await gateway?.close();
  await Promise.all([commands?.stop(), typing?.stop(), presence?.stop()]);
  await brokers.closeAll();
});

async function connect(user: { userId: string; deviceId: string }): Promise<TestSocket> {
  return TestSocket.live(gateway.url, await auth.token(user.userId, user.deviceId));
}

function frameTo(routingKey: string, frame: ServerFrame, exceptDeviceId?: string) {
  return broker.publish(
    'delivery.frame.v1',
    { frame, ...(exceptDeviceId ? { exceptDeviceId } : {}) },
    { routingKey, mandatory: true },
  );
}

const notice = (text: string): ServerFrame => ({
  type: 'broadcast',
  text,
  from: 'test',
  at: new Date().toISOString(),
});

/** Resolves once a mandatory publish to `key` is refused as unroutable: nobody has it bound. */
async function expectUnroutable(key: string): Promise<void> {
  await vi.waitFor(async () => {
    const error = await frameTo(key, notice('probe')).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('BROKER_UNROUTABLE');
  });
}

describe('bindings follow connections', () => {
  it('binds user.<id> and device.<id> while a device is connected and unbinds after its last socket closes', async () => {
    const user = newUser();
    await expectUnroutable(DeliveryKeys.user(user.userId));
    const first = await connect(user);
    const second = await connect(user);
    await frameTo(DeliveryKeys.user(user.userId), notice('to-user'));
    await frameTo(DeliveryKeys.device(user.deviceId), notice('to-device'));
    for (const socket of [first, second]) {
      await socket.waitFor('broadcast', (f) => f.text === 'to-user');
      await socket.waitFor('broadcast', (f) => f.text === 'to-device');
    }
    await first.close();
    // The other socket of the device still needs both keys.
    await frameTo(DeliveryKeys.user(user.userId), notice('still-bound'));
    await second.waitFor('broadcast', (f) => f.text === 'still-bound');
    await second.close();
    await expectUnroutable(DeliveryKeys.user(user.userId));
    await expectUnroutable(DeliveryKeys.device(user.deviceId));
  });

  it('routes user.<id> to every device of the user but exceptDeviceId, device.<id> to that device, broadcast.all to all', async () => {
    const userId = randomUUID();
    const phone = { userId, deviceId: randomUUID() };
    const laptop = { userId, deviceId: randomUUID() };
    const stranger = newUser();
    const [phoneSocket, laptopSocket, strangerSocket] = await Promise.all([
      connect(phone),
      connect(laptop),
      connect(stranger),
    ]);

    await frameTo(DeliveryKeys.user(userId), notice('not-the-phone'), phone.deviceId);
    await frameTo(DeliveryKeys.device(phone.deviceId), notice('only-the-phone'));
    await frameTo(DeliveryKeys.broadcast, notice('everyone'));

    for (const socket of [phoneSocket, laptopSocket, strangerSocket]) {
      await socket.waitFor('broadcast', (f) => f.text === 'everyone');
    }
    await laptopSocket.waitFor('broadcast', (f) => f.text === 'not-the-phone');
    await phoneSocket.waitFor('broadcast', (f) => f.text === 'only-the-phone');
    // The broadcast came after the targeted frames on one queue, so anything misrouted would be here by now.
    const texts = (s: TestSocket) => s.of('broadcast').map((f) => f.text);
    expect(texts(phoneSocket)).toEqual(['only-the-phone', 'everyone']);
    expect(texts(laptopSocket)).toEqual(['not-the-phone', 'everyone']);
    expect(texts(strangerSocket)).toEqual(['everyone']);
    await Promise.all([phoneSocket.close(), laptopSocket.close(), strangerSocket.close()]);
  });
});

describe('commands from clients', () => {
  it('publishes message.send.v1 with the sender taken from the token, and refuses an envelope that names someone else', async () => {
    const user = newUser();
    const socket = await connect(user);
    const conversationId = randomUUID();
    const alice = await generateIdentity(user.userId);
    const bob = await generateIdentity(randomUUID());
    const envelope = await sealedEnvelope({
      conversationId,
      sender: alice,
      recipients: [bob],
      text: 'hello',
    });
    socket.send({
      type: 'message.send',
      ref: 's1',
      clientMsgId: envelope.clientMsgId,
      conversationId,
      envelope,
    });

    await vi.waitFor(() =>
      expect(
        commands.messages.find(
          (m) =>
            m.name === 'message.send.v1' &&
            (m.data as { clientMsgId: string }).clientMsgId === envelope.clientMsgId,
        ),
      ).toBeDefined(),
    );
    const command = commands.messages.find(
      (m) => (m.data as { clientMsgId?: string }).clientMsgId === envelope.clientMsgId,
    )!;
    expect(command.data).toMatchObject({
      clientMsgId: envelope.clientMsgId,
      conversationId,
      senderId: user.userId,
      senderDeviceId: user.deviceId,
      envelope,
    });

    const forged = await sealedEnvelope({ conversationId, sender: bob, recipients: [alice], text: 'forged' });
    socket.send({
      type: 'message.send',
      ref: 's2',
      clientMsgId: forged.clientMsgId,
      conversationId,
      envelope: forged,
    });
    expect(await socket.waitFor('error', (f) => f.ref === 's2')).toMatchObject({
      code: 'WS_BAD_FRAME',
      clientMsgId: forged.clientMsgId,
    });
    await socket.roundTrip('after');
    expect(
      commands.messages.some((m) => (m.data as { clientMsgId?: string }).clientMsgId === forged.clientMsgId),
    ).toBe(false);
    await socket.close();
  });

  it('turns ack into a delivered receipt and read into a read receipt for this device', async () => {
    const user = newUser();
    const socket = await connect(user);
    const conversationId = randomUUID();
    socket.send({ type: 'ack', conversationId, seq: 41 });
    socket.send({ type: 'read', conversationId, seq: 40 });
    await vi.waitFor(() =>
      expect(
        commands.messages
          .filter(
            (m) =>
              m.name === 'receipt.record.v1' &&
              (m.data as { conversationId: string }).conversationId === conversationId,
          )
          .map((m) => m.data),
      ).toEqual([
        { conversationId, userId: user.userId, deviceId: user.deviceId, kind: 'delivered', seq: 41 },
        { conversationId, userId: user.userId, deviceId: user.deviceId, kind: 'read', seq: 40 },
      ]),
    );
    await socket.close();
  });

  it('forwards typing once per throttle window per conversation (a stop always after a start)', async () => {
    const user = newUser();
    const socket = await connect(user);
    const conversationId = randomUUID();
    const otherConversation = randomUUID();
    for (let i = 0; i < 5; i++) socket.send({ type: 'typing', conversationId, state: 'start' });
    socket.send({ type: 'typing', conversationId: otherConversation, state: 'start' });
    socket.send({ type: 'typing', conversationId, state: 'stop' });
    socket.send({ type: 'typing', conversationId, state: 'stop' });
    await socket.roundTrip('typed');
    const mine = () =>
      typing.messages.filter((m) => (m.data as { userId: string }).userId === user.userId).map((m) => m.data);
    await vi.waitFor(() => expect(mine()).toHaveLength(3));
    expect(mine()).toEqual([
      { conversationId, userId: user.userId, deviceId: user.deviceId, state: 'start' },
      { conversationId: otherConversation, userId: user.userId, deviceId: user.deviceId, state: 'start' },
      { conversationId, userId: user.userId, deviceId: user.deviceId, state: 'stop' },
    ]);
    await socket.close();
  });
});

describe('presence', () => {
  it('announces a device online on its first socket and offline after its last', async () => {
    const user = newUser();
    const of = () =>
      presence.messages
        .filter((m) => (m.data as { deviceId: string }).deviceId === user.deviceId)
        .map((m) => m.data as { status: string; gatewayId: string });
    const first = await connect(user);
    const second = await connect(user);
    await vi.waitFor(() => expect(of()).toHaveLength(1));
    expect(of()[0]).toMatchObject({ status: 'online', gatewayId: gateway.instanceId });
    await first.close();
    await second.close();
    await vi.waitFor(() => expect(of().map((p) => p.status)).toEqual(['online', 'offline']));
  });
});
