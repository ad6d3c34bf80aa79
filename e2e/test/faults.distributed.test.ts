import type { OutgoingMessage } from '@im/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectGaplessOnce, waitForMessages } from '../src/expect.js';
import { type Device, Person } from '../src/people.js';
import { type DistributedSystem, startDistributed } from '../src/system.js';

/** Issue 4's fault scenarios 5 and 6: processes die mid-stream; nothing is lost, nothing shown twice. */
describe('faults, distributed', () => {
  let system: DistributedSystem;
  const devices: Device[] = [];

  beforeAll(async () => {
    system = await startDistributed('faults');
  });
  afterAll(async () => {
    await Promise.all(devices.map((d) => d.disconnect()));
    await system?.stop();
  });

  async function pair() {
    const alice = await Person.register(system, 'alice');
    const bob = await Person.register(system, 'bob');
    devices.push(alice.device, bob.device);
    return { alice, bob };
  }

  it('5: gateway A is SIGKILLed while messages flow to its clients; they reconnect to B and end with every message exactly once', async () => {
    const { alice, bob } = await pair();
    await alice.device.connect(system.gatewayUrls[1]!);
    await bob.device.connect(system.gatewayUrls[0]!);
    const chat = await alice.device.directWith(bob.person);

    const total = 200;
    const sent: OutgoingMessage[] = [];
    for (let i = 1; i <= total; i++) {
      sent.push(await alice.device.send(chat, `flowing ${i}`));
      if (i === 60) {
        await waitForMessages(bob.device, chat.id, 20);
        await system.kill('gateway-a', 'SIGKILL');
      }
    }
    // Bob's client lost its gateway; like behind a load balancer, it comes back through the other one,
    // carrying what it holds (its cursors) so the drain gives it only what it misses.
    await bob.device.connect(system.gatewayUrls[1]!);
    await waitForMessages(bob.device, chat.id, total, 90_000);
    expectGaplessOnce(bob.device.inConversation(chat.id), total);
    expect(await bob.device.read(bob.device.inConversation(chat.id).at(-1)!)).toBe(`flowing ${total}`);
    await system.restart('gateway-a');
  });

  it('6: the message service and the delivery worker are each killed and restarted mid-stream: nothing lost, nothing twice', async () => {
    const { alice, bob } = await pair();
    await alice.device.connect(system.gatewayUrls[0]!);
    await bob.device.connect(system.gatewayUrls[1]!);
    const chat = await alice.device.directWith(bob.person);

    const total = 240;
    const sent: OutgoingMessage[] = [];
    for (let i = 1; i <= total; i++) {
      sent.push(await alice.device.send(chat, `through faults ${i}`));
      if (i === 80) {
        await system.kill('messages', 'SIGKILL');
        await system.restart('messages');
      }
      if (i === 160) {
        await system.kill('delivery', 'SIGKILL');
        await system.restart('delivery');
      }
    }
    await waitForMessages(bob.device, chat.id, total, 120_000);
    expectGaplessOnce(bob.device.inConversation(chat.id), total);
    await expect
      .poll(
        () => sent.filter((m) => alice.device.client!.status(m.clientMsgId)?.status === 'pending').length,
        {
          timeout: 60_000,
        },
      )
      .toBe(0);
    // Every message stored once: the seqs of Alice's messages are exactly 1..total.
    const seqs = sent.map((m) => alice.device.client!.status(m.clientMsgId)!.seq).sort((x, y) => x! - y!);
    expect(seqs).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  });
});
