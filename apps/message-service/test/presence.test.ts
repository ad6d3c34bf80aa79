import { randomUUID } from 'node:crypto';
import { DeliveryKeys, type MessagePayload } from '@im/contracts';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { MessageWorker } from '../src/worker.js';
import { type Harness, type Probe, startHarness, type TestUser } from './support/harness.js';

let h: Harness;
let frames: Probe;

beforeAll(async () => {
  h = await startHarness();
  frames = await h.probe({ delivery: ['user.*'] });
});
afterAll(() => h?.close());

type Presence = MessagePayload<'presence.changed.v1'>;
let clock = Date.now();
const tick = () => new Date(++clock).toISOString();

function presenceEvent(
  user: TestUser,
  status: Presence['status'],
  gatewayId = 'gw-a',
  deviceId = user.deviceId,
): Presence {
  return { userId: user.id, deviceId, gatewayId, status, at: tick() };
}

/** Presence frames delivered to `to` about `about`. */
function framesAbout(to: TestUser, about: TestUser) {
  return frames
    .of('delivery.frame.v1')
    .filter((f) => f.routingKey === DeliveryKeys.user(to.id))
    .map((f) => f.data.frame)
    .filter((frame) => frame.type === 'presence' && frame.userId === about.id);
}

async function share(a: TestUser, b: TestUser): Promise<void> {
  const res = await a.request({ method: 'POST', url: '/v1/conversations/direct', payload: { userId: b.id } });
  expect(res.statusCode).toBe(201);
}

async function presenceSeenBy(viewer: TestUser, ...users: TestUser[]) {
  const res = await viewer.request({
    method: 'GET',
    url: `/v1/presence?userIds=${users.map((u) => u.id).join(',')}`,
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().presence as Array<{ userId: string; status: string; lastSeenAt: string | null }>;
}

describe('presence', () => {
  describe('from gateway events', () => {
    let worker: MessageWorker;
    beforeAll(async () => {
      worker = h.worker({ components: ['presence'] });
      await worker.start();
    });
    // The expiry test below runs its own worker with a short expiry.
    afterAll(() => worker.stop());

    it('tells contacts, and only contacts, when a user comes online and goes offline', async () => {
      const [alice, bob, carol] = [await h.user(), await h.user(), await h.user()];
      await share(alice, bob);
      await share(bob, carol);

      await h.broker.publish('presence.changed.v1', presenceEvent(alice, 'online'));
      await vi.waitFor(() => expect(framesAbout(bob, alice)).toHaveLength(1));
      expect(framesAbout(bob, alice)[0]).toMatchObject({ status: 'online' });
      expect(await presenceSeenBy(bob, alice, carol)).toEqual([
        { userId: alice.id, status: 'online', lastSeenAt: expect.any(String) },
        { userId: carol.id, status: 'offline', lastSeenAt: null },
      ]);
      // Carol shares nothing with Alice: she is told nothing and may not ask.
      expect(await presenceSeenBy(carol, alice)).toEqual([]);

      await h.broker.publish('presence.changed.v1', presenceEvent(alice, 'offline'));
      await vi.waitFor(() => expect(framesAbout(bob, alice)).toHaveLength(2));
      expect(framesAbout(bob, alice)[1]).toMatchObject({ status: 'offline', lastSeenAt: expect.any(String) });
      expect(framesAbout(carol, alice)).toEqual([]);
      expect((await presenceSeenBy(bob, alice))[0]).toMatchObject({
        status: 'offline',
        lastSeenAt: expect.any(String),
      });
    });

    it("keeps a user online while any device is, and ignores an old gateway's offline after a move", async () => {
      const [alice, bob] = [await h.user(), await h.user()];
      await share(alice, bob);
      const phone = randomUUID();

      await h.broker.publish('presence.changed.v1', presenceEvent(alice, 'online', 'gw-a'));
      await h.broker.publish('presence.changed.v1', presenceEvent(alice, 'online', 'gw-b', phone));
      await vi.waitFor(() => expect(framesAbout(bob, alice)).toHaveLength(1));
      // The laptop reconnects to gateway B; gateway A reports its old socket closed afterwards.
      await h.broker.publish('presence.changed.v1', presenceEvent(alice, 'online', 'gw-b'));
      await h.broker.publish('presence.changed.v1', presenceEvent(alice, 'offline', 'gw-a'));
      await h.broker.publish('presence.changed.v1', presenceEvent(alice, 'offline', 'gw-b', phone));
      // The laptop is still on B: Alice stays online until it leaves too.
      await h.broker.publish('presence.changed.v1', presenceEvent(alice, 'offline', 'gw-b'));
      // Events are applied in order: once Dave's frame is there, everything about Alice is too.
      const dave = await h.user();
      await share(dave, bob);
      await h.broker.publish('presence.changed.v1', presenceEvent(dave, 'online'));
      await vi.waitFor(() => expect(framesAbout(bob, dave)).toHaveLength(1));
      expect(framesAbout(bob, alice).map((f) => f.type === 'presence' && f.status)).toEqual([
        'online',
        'offline',
      ]);
    });
  });

  it('expires devices whose gateway stopped refreshing them (a killed gateway)', async () => {
    const worker = h.worker({
      components: ['presence', 'sweeps'],
      presenceExpiryMs: 400,
      presenceSweepMs: 100,
    });
    await worker.start();
    const [alice, bob] = [await h.user(), await h.user()];
    await share(alice, bob);
    await h.broker.publish('presence.changed.v1', presenceEvent(alice, 'online', 'gw-dead'));
    await vi.waitFor(() =>
      expect(framesAbout(bob, alice).map((f) => f.type === 'presence' && f.status)).toEqual(['online']),
    );
    await vi.waitFor(
      () =>
        expect(framesAbout(bob, alice).map((f) => f.type === 'presence' && f.status)).toEqual([
          'online',
          'offline',
        ]),
      { timeout: 5_000 },
    );
    await worker.stop();
  });
});
