import type { Conversation } from '@im/contracts';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { sendCommand } from './support/envelopes.js';
import { type Harness, internal, type Probe, startHarness } from './support/harness.js';

/**
 * Standalone mode: the same worker over the in-process transport (no RabbitMQ),
 * through the whole message path the service owns.
 */
let h: Harness;
let events: Probe;

beforeAll(async () => {
  h = await startHarness({ transport: 'memory' });
  events = await h.probe({
    events: ['message.stored.v1', 'receipt.updated.v1', 'conversation.updated.v1'],
    delivery: ['user.*'],
  });
  await h.worker().start();
});
afterAll(() => h?.close());

describe('standalone mode (MemoryTransport)', () => {
  it('stores, announces, drains, acknowledges and reports presence without RabbitMQ', async () => {
    const [alice, bob] = [await h.user(), await h.user()];
    expect(h.broker.transport.kind).toBe('memory');
    const conversation: Conversation = (
      await alice.request({ method: 'POST', url: '/v1/conversations/direct', payload: { userId: bob.id } })
    ).json();
    await vi.waitFor(() => expect(events.of('conversation.updated.v1')).toHaveLength(1));

    // Bob's device connects (registers) before Alice writes.
    await internal(h.app, `/internal/v1/devices/${bob.deviceId}/pending?userId=${bob.id}`);
    const commands = Array.from({ length: 5 }, () =>
      sendCommand({ conversationId: conversation.id, senderId: alice.id, senderDeviceId: alice.deviceId }),
    );
    for (const command of commands) await h.broker.publish('message.send.v1', command);
    await vi.waitFor(() => expect(events.of('message.stored.v1')).toHaveLength(5));
    expect(
      events
        .of('message.stored.v1')
        .map((e) => e.data.message.seq)
        .sort(),
    ).toEqual([1, 2, 3, 4, 5]);

    const pending = (
      await internal(h.app, `/internal/v1/devices/${bob.deviceId}/pending?userId=${bob.id}`)
    ).json();
    const bySeq = [...events.of('message.stored.v1')].sort((a, b) => a.data.message.seq - b.data.message.seq);
    expect(pending.messages.map((m: { id: string }) => m.id)).toEqual(bySeq.map((e) => e.data.message.id));

    await h.broker.publish('receipt.record.v1', {
      conversationId: conversation.id,
      userId: bob.id,
      deviceId: bob.deviceId,
      kind: 'read',
      seq: 5,
    });
    const receiptsOf = (userId: string) =>
      events.of('receipt.updated.v1').filter((e) => e.data.userId === userId);
    await vi.waitFor(() => expect(receiptsOf(bob.id)).toHaveLength(1));
    expect(receiptsOf(bob.id)[0]?.data).toMatchObject({ deliveredSeq: 5, readSeq: 5 });

    await h.broker.publish('presence.changed.v1', {
      userId: bob.id,
      deviceId: bob.deviceId,
      gatewayId: 'standalone',
      status: 'online',
      at: new Date().toISOString(),
    });
    await vi.waitFor(() =>
      expect(events.of('delivery.frame.v1').map((f) => [f.routingKey, f.data.frame.type])).toEqual([
        [`user.${alice.id}`, 'presence'],
      ]),
    );
  });
});
