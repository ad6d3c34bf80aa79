import type { Conversation, PendingPage } from '@im/contracts';
import { silentLogger } from '@im/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepRetention } from '../src/domain/retention.js';
import { storeMessages } from '../src/domain/send.js';
import { sendCommand } from './support/envelopes.js';
import { type Harness, internal, startHarness, type TestUser } from './support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

async function group(owner: TestUser, memberIds: string[]): Promise<Conversation> {
  const res = await owner.request({
    method: 'POST',
    url: '/v1/conversations/groups',
    payload: { title: 'r', memberIds },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

async function send(conversationId: string, senderId: string, count: number): Promise<void> {
  const commands = Array.from({ length: count }, () => sendCommand({ conversationId, senderId }));
  await storeMessages(h.store, commands, { maxEnvelopeBytes: 65_536 });
}

async function pending(user: TestUser): Promise<PendingPage> {
  return (
    await internal(h.app, `/internal/v1/devices/${user.deviceId}/pending?userId=${user.id}&limit=100`)
  ).json();
}

describe('retention', () => {
  it('deletes the old prefix of each log in chunks; history starts after it; a device behind it is told to resync', async () => {
    const [me, peer] = [await h.user(), await h.user()];
    await pending(me); // registers the device: its cursors start at 0
    const [a, b] = [await group(peer, [me.id]), await group(peer, [me.id])];
    await send(a.id, peer.id, 7);
    await send(b.id, peer.id, 2);
    const horizon = new Date(Date.now() + 1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await send(a.id, peer.id, 3);

    const { deleted } = await sweepRetention({
      store: h.store,
      logger: silentLogger(),
      retentionMs: 1_000,
      now: () => new Date(horizon.getTime() + 1_000),
      messagesPerConversation: 3,
    });
    expect(deleted).toBe(9);
    expect((await h.store.repos.conversations.get(a.id))?.purgedThroughSeq).toBe(7);
    expect((await h.store.repos.conversations.get(b.id))?.purgedThroughSeq).toBe(2);

    const history = (
      await peer.request({ method: 'GET', url: `/v1/conversations/${a.id}/messages?after=0` })
    ).json();
    expect(history.messages.map((m: { seq: number }) => m.seq)).toEqual([8, 9, 10]);
    const list = (await me.request({ method: 'GET', url: '/v1/conversations' })).json()
      .conversations as Conversation[];
    expect(list.find((c) => c.id === a.id)).toMatchObject({ unreadCount: 3, lastMessage: { seq: 10 } });
    expect(list.find((c) => c.id === b.id)).toMatchObject({ unreadCount: 0, lastMessage: null });

    const drained = await pending(me);
    expect(drained.resync).toBe('retention');
    expect(drained.messages.map((m) => `${m.conversationId}:${m.seq}`)).toEqual(
      [8, 9, 10].map((seq) => `${a.id}:${seq}`),
    );
    // Told once: the cursors now stand at the horizon.
    expect((await pending(me)).resync).toBeNull();
    // Nothing more is older than the horizon.
    expect(
      (
        await sweepRetention({
          store: h.store,
          logger: silentLogger(),
          retentionMs: 1_000,
          now: () => new Date(horizon.getTime() + 1_000),
        })
      ).deleted,
    ).toBe(0);
  });
});
