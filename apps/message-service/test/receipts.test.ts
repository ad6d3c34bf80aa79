import { randomUUID } from 'node:crypto';
import type { Conversation, MessagePayload } from '@im/contracts';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { storeMessages } from '../src/domain/send.js';
import type { MessageWorker } from '../src/worker.js';
import { sendCommand } from './support/envelopes.js';
import { type Harness, internal, type Probe, startHarness, type TestUser } from './support/harness.js';

let h: Harness;
let events: Probe;
let worker: MessageWorker | undefined;

beforeAll(async () => {
  h = await startHarness();
  events = await h.probe({ events: ['receipt.updated.v1'] });
});
afterAll(() => h?.close());

type Receipt = MessagePayload<'receipt.record.v1'>;

async function direct(a: TestUser, b: TestUser): Promise<Conversation> {
  return (
    await a.request({ method: 'POST', url: '/v1/conversations/direct', payload: { userId: b.id } })
  ).json();
}

async function send(conversationId: string, senderId: string, count: number): Promise<void> {
  const commands = Array.from({ length: count }, () => sendCommand({ conversationId, senderId }));
  await storeMessages(h.store, commands, { maxEnvelopeBytes: 65_536 });
}

/** Registers the device (as the gateway's first drain on connect does). */
async function connect(user: TestUser): Promise<void> {
  expect(
    (await internal(h.app, `/internal/v1/devices/${user.deviceId}/pending?userId=${user.id}`)).statusCode,
  ).toBe(200);
}

async function publish(receipts: Receipt[]): Promise<void> {
  for (const receipt of receipts) await h.broker.publish('receipt.record.v1', receipt);
}

async function startWorker(): Promise<void> {
  worker = h.worker({ components: ['commands', 'relay'] });
  await worker.start();
}

const updates = (conversationId: string, userId: string) =>
  events
    .of('receipt.updated.v1')
    .filter((e) => e.data.conversationId === conversationId && e.data.userId === userId);

async function memberOf(conversationId: string, userId: string) {
  return h.store.repos.members.find(conversationId, userId);
}

describe('receipts (receipt.record.v1 → device and member cursors → receipt.updated.v1)', () => {
  it('coalesces a burst of acks into a few cursor writes and announces the final cursors', async () => {
    const [alice, bob] = [await h.user(), await h.user()];
    await connect(bob);
    const conversation = await direct(alice, bob);
    await send(conversation.id, alice.id, 60);
    const ack = (kind: Receipt['kind'], seq: number): Receipt => ({
      conversationId: conversation.id,
      userId: bob.id,
      deviceId: bob.deviceId,
      kind,
      seq,
    });
    // Queued before the consumer starts, as after an outage: one ack per message, then reads.
    await publish([...Array.from({ length: 60 }, (_, i) => ack('delivered', i + 1)), ack('read', 40)]);
    await startWorker();

    await vi.waitFor(() =>
      expect(updates(conversation.id, bob.id).at(-1)?.data).toMatchObject({ deliveredSeq: 60, readSeq: 40 }),
    );
    expect(updates(conversation.id, bob.id).length).toBeLessThan(10);
    expect(new Set(updates(conversation.id, bob.id).at(-1)?.data.memberIds)).toEqual(
      new Set([alice.id, bob.id]),
    );
    expect(await h.store.repos.devices.cursors(bob.deviceId)).toEqual([
      { conversationId: conversation.id, ackedSeq: 60 },
    ]);

    // What the sender sees: Bob's cursors on the conversation.
    const view = (await alice.request({ method: 'GET', url: `/v1/conversations/${conversation.id}` })).json();
    expect(view.members.find((m: { userId: string }) => m.userId === bob.id)).toMatchObject({
      deliveredSeq: 60,
      readSeq: 40,
    });
    await worker?.stop();
  });

  it('never moves a cursor back or past the last seq; read implies delivered', async () => {
    await startWorker();
    const [alice, bob] = [await h.user(), await h.user()];
    await connect(bob);
    const conversation = await direct(alice, bob);
    await send(conversation.id, alice.id, 5);
    const base = { conversationId: conversation.id, userId: bob.id, deviceId: bob.deviceId };

    await publish([{ ...base, kind: 'read', seq: 3 }]);
    await vi.waitFor(() => expect(updates(conversation.id, bob.id)).toHaveLength(1));
    expect(updates(conversation.id, bob.id)[0]?.data).toMatchObject({ deliveredSeq: 3, readSeq: 3 });

    await publish([{ ...base, kind: 'delivered', seq: 999 }]);
    await vi.waitFor(() => expect(updates(conversation.id, bob.id)).toHaveLength(2));
    expect(updates(conversation.id, bob.id)[1]?.data).toMatchObject({ deliveredSeq: 5, readSeq: 3 });

    // Stale receipts change nothing and announce nothing; a later real one shows they were processed first.
    await publish([
      { ...base, kind: 'delivered', seq: 2 },
      { ...base, kind: 'read', seq: 1 },
    ]);
    await send(conversation.id, alice.id, 1);
    await publish([{ ...base, kind: 'read', seq: 6 }]);
    await vi.waitFor(() => expect(updates(conversation.id, bob.id)).toHaveLength(3));
    expect(updates(conversation.id, bob.id)[2]?.data).toMatchObject({ deliveredSeq: 6, readSeq: 6 });
    expect(await memberOf(conversation.id, bob.id)).toMatchObject({ deliveredSeq: 6, readSeq: 6 });
    expect(await h.store.repos.devices.cursors(bob.deviceId)).toEqual([
      { conversationId: conversation.id, ackedSeq: 5 },
    ]);
    await worker?.stop();
  });

  it("ignores a non-member's receipts, and an unknown device's ack moves only the member cursor", async () => {
    await startWorker();
    const [alice, bob, mallory] = [await h.user(), await h.user(), await h.user()];
    const conversation = await direct(alice, bob);
    await send(conversation.id, alice.id, 4);

    await publish([
      {
        conversationId: conversation.id,
        userId: mallory.id,
        deviceId: mallory.deviceId,
        kind: 'read',
        seq: 4,
      },
      // Bob's device never synced: its cursors are made on its first drain, not by an ack.
      { conversationId: conversation.id, userId: bob.id, deviceId: randomUUID(), kind: 'delivered', seq: 2 },
    ]);
    await vi.waitFor(() => expect(updates(conversation.id, bob.id)).toHaveLength(1));
    expect(updates(conversation.id, mallory.id)).toEqual([]);
    expect(await memberOf(conversation.id, mallory.id)).toBeNull();
    expect(await memberOf(conversation.id, bob.id)).toMatchObject({ deliveredSeq: 2, readSeq: 0 });
    await worker?.stop();
  });
});
