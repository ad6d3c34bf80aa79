import type { OutgoingMessage } from '@im/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { expectGaplessOnce, waitForMessages, waitForStatus } from '../src/expect.js';
import { type Device, Person } from '../src/people.js';
import type { System } from '../src/system.js';

/**
 * Issue 4's scenarios 1–4, written once and run against both the distributed
 * system (services as processes over RabbitMQ, two gateways) and the
 * standalone one (one process, in-process broker, one gateway).
 */
export function messagingScenarios(start: () => Promise<System>) {
  let system: System;
  const devices: Device[] = [];
  const gateway = (i: number) => system.gatewayUrls[i % system.gatewayUrls.length]!;
  const connect = async (device: Device, gatewayIndex: number) => {
    devices.push(device);
    await device.connect(gateway(gatewayIndex));
    return device;
  };

  beforeAll(async () => {
    system = await start();
  });
  afterAll(async () => {
    await Promise.all(devices.map((d) => d.disconnect()));
    await system?.stop();
  });

  it('1: Alice and Bob on different gateways exchange messages both ways, and statuses reach read', async () => {
    const { person: alice, device: a } = await Person.register(system, 'alice');
    const { person: bob, device: b } = await Person.register(system, 'bob');
    await connect(a, 0);
    await connect(b, 1);
    const chat = await a.directWith(bob);

    const fromAlice = await a.send(chat, 'hi Bob');
    await waitForMessages(b, chat.id, 1);
    const fromBob = await b.send(chat, 'hi Alice, got it');
    await waitForMessages(a, chat.id, 2);

    expect(await b.read(b.inConversation(chat.id)[0]!)).toBe('hi Bob');
    expect(await a.read(a.inConversation(chat.id)[1]!)).toBe('hi Alice, got it');
    await waitForStatus(a, fromAlice.clientMsgId, 'delivered');

    b.client!.markRead(chat.id, 2);
    a.client!.markRead(chat.id, 2);
    await waitForStatus(a, fromAlice.clientMsgId, 'read');
    await waitForStatus(b, fromBob.clientMsgId, 'read');
    expect(alice.userId).not.toBe(bob.userId);
  });

  it('2: Bob offline, Alice sends 500; Bob connects and gets all 500 in seq order, none twice; Alice sees them delivered', async () => {
    const { device: a } = await Person.register(system, 'alice');
    const { person: bob, device: b } = await Person.register(system, 'bob');
    // Bob's device has been online once (a known device with cursors), then went offline.
    await connect(b, 1);
    await b.disconnect();
    await connect(a, 0);
    const chat = await a.directWith(bob);

    const sent: OutgoingMessage[] = [];
    for (let i = 1; i <= 500; i++) sent.push(await a.send(chat, `message ${i}`));
    for (const message of [sent[0]!, sent[499]!]) await waitForStatus(a, message.clientMsgId, 'sent');
    await expect
      .poll(() => sent.every((m) => a.client!.status(m.clientMsgId)?.status === 'sent'), {
        timeout: 60_000,
      })
      .toBe(true);

    await connect(b, 1);
    await waitForMessages(b, chat.id, 500);
    const received = b.inConversation(chat.id);
    expectGaplessOnce(received, 500);
    expect(await b.read(received[0]!)).toBe('message 1');
    expect(await b.read(received[499]!)).toBe('message 500');
    await waitForStatus(a, sent[499]!.clientMsgId, 'delivered');
    expect(sent.every((m) => ['delivered', 'read'].includes(a.client!.status(m.clientMsgId)!.status))).toBe(
      true,
    );
  });

  it('3: a group of five across both gateways: each member gets each message once per device', async () => {
    const people = await Promise.all(
      ['ann', 'ben', 'cat', 'dan', 'eve'].map((n) => Person.register(system, n)),
    );
    for (const [i, p] of people.entries()) await connect(p.device, i);
    const [owner, ...others] = people;
    const group = await owner!.device.group(
      'five',
      others.map((p) => p.person),
    );
    expect(group.members).toHaveLength(5);

    for (const p of people) {
      await p.device.send(group, `from ${p.person.username} #1`);
      await p.device.send(group, `from ${p.person.username} #2`);
    }
    for (const p of people) {
      await waitForMessages(p.device, group.id, 10);
      expectGaplessOnce(p.device.inConversation(group.id), 10);
    }
    const texts = await Promise.all(
      people[4]!.device.inConversation(group.id).map((m) => people[4]!.device.read(m)),
    );
    expect(texts.sort()).toEqual(
      people.flatMap((p) => [`from ${p.person.username} #1`, `from ${p.person.username} #2`]).sort(),
    );
  });

  it("4: a user's two devices both receive, and each sees the user's own messages sent from the other", async () => {
    const { person: alice, device: laptop } = await Person.register(system, 'alice');
    const phone = await alice.newDevice('phone');
    const { person: bob, device: b } = await Person.register(system, 'bob');
    await connect(laptop, 0);
    await connect(phone, 1);
    await connect(b, 0);
    const chat = await b.directWith(alice);

    await b.send(chat, 'to both of your devices');
    await waitForMessages(laptop, chat.id, 1);
    await waitForMessages(phone, chat.id, 1);
    expect(await phone.read(phone.inConversation(chat.id)[0]!)).toBe('to both of your devices');

    await laptop.send(chat, 'sent from the laptop');
    await waitForMessages(phone, chat.id, 2);
    await waitForMessages(b, chat.id, 2);
    const echoed = phone.inConversation(chat.id)[1]!;
    expect(echoed.senderId).toBe(alice.userId);
    expect(echoed.senderDeviceId).toBe(laptop.deviceId);
    expect(await phone.read(echoed)).toBe('sent from the laptop');
    for (const device of [laptop, phone, b]) expectGaplessOnce(device.inConversation(chat.id), 2);
  });
}
