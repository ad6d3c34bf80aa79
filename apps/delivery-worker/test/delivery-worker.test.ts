import { randomUUID } from 'node:crypto';
import { DeliveryKeys, type MessagePayload, type StoredMessage } from '@im/contracts';
import { storedMessage } from '@im/gateway/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startWorld, type World } from './world.js';

let world: World;

beforeAll(async () => {
  world = await startWorld('dw');
  await world.worker();
});

afterAll(async () => {
  await world?.close();
});

const user = DeliveryKeys.user;
const device = DeliveryKeys.device;

function stored(fields: {
  conversationId?: string;
  seq: number;
  senderId: string;
  senderDeviceId: string;
}): StoredMessage {
  return storedMessage({ conversationId: fields.conversationId ?? randomUUID(), ...fields });
}

describe('message.stored.v1', () => {
  it('acks the sending device first, delivers to every member (sender included), and notifies the offline ones', async () => {
    const alice = { userId: randomUUID(), deviceId: randomUUID() };
    const bob = randomUUID();
    const carol = randomUUID();
    // Online: alice's device and user, bob. Offline: carol (nothing bound for her).
    const probe = await world.probe([device(alice.deviceId), user(alice.userId), user(bob)]);
    const events = await world.events(['notification.offline.v1']);
    const message = stored({ seq: 7, senderId: alice.userId, senderDeviceId: alice.deviceId });
    await world.broker.publish('message.stored.v1', { message, memberIds: [alice.userId, bob, carol] });

    await vi.waitFor(() => expect(probe.frames).toHaveLength(3));
    expect(probe.to(device(alice.deviceId))).toEqual([
      {
        type: 'message.sent',
        clientMsgId: message.clientMsgId,
        conversationId: message.conversationId,
        messageId: message.id,
        seq: 7,
        createdAt: message.createdAt,
      },
    ]);
    expect(probe.to(user(alice.userId))).toEqual([{ type: 'message', message }]);
    expect(probe.to(user(bob))).toEqual([{ type: 'message', message }]);
    await vi.waitFor(() => expect(events.of('notification.offline.v1')).toHaveLength(1));
    expect(events.of('notification.offline.v1')[0]).toEqual({
      data: {
        userId: carol,
        conversationId: message.conversationId,
        messageId: message.id,
        seq: 7,
        senderId: alice.userId,
      },
      messageId: `${message.id}:${carol}`,
    });
  });

  it('never notifies the sender, and gives a redelivered event the same notification id (integrators deduplicate)', async () => {
    const sender = { userId: randomUUID(), deviceId: randomUUID() };
    const offline = randomUUID();
    const events = await world.events(['notification.offline.v1']);
    const message = stored({ seq: 1, senderId: sender.userId, senderDeviceId: sender.deviceId });
    const event: MessagePayload<'message.stored.v1'> = { message, memberIds: [sender.userId, offline] };
    await world.broker.publish('message.stored.v1', event);
    await world.broker.publish('message.stored.v1', event);
    await vi.waitFor(() => expect(events.of('notification.offline.v1')).toHaveLength(2));
    const notifications = events.of('notification.offline.v1');
    expect(notifications.map((n) => n.data.userId)).toEqual([offline, offline]);
    expect(new Set(notifications.map((n) => n.messageId))).toEqual(new Set([`${message.id}:${offline}`]));
  });
});

describe('other events', () => {
  it('message.rejected.v1 → an error frame for the sending device (catalog code, clientMsgId)', async () => {
    const deviceId = randomUUID();
    const probe = await world.probe([device(deviceId)]);
    const base = {
      conversationId: randomUUID(),
      senderId: randomUUID(),
      senderDeviceId: deviceId,
      message: 'no',
    };
    await world.broker.publish('message.rejected.v1', {
      ...base,
      clientMsgId: randomUUID(),
      code: 'MSG_NOT_MEMBER',
    });
    await world.broker.publish('message.rejected.v1', {
      ...base,
      clientMsgId: randomUUID(),
      code: 'SOMETHING_ELSE',
    });
    await vi.waitFor(() => expect(probe.frames).toHaveLength(2));
    const codes = probe
      .to(device(deviceId))
      .map((f) => (f.type === 'error' ? [f.code, Boolean(f.clientMsgId)] : f.type));
    expect(codes.sort()).toEqual([
      ['MSG_NOT_MEMBER', true],
      ['VALIDATION_FAILED', true],
    ]);
  });

  it('receipt.updated.v1 → a receipt frame to every member', async () => {
    const members = [randomUUID(), randomUUID(), randomUUID()];
    const probe = await world.probe(members.map(user));
    const receipt = { conversationId: randomUUID(), userId: members[1]!, deliveredSeq: 9, readSeq: 4 };
    await world.broker.publish('receipt.updated.v1', { ...receipt, memberIds: members });
    await vi.waitFor(() => expect(probe.frames).toHaveLength(3));
    for (const member of members) expect(probe.to(user(member))).toEqual([{ type: 'receipt', ...receipt }]);
  });

  it('conversation.updated.v1 → a frame to the members and to the users it affected', async () => {
    const [owner, stays, removed] = [randomUUID(), randomUUID(), randomUUID()];
    const probe = await world.probe([owner, stays, removed].map(user));
    const conversationId = randomUUID();
    await world.broker.publish('conversation.updated.v1', {
      conversationId,
      change: 'member_removed',
      actorId: owner,
      memberIds: [owner, stays],
      affectedUserIds: [removed],
    });
    await vi.waitFor(() => expect(probe.frames).toHaveLength(3));
    const frame = {
      type: 'conversation.updated',
      conversationId,
      change: 'member_removed',
      memberIds: [owner, stays],
    };
    for (const id of [owner, stays, removed]) expect(probe.to(user(id))).toEqual([frame]);
  });

  it('keys.changed.v1 → a frame to the user and to everyone who shares a conversation with them', async () => {
    const alice = world.member();
    const bob = world.member();
    const stranger = world.member();
    expect((await alice.call('POST', '/v1/conversations/direct', { userId: bob.userId })).status).toBe(201);
    const probe = await world.probe([alice, bob, stranger].map((m) => user(m.userId)));
    await world.broker.publish('keys.changed.v1', {
      userId: alice.userId,
      keyVersion: 2,
      changedAt: new Date().toISOString(),
    });
    await vi.waitFor(() => expect(probe.frames).toHaveLength(2));
    const frame = { type: 'keys.changed', userId: alice.userId, keyVersion: 2 };
    expect(probe.to(user(alice.userId))).toEqual([frame]);
    expect(probe.to(user(bob.userId))).toEqual([frame]);
    expect(probe.to(user(stranger.userId))).toEqual([]);
  });

  it('broadcast.requested.v1 → one broadcast frame to every gateway (broadcast.all)', async () => {
    const probe = await world.probe([DeliveryKeys.broadcast]);
    await world.broker.publish('broadcast.requested.v1', { text: 'Maintenance at 02:00 UTC', from: 'ops' });
    await vi.waitFor(() => expect(probe.frames).toHaveLength(1));
    expect(probe.frames[0]).toMatchObject({
      routingKey: 'broadcast.all',
      frame: { type: 'broadcast', text: 'Maintenance at 02:00 UTC', from: 'ops' },
    });
  });
});
