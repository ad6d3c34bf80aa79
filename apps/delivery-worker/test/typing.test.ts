import { DeliveryKeys } from '@im/contracts';
import type { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startWorld, type World } from './world.js';

let world: World;
let registries: Registry[];

beforeAll(async () => {
  world = await startWorld('dw-typing');
  // Two copies compete for the typing queue; each has its own members cache.
  registries = [(await world.worker()).metrics, (await world.worker()).metrics];
  await world.relay();
});

afterAll(async () => {
  await world?.close();
});

async function counter(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get();
  const value = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return value?.value ?? 0;
}

async function droppedAsNonMember(): Promise<number> {
  let total = 0;
  for (const registry of registries) {
    const metric = await registry.getSingleMetric('delivery_worker_typing_dropped_total')?.get();
    total += metric?.values.find((v) => v.labels.reason === 'not_member')?.value ?? 0;
  }
  return total;
}

describe('typing.indicated.v1', () => {
  it('reaches the other members only, drops a non-member, and follows a membership change on every copy at once', async () => {
    const alice = world.member();
    const bob = world.member();
    const carol = world.member();
    const created = await alice.call('POST', '/v1/conversations/groups', {
      title: 'team',
      memberIds: [bob.userId],
    });
    expect(created.status).toBe(201);
    const conversationId = (created.body as { id: string }).id;
    const probe = await world.probe([alice, bob, carol].map((m) => DeliveryKeys.user(m.userId)));
    const typing = (who: { userId: string; deviceId: string }, state: 'start' | 'stop' = 'start') =>
      world.broker.publish('typing.indicated.v1', {
        conversationId,
        userId: who.userId,
        deviceId: who.deviceId,
        state,
      });

    // Members: alice's typing goes to bob (not back to alice, not to carol). Both copies load the member list.
    for (let i = 0; i < 10; i++) await typing(alice);
    // (Bob may also get the group's `conversation.updated`: the relay publishes it when it gets to it.)
    const typingTo = (member: { userId: string }) =>
      probe.to(DeliveryKeys.user(member.userId)).filter((f) => f.type === 'typing');
    await vi.waitFor(() => expect(typingTo(bob)).toHaveLength(10));
    expect(typingTo(bob)[0]).toEqual({
      type: 'typing',
      conversationId,
      userId: alice.userId,
      state: 'start',
    });

    // A non-member's typing is dropped by whichever copy takes it.
    for (let i = 0; i < 10; i++) await typing(carol);
    await vi.waitFor(async () => expect(await droppedAsNonMember()).toBe(10));

    // Carol joins: every copy forgets its cached list at once, not after the cache TTL.
    expect(
      (await alice.call('POST', `/v1/conversations/${conversationId}/members`, { userIds: [carol.userId] }))
        .status,
    ).toBeLessThan(300);
    await vi.waitFor(() =>
      expect(probe.to(DeliveryKeys.user(carol.userId)).some((f) => f.type === 'conversation.updated')).toBe(
        true,
      ),
    );
    for (const registry of registries) {
      await vi.waitFor(async () =>
        expect(await counter(registry, 'delivery_worker_members_cache_invalidations_total')).toBeGreaterThan(
          0,
        ),
      );
    }
    for (let i = 0; i < 10; i++) await typing(carol, 'stop');
    await vi.waitFor(() =>
      expect(
        probe
          .to(DeliveryKeys.user(bob.userId))
          .filter((f) => f.type === 'typing' && f.userId === carol.userId),
      ).toHaveLength(10),
    );
    expect(await droppedAsNonMember()).toBe(10);
    expect(
      probe
        .to(DeliveryKeys.user(alice.userId))
        .filter((f) => f.type === 'typing' && f.userId === alice.userId),
    ).toEqual([]);
  });
});
