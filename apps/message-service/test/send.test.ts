import { randomUUID } from 'node:crypto';
import type { Conversation, MessagePayload } from '@im/contracts';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { storeMessages } from '../src/domain/send.js';
import type { MessageStore } from '../src/repositories/store.js';
import { sendCommand } from './support/envelopes.js';
import { type Harness, type Probe, startHarness, type TestUser } from './support/harness.js';

let h: Harness;
let events: Probe;

beforeAll(async () => {
  h = await startHarness();
  events = await h.probe({ events: ['message.stored.v1', 'message.rejected.v1', 'receipt.updated.v1'] });
});
afterAll(() => h?.close());

async function group(owner: TestUser, memberIds: string[]): Promise<Conversation> {
  const res = await owner.request({
    method: 'POST',
    url: '/v1/conversations/groups',
    payload: { title: 'send', memberIds },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

const stored = (conversationId: string) =>
  events.of('message.stored.v1').filter((e) => e.data.message.conversationId === conversationId);
const rejected = (clientMsgId: string) =>
  events.of('message.rejected.v1').filter((e) => e.data.clientMsgId === clientMsgId);

/** The real store, counting its transactions. */
function countTransactions(store: MessageStore): { store: MessageStore; count: () => number } {
  let count = 0;
  return {
    count: () => count,
    store: {
      repos: store.repos,
      ping: () => store.ping(),
      close: () => store.close(),
      transaction(work, options) {
        count++;
        return store.transaction(work, options);
      },
    },
  };
}

describe('the send path (message.send.v1 → one transaction per batch → outbox → message.stored.v1)', () => {
  it('gives one conversation a gapless, unique seq under concurrent sends from many senders and two workers', async () => {
    const owner = await h.user();
    const senders = Array.from({ length: 20 }, () => randomUUID());
    const conversation = await group(owner, senders);
    const workers = [h.worker(), h.worker()];
    await Promise.all(workers.map((w) => w.start()));

    const perSender = 25;
    await Promise.all(
      senders.map(async (senderId) => {
        for (let i = 0; i < perSender; i++) {
          await h.broker.publish(
            'message.send.v1',
            sendCommand({ conversationId: conversation.id, senderId }),
          );
        }
      }),
    );
    const total = senders.length * perSender;
    await vi.waitFor(
      () => expect(new Set(stored(conversation.id).map((e) => e.data.message.id)).size).toBe(total),
      {
        timeout: 30_000,
      },
    );

    const history = await h.store.repos.messages.history(conversation.id, {
      floorSeq: 0,
      afterSeq: 0,
      limit: total + 1,
    });
    expect(history.messages.map((m) => m.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect((await h.store.repos.conversations.get(conversation.id))?.lastSeq).toBe(total);
    // Each stored event carries the message with its seq and who may see it.
    const event = stored(conversation.id)[0]?.data;
    expect(new Set(event?.memberIds)).toEqual(new Set([owner.id, ...senders]));
    // Every sender's own cursors moved to their newest message.
    const members = await h.store.repos.members.list(conversation.id);
    for (const senderId of senders) {
      const newest = Math.max(...history.messages.filter((m) => m.senderId === senderId).map((m) => m.seq));
      expect(members.find((m) => m.userId === senderId)).toMatchObject({
        readSeq: newest,
        deliveredSeq: newest,
      });
    }
    await Promise.all(workers.map((w) => w.stop()));
  });

  it('stores commands that arrive together in one transaction', async () => {
    const owner = await h.user();
    const conversation = await group(owner, []);
    const commands = Array.from({ length: 200 }, () =>
      sendCommand({ conversationId: conversation.id, senderId: owner.id }),
    );
    // Queued before any consumer runs, so they arrive as fast as the prefetch allows.
    for (const command of commands) await h.broker.publish('message.send.v1', command);
    const counting = countTransactions(h.store);
    const worker = h.worker({ store: counting.store, components: ['commands', 'relay'], sendConcurrency: 1 });
    await worker.start();
    await vi.waitFor(() => expect(stored(conversation.id)).toHaveLength(200), { timeout: 20_000 });
    await worker.stop();
    // 200 commands, at most 64 per transaction (the queue's prefetch): a handful of send
    // transactions plus the relay's passes, nowhere near one per message.
    expect(counting.count()).toBeLessThan(60);
  });

  it('stores a resent clientMsgId once and announces the stored message again', async () => {
    const worker = h.worker();
    await worker.start();
    const owner = await h.user();
    const conversation = await group(owner, []);
    const command = sendCommand({
      conversationId: conversation.id,
      senderId: owner.id,
      senderDeviceId: owner.deviceId,
    });

    await h.broker.publish('message.send.v1', command);
    await vi.waitFor(() => expect(stored(conversation.id)).toHaveLength(1));
    await h.broker.publish('message.send.v1', { ...command, receivedAt: new Date().toISOString() });
    await vi.waitFor(() => expect(stored(conversation.id)).toHaveLength(2));
    // Twice in one go as well (the same batch).
    await Promise.all([
      h.broker.publish('message.send.v1', command),
      h.broker.publish('message.send.v1', command),
    ]);
    await vi.waitFor(() => expect(stored(conversation.id)).toHaveLength(4));

    const announced = stored(conversation.id).map((e) => e.data.message);
    expect(new Set(announced.map((m) => m.id)).size).toBe(1);
    expect(announced.every((m) => m.seq === 1 && m.clientMsgId === command.clientMsgId)).toBe(true);
    // Each announcement is its own broker message (consumers must not drop the re-announcement).
    expect(new Set(stored(conversation.id).map((e) => e.messageId)).size).toBe(4);
    expect((await h.store.repos.conversations.get(conversation.id))?.lastSeq).toBe(1);
    await worker.stop();
  });

  it('rejects a non-member, an unknown conversation, a reused clientMsgId, a mismatched or oversized envelope', async () => {
    const worker = h.worker({ maxEnvelopeBytes: 2_000 });
    await worker.start();
    const [owner, stranger] = [await h.user(), await h.user()];
    const conversation = await group(owner, []);
    const other = await group(owner, []);

    const nonMember = sendCommand({ conversationId: conversation.id, senderId: stranger.id });
    const unknown = sendCommand({ conversationId: randomUUID(), senderId: owner.id });
    const first = sendCommand({ conversationId: conversation.id, senderId: owner.id });
    const reused = sendCommand({
      conversationId: other.id,
      senderId: owner.id,
      clientMsgId: first.clientMsgId,
    });
    const mismatched: MessagePayload<'message.send.v1'> = {
      ...sendCommand({ conversationId: conversation.id, senderId: owner.id }),
      clientMsgId: randomUUID(),
    };
    const oversized = sendCommand({ conversationId: conversation.id, senderId: owner.id, bodyBytes: 4_000 });

    await h.broker.publish('message.send.v1', first);
    await vi.waitFor(() => expect(stored(conversation.id)).toHaveLength(1));
    for (const command of [nonMember, unknown, reused, mismatched, oversized]) {
      await h.broker.publish('message.send.v1', command);
    }
    await vi.waitFor(() => {
      for (const command of [nonMember, unknown, reused, mismatched, oversized]) {
        expect(rejected(command.clientMsgId)).toHaveLength(1);
      }
    });
    const codes = [nonMember, unknown, reused, mismatched, oversized].map(
      (c) => rejected(c.clientMsgId)[0]?.data.code,
    );
    expect(codes).toEqual([
      'MSG_CONVERSATION_NOT_FOUND',
      'MSG_CONVERSATION_NOT_FOUND',
      'MSG_DUPLICATE',
      'VALIDATION_FAILED',
      'MSG_ENVELOPE_TOO_LARGE',
    ]);
    expect(rejected(nonMember.clientMsgId)[0]?.data).toMatchObject({
      senderId: stranger.id,
      senderDeviceId: nonMember.senderDeviceId,
      conversationId: conversation.id,
    });
    expect((await h.store.repos.conversations.get(conversation.id))?.lastSeq).toBe(1);
    expect((await h.store.repos.conversations.get(other.id))?.lastSeq).toBe(0);
    await worker.stop();
  });

  it('routes a message to the members who may see it: not to one removed before it, not to one added after', async () => {
    const worker = h.worker();
    await worker.start();
    const [owner, stays, leaves, joins] = [await h.user(), await h.user(), await h.user(), await h.user()];
    const conversation = await group(owner, [stays.id, leaves.id]);
    await owner.request({
      method: 'DELETE',
      url: `/v1/conversations/${conversation.id}/members/${leaves.id}`,
    });
    await h.broker.publish(
      'message.send.v1',
      sendCommand({ conversationId: conversation.id, senderId: owner.id }),
    );
    await vi.waitFor(() => expect(stored(conversation.id)).toHaveLength(1));
    await owner.request({
      method: 'POST',
      url: `/v1/conversations/${conversation.id}/members`,
      payload: { userIds: [joins.id] },
    });
    await h.broker.publish(
      'message.send.v1',
      sendCommand({ conversationId: conversation.id, senderId: joins.id }),
    );
    await vi.waitFor(() => expect(stored(conversation.id)).toHaveLength(2));

    const [firstEvent, secondEvent] = stored(conversation.id).map((e) => e.data);
    expect(new Set(firstEvent?.memberIds)).toEqual(new Set([owner.id, stays.id]));
    expect(new Set(secondEvent?.memberIds)).toEqual(new Set([owner.id, stays.id, joins.id]));
    await worker.stop();
  });

  it("announces the sender's read cursor when their message passes someone else's, not in a monologue", async () => {
    const worker = h.worker({ components: ['relay'] });
    await worker.start();
    const [owner, other] = [await h.user(), await h.user()];
    const conversation = await group(owner, [other.id]);
    const store = (...senders: TestUser[]) =>
      storeMessages(
        h.store,
        senders.map((s) => sendCommand({ conversationId: conversation.id, senderId: s.id })),
        { maxEnvelopeBytes: 65_536 },
      );
    const readsOf = (user: TestUser) =>
      events
        .of('receipt.updated.v1')
        .filter((e) => e.data.conversationId === conversation.id && e.data.userId === user.id)
        .map((e) => e.data.readSeq);

    await store(owner, owner); // 1, 2
    await store(owner); // 3: a monologue so far
    await store(other); // 4: passes 1-3
    await store(owner); // 5: passes 4
    await store(other, owner); // 6, 7: each passes the other's
    await vi.waitFor(() => expect(stored(conversation.id)).toHaveLength(7));
    await vi.waitFor(() => expect(readsOf(owner)).toEqual([5, 7]));
    expect(readsOf(other)).toEqual([4, 6]);
    // The cursors moved all along, announced or not.
    expect(await h.store.repos.members.find(conversation.id, owner.id)).toMatchObject({
      readSeq: 7,
      deliveredSeq: 7,
    });
    await worker.stop();
  });
});
