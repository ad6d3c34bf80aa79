import { randomUUID } from 'node:crypto';
import type { Broker } from '@im/broker';
import { DeliveryKeys, Queues, type ServerFrame, type StoredMessage } from '@im/contracts';
import {
  createTestAuth,
  metricValue,
  newUser,
  opaqueEnvelope,
  type Recorded,
  recordQueue,
  ScriptedPending,
  startTestGateway,
  storedMessage,
  type TestAuth,
  type TestGateway,
  testBrokers,
} from '@im/gateway/testing';
import { freePort } from '@im/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { type ClientOptions, type ConnectionState, ImClient, type OutgoingMessage } from '../src/index.js';

const brokers = testBrokers('client');
let auth: TestAuth;
let broker: Broker;
let commands: { messages: Recorded[]; stop(): Promise<void> };
const gateways: TestGateway[] = [];
const clients: ImClient[] = [];

beforeAll(async () => {
  auth = await createTestAuth();
  broker = await brokers.connect('client-test');
  await broker.declareTopology();
  commands = await recordQueue(broker, Queues.messageCommands);
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

afterAll(async () => {
  for (const gateway of gateways) await gateway.close();
  await commands?.stop();
  await brokers.closeAll();
});

async function gateway(options: Omit<Parameters<typeof startTestGateway>[0], 'brokers' | 'auth'> = {}) {
  const started = await startTestGateway({ brokers, auth, ...options });
  gateways.push(started);
  return started;
}

interface Recorder {
  client: ImClient;
  states: ConnectionState[];
  messages: StoredMessage[];
  statuses: OutgoingMessage[];
}

function client(
  url: ClientOptions['url'],
  user: { userId: string; deviceId: string },
  options: Partial<ClientOptions> = {},
): Recorder {
  const imClient = new ImClient({
    url,
    token: () => auth.token(user.userId, user.deviceId),
    WebSocket,
    reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
    ackDelayMs: 20,
    gapRepairDelayMs: 50,
    ...options,
  });
  clients.push(imClient);
  const recorder: Recorder = { client: imClient, states: [], messages: [], statuses: [] };
  imClient.on('state', (s) => recorder.states.push(s));
  imClient.on('message', (m) => recorder.messages.push(m));
  imClient.on('status', (s) => recorder.statuses.push(s));
  return recorder;
}

const toDevice = (deviceId: string, frame: ServerFrame) =>
  broker.publish('delivery.frame.v1', { frame }, { routingKey: DeliveryKeys.device(deviceId) });

const sends = (clientMsgId: string) =>
  commands.messages.filter(
    (m) => m.name === 'message.send.v1' && (m.data as { clientMsgId: string }).clientMsgId === clientMsgId,
  );

const acks = (conversationId: string) =>
  commands.messages
    .filter(
      (m) =>
        m.name === 'receipt.record.v1' &&
        (m.data as { conversationId: string }).conversationId === conversationId,
    )
    .map((m) => m.data as { kind: string; seq: number });

describe('connecting', () => {
  it('authenticates with a header (Node) and goes connecting → syncing → live', async () => {
    const gw = await gateway();
    const user = newUser();
    const { client: c, states } = client(gw.url, user);
    c.connect();
    await c.until('live', 10_000);
    expect(states).toEqual(['connecting', 'syncing', 'live']);
    expect(c.identity).toEqual(user);
  });

  it('authenticates with an auth frame (what browsers do)', async () => {
    const gw = await gateway();
    const user = newUser();
    const { client: c } = client(gw.url, user, { authMode: 'frame' });
    c.connect();
    await c.until('live', 10_000);
    expect(c.identity).toEqual(user);
  });

  it('reconnects with backoff when its gateway restarts (1012), and stops for good when the session is revoked (4403)', async () => {
    const port = await freePort();
    const first = await gateway({ port });
    const user = newUser();
    const { client: c } = client(first.url, user);
    const disconnects: Array<{ code: number; reconnectInMs: number | null }> = [];
    c.on('disconnected', (d) => disconnects.push(d));
    c.connect();
    await c.until('live', 10_000);
    await first.close();
    await vi.waitFor(() =>
      expect(disconnects[0]).toMatchObject({ code: 1012, reconnectInMs: expect.any(Number) }),
    );
    const second = await gateway({ port });
    await vi.waitFor(() => expect(c.state).toBe('live'), { timeout: 10_000 });

    await second.broker.publish('session.revoked.v1', {
      sessionId: user.deviceId,
      userId: user.userId,
      reason: 'logout',
      revokedAt: new Date().toISOString(),
    });
    await vi.waitFor(() =>
      expect(disconnects.at(-1)).toEqual({ code: 4403, reason: expect.any(String), reconnectInMs: null }),
    );
    expect(c.state).toBe('offline');
  });
});

describe('failover', () => {
  it('takes the next gateway from a url function when its gateway goes away', async () => {
    const a = await gateway();
    const b = await gateway();
    const urls = [a.url, b.url];
    let attempt = 0;
    const user = newUser();
    const { client: c } = client(() => urls[attempt++ % urls.length]!, user);
    c.connect();
    await c.until('live', 10_000);
    expect(metricValue(await a.metrics(), 'gateway_connections')).toBe(1);
    await a.close();
    await vi.waitFor(() => expect(c.state).toBe('live'), { timeout: 10_000 });
    expect(metricValue(await b.metrics(), 'gateway_connections')).toBe(1);
  });
});

describe('messages in', () => {
  it('hands each message over once, in seq order, and acks only what has no gap below it', async () => {
    const gw = await gateway();
    const user = newUser();
    const conversationId = randomUUID();
    const { client: c, messages } = client(gw.url, user);
    c.connect();
    await c.until('live', 10_000);
    const log = Array.from({ length: 5 }, (_, i) =>
      storedMessage({ conversationId, seq: i + 1, senderId: randomUUID() }),
    );
    for (const seq of [1, 2, 2, 4, 1, 5])
      await toDevice(user.deviceId, { type: 'message', message: log[seq - 1]! });
    await vi.waitFor(() => expect(messages.map((m) => m.seq)).toEqual([1, 2]));
    await vi.waitFor(() =>
      expect(acks(conversationId).at(-1)).toEqual(expect.objectContaining({ kind: 'delivered', seq: 2 })),
    );
    await toDevice(user.deviceId, { type: 'message', message: log[2]! });
    await vi.waitFor(() => expect(messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]));
    await vi.waitFor(() => expect(acks(conversationId).at(-1)?.seq).toBe(5));
    const acked = acks(conversationId).map((a) => a.seq);
    expect(acked).toEqual([...acked].sort((a, b) => a - b));
    expect(acked.every((seq) => seq <= 2 || seq === 5)).toBe(true);
    expect(c.cursor(conversationId)).toBe(5);
  });

  it('acks again when the drain re-sends what it already holds (its ack was lost), and only then', async () => {
    const user = newUser();
    const conversationId = randomUUID();
    const quiet = randomUUID();
    const log = Array.from({ length: 3 }, (_, i) =>
      storedMessage({ conversationId, seq: i + 1, senderId: randomUUID() }),
    );
    const gw = await gateway({ messageService: new ScriptedPending(log) });
    const { client: c, messages } = client(gw.url, user, { cursors: { [conversationId]: 3, [quiet]: 9 } });
    c.connect();
    await c.until('live', 10_000);
    await vi.waitFor(() =>
      expect(acks(conversationId)).toEqual([expect.objectContaining({ kind: 'delivered', seq: 3 })]),
    );
    expect(messages).toEqual([]);
    expect(acks(quiet)).toEqual([]);
  });

  it('repairs a gap by asking the gateway to sync when it has no HTTP API', async () => {
    const user = newUser();
    const conversationId = randomUUID();
    const senderId = randomUUID();
    const log = Array.from({ length: 7 }, (_, i) => storedMessage({ conversationId, seq: i + 1, senderId }));
    const pending = new ScriptedPending(log.slice(0, 5));
    const gw = await gateway({ messageService: pending });
    const { client: c, messages } = client(gw.url, user);
    c.connect();
    await c.until('live', 10_000);
    expect(messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
    // Message 6 is stored but its live copy is lost; 7 arrives live.
    pending.append(log[5]!, log[6]!);
    await toDevice(user.deviceId, { type: 'message', message: log[6]! });
    await vi.waitFor(() => expect(messages.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]), {
      timeout: 10_000,
    });
  });

  it('repairs a gap over HTTP with the fetch it is given', async () => {
    const gw = await gateway();
    const user = newUser();
    const conversationId = randomUUID();
    const log = Array.from({ length: 30 }, (_, i) =>
      storedMessage({ conversationId, seq: i + 1, senderId: randomUUID() }),
    );
    const asked: string[] = [];
    // The message service's history endpoint (GET /v1/conversations/:id/messages?after=&limit=), in memory.
    const historyFetch: typeof fetch = async (input, init) => {
      const url = new URL(String(input));
      asked.push(`${url.pathname}?${url.searchParams}`);
      expect(new Headers(init?.headers).get('authorization')).toMatch(/^Bearer /);
      const after = Number(url.searchParams.get('after'));
      const limit = Number(url.searchParams.get('limit'));
      const page = log.filter((m) => m.seq > after).slice(0, Math.min(limit, 10));
      return Response.json({ messages: page, hasMore: page.at(-1)?.seq !== 30 });
    };
    const { client: c, messages } = client(gw.url, user, {
      api: { baseUrl: 'http://history.test', fetch: historyFetch },
      cursors: { [conversationId]: 3 },
    });
    c.connect();
    await c.until('live', 10_000);
    await toDevice(user.deviceId, { type: 'message', message: log[29]! });
    await vi.waitFor(() =>
      expect(messages.map((m) => m.seq)).toEqual(Array.from({ length: 27 }, (_, i) => i + 4)),
    );
    expect(asked[0]).toBe(`/v1/conversations/${conversationId}/messages?after=3&limit=200`);
  });
});

describe('messages out', () => {
  it('keeps a message pending while offline, resends it with the same clientMsgId after a reconnect, and tracks its status', async () => {
    const port = await freePort();
    const first = await gateway({ port });
    const alice = newUser();
    const bob = randomUUID();
    const conversationId = randomUUID();
    const { client: c, statuses } = client(first.url, alice);
    const envelope = opaqueEnvelope({ conversationId, senderId: alice.userId });
    expect(c.send(conversationId, envelope).status).toBe('pending');
    c.connect();
    await vi.waitFor(() => expect(sends(envelope.clientMsgId)).toHaveLength(1));

    // The connection drops before the message is stored: it goes again, with the same clientMsgId.
    await first.close();
    await gateway({ port });
    await vi.waitFor(() => expect(sends(envelope.clientMsgId)).toHaveLength(2), { timeout: 10_000 });
    expect(c.pending().map((p) => p.clientMsgId)).toEqual([envelope.clientMsgId]);

    await toDevice(alice.deviceId, {
      type: 'message.sent',
      clientMsgId: envelope.clientMsgId,
      conversationId,
      messageId: randomUUID(),
      seq: 12,
      createdAt: new Date().toISOString(),
    });
    await vi.waitFor(() => expect(c.status(envelope.clientMsgId)).toMatchObject({ status: 'sent', seq: 12 }));
    const receipt = (deliveredSeq: number, readSeq: number): ServerFrame => ({
      type: 'receipt',
      conversationId,
      userId: bob,
      deliveredSeq,
      readSeq,
    });
    await toDevice(alice.deviceId, receipt(11, 0));
    await toDevice(alice.deviceId, receipt(12, 0));
    await vi.waitFor(() =>
      expect(c.status(envelope.clientMsgId)).toMatchObject({ status: 'delivered', deliveredCount: 1 }),
    );
    await toDevice(alice.deviceId, receipt(12, 12));
    await vi.waitFor(() =>
      expect(c.status(envelope.clientMsgId)).toMatchObject({ status: 'read', readCount: 1 }),
    );
    expect(statuses.map((s) => s.status)).toEqual(['pending', 'sent', 'delivered', 'read']);
    expect(c.pending()).toEqual([]);
  });

  it('paces a burst of sends to the rate the gateway announced instead of being refused', async () => {
    const gw = await gateway({ limits: { framesPerSecond: 50, frameBurst: 50 } });
    const alice = newUser();
    const conversationId = randomUUID();
    const { client: c } = client(gw.url, alice);
    const errors: string[] = [];
    c.on('error', (e) => errors.push(e.code));
    c.connect();
    await c.until('live', 10_000);
    const envelopes = Array.from({ length: 150 }, () =>
      opaqueEnvelope({ conversationId, senderId: alice.userId }),
    );
    for (const envelope of envelopes) c.send(conversationId, envelope);
    await vi.waitFor(
      () => expect(envelopes.filter((e) => sends(e.clientMsgId).length > 0)).toHaveLength(150),
      {
        timeout: 15_000,
      },
    );
    expect(errors).toEqual([]);
    expect(metricValue(await gw.metrics(), 'gateway_rate_limited_frames_total')).toBe(0);
    expect(envelopes.every((e) => sends(e.clientMsgId).length === 1)).toBe(true);
  });

  it('marks a message refused for good as failed and does not resend it', async () => {
    const gw = await gateway();
    const alice = newUser();
    const conversationId = randomUUID();
    const { client: c } = client(gw.url, alice);
    c.connect();
    await c.until('live', 10_000);
    const envelope = opaqueEnvelope({ conversationId, senderId: alice.userId });
    c.send(conversationId, envelope);
    await vi.waitFor(() => expect(sends(envelope.clientMsgId)).toHaveLength(1));
    await toDevice(alice.deviceId, {
      type: 'error',
      code: 'MSG_NOT_MEMBER',
      message: 'You are not a member of this conversation',
      clientMsgId: envelope.clientMsgId,
    });
    await vi.waitFor(() =>
      expect(c.status(envelope.clientMsgId)).toMatchObject({
        status: 'failed',
        error: { code: 'MSG_NOT_MEMBER' },
      }),
    );
    expect(c.pending()).toEqual([]);
  });

  it('sends read receipts, keeping the one marked while offline for the next connection', async () => {
    const gw = await gateway();
    const alice = newUser();
    const conversationId = randomUUID();
    const { client: c } = client(gw.url, alice);
    c.markRead(conversationId, 5);
    c.markRead(conversationId, 4);
    c.connect();
    await vi.waitFor(() =>
      expect(acks(conversationId)).toEqual([expect.objectContaining({ kind: 'read', seq: 5 })]),
    );
    c.markRead(conversationId, 8);
    await vi.waitFor(() => expect(acks(conversationId).map((a) => a.seq)).toEqual([5, 8]));
  });
});
