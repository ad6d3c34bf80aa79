import { randomUUID } from 'node:crypto';
import type { Conversation, PendingPage } from '@im/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordReceipts } from '../src/domain/receipts.js';
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
    payload: { title: 'pending', memberIds },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

async function send(conversationId: string, senderId: string, count: number): Promise<void> {
  const commands = Array.from({ length: count }, () => sendCommand({ conversationId, senderId }));
  await storeMessages(h.store, commands, { maxEnvelopeBytes: 65_536 });
}

async function page(deviceId: string, userId: string, query = ''): Promise<PendingPage> {
  const res = await internal(h.app, `/internal/v1/devices/${deviceId}/pending?userId=${userId}${query}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

/** Every page of the drain; returns the (conversation, seq) pairs and how many pages it took. */
async function drain(deviceId: string, userId: string, limit: number) {
  const first = await page(deviceId, userId, `&limit=${limit}`);
  const pages = [first];
  while (pages.at(-1)?.nextPageToken) {
    const token = pages.at(-1)?.nextPageToken ?? '';
    pages.push(await page(deviceId, userId, `&limit=${limit}&pageToken=${encodeURIComponent(token)}`));
  }
  return {
    resync: first.resync,
    pages: pages.length,
    seen: pages.flatMap((p) => p.messages.map((m) => `${m.conversationId}:${m.seq}`)),
  };
}

const keys = (conversationId: string, seqs: number[]) => seqs.map((s) => `${conversationId}:${s}`);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("the pending drain (a device's offline queue)", () => {
  it('tells a new device to resync, starts it at the present, then drains what comes after', async () => {
    const [me, peer] = [await h.user(), await h.user()];
    const conversation = await group(peer, [me.id]);
    await send(conversation.id, peer.id, 5);

    const first = await page(me.deviceId, me.id);
    expect(first).toEqual({ messages: [], nextPageToken: null, resync: 'new_device' });
    expect(await h.store.repos.devices.cursors(me.deviceId)).toEqual([
      { conversationId: conversation.id, ackedSeq: 5 },
    ]);

    await send(conversation.id, peer.id, 2);
    const next = await drain(me.deviceId, me.id, 50);
    expect(next).toEqual({ resync: null, pages: 1, seen: keys(conversation.id, [6, 7]) });
  });

  it('returns exactly what the device has not acked, in (conversation, seq) order, across pages', async () => {
    const [me, peer] = [await h.user(), await h.user()];
    await page(me.deviceId, me.id); // registers the device before anything exists
    const conversations = [
      await group(peer, [me.id]),
      await group(peer, [me.id]),
      await group(peer, [me.id]),
    ];
    const [a, b, c] = [...conversations].sort((x, y) => (x.id < y.id ? -1 : 1)) as [
      Conversation,
      Conversation,
      Conversation,
    ];
    await send(a.id, peer.id, 9);
    await send(b.id, peer.id, 4);
    await send(c.id, peer.id, 6);
    await recordReceipts(h.store, [
      { conversationId: a.id, userId: me.id, deviceId: me.deviceId, kind: 'delivered', seq: 3 },
      { conversationId: c.id, userId: me.id, deviceId: me.deviceId, kind: 'delivered', seq: 6 },
      // Another device's ack is not this device's.
      { conversationId: b.id, userId: me.id, deviceId: randomUUID(), kind: 'delivered', seq: 4 },
      // Reading is not receiving: the offline queue moves with delivery acks only.
      { conversationId: b.id, userId: me.id, deviceId: me.deviceId, kind: 'read', seq: 2 },
    ]);

    const result = await drain(me.deviceId, me.id, 4);
    expect(result.seen).toEqual([...keys(a.id, range(4, 9)), ...keys(b.id, range(1, 4))]);
    expect(result.pages).toBe(3);
    expect(result.resync).toBeNull();
  });

  it('keeps its place when the device acks between pages', async () => {
    const [me, peer] = [await h.user(), await h.user()];
    await page(me.deviceId, me.id);
    const conversation = await group(peer, [me.id]);
    await send(conversation.id, peer.id, 10);

    const first = await page(me.deviceId, me.id, '&limit=4');
    expect(first.messages.map((m) => m.seq)).toEqual([1, 2, 3, 4]);
    await recordReceipts(h.store, [
      { conversationId: conversation.id, userId: me.id, deviceId: me.deviceId, kind: 'delivered', seq: 4 },
    ]);
    const second = await page(me.deviceId, me.id, `&limit=4&pageToken=${first.nextPageToken}`);
    expect(second.messages.map((m) => m.seq)).toEqual([5, 6, 7, 8]);
    expect(second.resync).toBeNull();
    // Drained and acked to the end: nothing is pending any more.
    await recordReceipts(h.store, [
      { conversationId: conversation.id, userId: me.id, deviceId: me.deviceId, kind: 'delivered', seq: 10 },
    ]);
    expect((await drain(me.deviceId, me.id, 4)).seen).toEqual([]);
  });

  it('starts a conversation joined after the device was registered at the join seq', async () => {
    const [me, owner] = [await h.user(), await h.user()];
    await page(me.deviceId, me.id);
    const conversation = await group(owner, []);
    await send(conversation.id, owner.id, 4);
    await owner.request({
      method: 'POST',
      url: `/v1/conversations/${conversation.id}/members`,
      payload: { userIds: [me.id] },
    });
    await send(conversation.id, owner.id, 2);
    expect((await drain(me.deviceId, me.id, 10)).seen).toEqual(keys(conversation.id, [5, 6]));
  });

  it('drains nothing from a conversation the user was removed from', async () => {
    const [me, owner] = [await h.user(), await h.user()];
    await page(me.deviceId, me.id);
    const conversation = await group(owner, [me.id]);
    await send(conversation.id, owner.id, 3);
    await owner.request({ method: 'DELETE', url: `/v1/conversations/${conversation.id}/members/${me.id}` });
    await send(conversation.id, owner.id, 3);
    expect((await drain(me.deviceId, me.id, 10)).seen).toEqual([]);
  });

  it('refuses a device of another user, a forged page token, and missing or wrong internal tokens', async () => {
    const [me, other] = [await h.user(), await h.user()];
    await page(me.deviceId, me.id);
    const stolen = await internal(h.app, `/internal/v1/devices/${me.deviceId}/pending?userId=${other.id}`);
    expect([stolen.statusCode, stolen.json().error.code]).toEqual([403, 'AUTH_FORBIDDEN']);

    const forged = await internal(
      h.app,
      `/internal/v1/devices/${me.deviceId}/pending?userId=${me.id}&pageToken=abc`,
    );
    expect([forged.statusCode, forged.json().error.code]).toEqual([400, 'VALIDATION_FAILED']);
    const noUser = await internal(h.app, `/internal/v1/devices/${me.deviceId}/pending`);
    expect([noUser.statusCode, noUser.json().error.code]).toEqual([400, 'VALIDATION_FAILED']);
    const badDevice = await internal(h.app, `/internal/v1/devices/not-a-uuid/pending?userId=${me.id}`);
    expect(badDevice.statusCode).toBe(400);

    const url = `/internal/v1/devices/${me.deviceId}/pending?userId=${me.id}`;
    const missing = await h.app.inject({ method: 'GET', url });
    expect([missing.statusCode, missing.json().error.code]).toEqual([401, 'AUTH_TOKEN_MISSING']);
    const wrong = await h.app.inject({ method: 'GET', url, headers: { 'x-internal-token': 'guess' } });
    expect([wrong.statusCode, wrong.json().error.code]).toEqual([403, 'AUTH_FORBIDDEN']);
    // A user's bearer token does not open internal endpoints.
    const bearer = await me.request({ method: 'GET', url });
    expect(bearer.statusCode).toBe(401);
  });
});

describe('internal member and contact lists', () => {
  it('lists the current members of a conversation and the contacts of a user', async () => {
    const [owner, a, b, loner] = [await h.user(), await h.user(), await h.user(), await h.user()];
    const conversation = await group(owner, [a.id]);
    await group(a, [b.id]);

    const members = await internal(h.app, `/internal/v1/conversations/${conversation.id}/members`);
    expect(new Set(members.json().memberIds)).toEqual(new Set([owner.id, a.id]));
    const unknown = await internal(h.app, `/internal/v1/conversations/${randomUUID()}/members`);
    expect([unknown.statusCode, unknown.json().error.code]).toEqual([404, 'MSG_CONVERSATION_NOT_FOUND']);

    const contacts = await internal(h.app, `/internal/v1/users/${a.id}/contacts`);
    expect(new Set(contacts.json().userIds)).toEqual(new Set([owner.id, b.id]));
    expect((await internal(h.app, `/internal/v1/users/${loner.id}/contacts`)).json()).toEqual({
      userIds: [],
    });
  });
});
