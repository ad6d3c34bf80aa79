import { randomUUID } from 'node:crypto';
import { type ClientEvents, ImClient, type OutgoingMessage } from '@im/client';
import type { StoredMessage } from '@im/contracts';
import { createHttpMessageServiceClient } from '@im/gateway';
import { opaqueEnvelope, startTestGateway, type TestGateway } from '@im/gateway/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { INTERNAL_TOKEN, startWorld, type TestMember, type World } from './world.js';

/**
 * The whole message path in one process, every part real: two gateways, the
 * message service (HTTP, commands, outbox relay) and the delivery worker over
 * RabbitMQ and Postgres, with @im/client on both ends.
 */
let world: World;
let gatewayA: TestGateway;
let gatewayB: TestGateway;
const clients: ImClient[] = [];

beforeAll(async () => {
  world = await startWorld('pipeline');
  await world.relay(['commands', 'relay', 'presence']);
  await world.worker();
  const messageService = createHttpMessageServiceClient({
    baseUrl: world.messageServiceUrl,
    internalToken: INTERNAL_TOKEN,
  });
  gatewayA = await startTestGateway({ brokers: world.brokers, auth: world.auth, messageService });
  gatewayB = await startTestGateway({ brokers: world.brokers, auth: world.auth, messageService });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await gatewayA?.close();
  await gatewayB?.close();
  await world?.close();
});

function connect(gateway: TestGateway, member: TestMember) {
  const client = new ImClient({
    url: gateway.url,
    token: () => world.auth.token(member.userId, member.deviceId),
    WebSocket,
    reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
    ackDelayMs: 20,
  });
  clients.push(client);
  const messages: StoredMessage[] = [];
  const statuses = new Map<string, OutgoingMessage['status'][]>();
  const errors: ClientEvents['error'][] = [];
  client.on('message', (m) => messages.push(m));
  client.on('status', (s) => statuses.set(s.clientMsgId, [...(statuses.get(s.clientMsgId) ?? []), s.status]));
  client.on('error', (e) => errors.push(e));
  client.connect();
  return { client, messages, statuses, errors };
}

describe('the message path', () => {
  it('drains an offline device in seq order, then delivers live across gateways; statuses reach read', async () => {
    const alice = world.member();
    const bob = world.member();
    const opened = await alice.call('POST', '/v1/conversations/direct', { userId: bob.userId });
    expect(opened.status).toBe(201);
    const conversationId = (opened.body as { id: string }).id;

    const a = connect(gatewayA, alice);
    await a.client.until('live', 10_000);
    // Bob's device has been seen before (a new device starts at the conversations' current end: resync)…
    const first = connect(gatewayB, bob);
    const resync = first.client.next('resync', () => true, 10_000);
    await first.client.until('live', 10_000);
    expect(await resync).toEqual({ reason: 'new_device' });
    await first.client.close();
    // … and is offline now: Alice's messages wait in his offline queue (the conversation log after his cursor).
    const envelopes = Array.from({ length: 30 }, () =>
      opaqueEnvelope({ conversationId, senderId: alice.userId }),
    );
    for (const envelope of envelopes) a.client.send(conversationId, envelope);
    await vi.waitFor(() => expect(a.client.pending()).toEqual([]), { timeout: 15_000 });
    const seqs = envelopes.map((e) => a.client.status(e.clientMsgId)?.seq);
    expect(seqs).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));

    const b = connect(gatewayB, bob);
    await b.client.until('live', 10_000);
    await vi.waitFor(() => expect(b.messages).toHaveLength(30));
    expect(b.messages.map((m) => m.seq)).toEqual(seqs);
    expect(b.messages.map((m) => m.clientMsgId)).toEqual(envelopes.map((e) => e.clientMsgId));

    // Bob's device acked them: Alice sees delivered; Bob reads: Alice sees read.
    await vi.waitFor(() => expect(a.client.status(envelopes[29]!.clientMsgId)?.status).toBe('delivered'), {
      timeout: 10_000,
    });
    b.client.markRead(conversationId, 30);
    await vi.waitFor(
      () => expect(envelopes.every((e) => a.client.status(e.clientMsgId)?.status === 'read')).toBe(true),
      {
        timeout: 10_000,
      },
    );
    expect(a.statuses.get(envelopes[0]!.clientMsgId)).toEqual(['pending', 'sent', 'delivered', 'read']);

    // Live, the other way, across gateways: Bob on B writes, Alice on A gets it once.
    const reply = opaqueEnvelope({ conversationId, senderId: bob.userId });
    b.client.send(conversationId, reply);
    await vi.waitFor(() => expect(a.messages.some((m) => m.clientMsgId === reply.clientMsgId)).toBe(true));
    expect(a.messages.filter((m) => m.seq === 31)).toHaveLength(1);
    expect([...a.errors, ...b.errors]).toEqual([]);
  });

  it("delivers a user's own message to their other device, and refuses a non-member's send", async () => {
    const alice = world.member();
    const bob = world.member();
    const mallory = world.member();
    const opened = await alice.call('POST', '/v1/conversations/direct', { userId: bob.userId });
    const conversationId = (opened.body as { id: string }).id;
    const phone = connect(gatewayA, alice);
    const laptop = connect(gatewayB, { ...alice, deviceId: randomUUID() });
    const intruder = connect(gatewayA, mallory);
    await Promise.all([
      phone.client.until('live', 10_000),
      laptop.client.until('live', 10_000),
      intruder.client.until('live', 10_000),
    ]);

    const note = opaqueEnvelope({ conversationId, senderId: alice.userId });
    phone.client.send(conversationId, note);
    await vi.waitFor(() => expect(laptop.messages.map((m) => m.clientMsgId)).toEqual([note.clientMsgId]));
    await vi.waitFor(() => expect(phone.client.status(note.clientMsgId)?.status).toBe('sent'));

    const forged = opaqueEnvelope({ conversationId, senderId: mallory.userId });
    intruder.client.send(conversationId, forged);
    await vi.waitFor(
      () => expect(intruder.client.status(forged.clientMsgId)).toMatchObject({ status: 'failed' }),
      {
        timeout: 10_000,
      },
    );
    expect(laptop.messages).toHaveLength(1);
  });
});
