import { randomBytes, randomUUID } from 'node:crypto';
import type { HistoryPage } from '@im/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitForMessages, waitForStatus } from '../src/expect.js';
import { type Device, http, Person } from '../src/people.js';
import { RawSocket } from '../src/raw.js';
import { type DistributedSystem, startDistributed } from '../src/system.js';

/** Issue 4's scenarios 7–9: idempotent resend, authorization, hostile input. */
describe('edges, distributed', () => {
  let system: DistributedSystem;
  const devices: Device[] = [];
  const sockets: RawSocket[] = [];

  beforeAll(async () => {
    system = await startDistributed('edges');
  });
  afterAll(async () => {
    for (const socket of sockets) socket.terminate();
    await Promise.all(devices.map((d) => d.disconnect()));
    await system?.stop();
  });

  async function someone(name: string) {
    const registered = await Person.register(system, name);
    devices.push(registered.device);
    return registered;
  }

  it('7: a message resent with the same clientMsgId after a dropped connection is stored once', async () => {
    const alice = await someone('alice');
    const bob = await someone('bob');
    const chat = await alice.device.directWith(bob.person);
    const clientMsgId = randomUUID();
    const envelope = await alice.device.seal(chat, 'only once, please', clientMsgId);
    const frame = JSON.stringify({ type: 'message.send', clientMsgId, conversationId: chat.id, envelope });

    // Send, then lose the connection before (or while) the ack comes back.
    const first = await RawSocket.open(system.gatewayUrls[0]!, alice.device.token);
    first.send(frame);
    first.terminate();

    // Reconnect (to the other gateway) and resend the very same message, twice.
    const second = await RawSocket.open(system.gatewayUrls[1]!, alice.device.token);
    sockets.push(second);
    second.send(frame);
    const sent = await second.next((f) => f.type === 'message.sent' && f.clientMsgId === clientMsgId);
    const from = second.frames.length;
    second.send(frame);
    const again = await second.next((f) => f.type === 'message.sent' && f.clientMsgId === clientMsgId, from);
    expect(again).toMatchObject({ messageId: (sent as { messageId: string }).messageId, seq: 1 });

    const { status, body } = await http<HistoryPage>(
      `${system.messagesUrl}/v1/conversations/${chat.id}/messages?after=0`,
      { token: alice.device.token },
    );
    expect(status).toBe(200);
    expect(body.messages.filter((m) => m.clientMsgId === clientMsgId)).toHaveLength(1);
    expect(body.messages).toHaveLength(1);
  });

  it("8: a non-member's send, history read and member-list read are refused", async () => {
    const alice = await someone('alice');
    const bob = await someone('bob');
    const mallory = await someone('mallory');
    await mallory.device.connect(system.gatewayUrls[0]!);
    const chat = await alice.device.directWith(bob.person);

    const attempt = await mallory.device.send(chat, 'let me in');
    // Refused, and told nothing about the conversation (not-found and not-member look alike).
    await expect
      .poll(() => mallory.device.client!.status(attempt.clientMsgId)?.status, { timeout: 30_000 })
      .toBe('failed');
    expect(['MSG_NOT_MEMBER', 'MSG_CONVERSATION_NOT_FOUND']).toContain(
      mallory.device.client!.status(attempt.clientMsgId)?.error?.code,
    );

    const history = await http<{ error: { code: string } }>(
      `${system.messagesUrl}/v1/conversations/${chat.id}/messages`,
      { token: mallory.device.token },
    );
    const members = await http<{ error: { code: string } }>(
      `${system.messagesUrl}/v1/conversations/${chat.id}/members`,
      { token: mallory.device.token },
    );
    const conversation = await http<{ error: { code: string } }>(
      `${system.messagesUrl}/v1/conversations/${chat.id}`,
      {
        token: mallory.device.token,
      },
    );
    for (const refused of [history, members, conversation]) {
      expect([403, 404]).toContain(refused.status);
      expect(['MSG_NOT_MEMBER', 'MSG_CONVERSATION_NOT_FOUND']).toContain(refused.body.error.code);
    }
    // Nothing was stored.
    const stored = await http<HistoryPage>(`${system.messagesUrl}/v1/conversations/${chat.id}/messages`, {
      token: alice.device.token,
    });
    expect(stored.body.messages).toHaveLength(0);
  });

  it('a revoked session is refused at once by every service, long before its token expires', async () => {
    const alice = await someone('alice');
    const bob = await someone('bob');
    const chat = await alice.device.directWith(bob.person);
    await alice.device.connect(system.gatewayUrls[1]!);
    const token = alice.device.token;
    const before = await http(`${system.messagesUrl}/v1/conversations/${chat.id}`, { token });
    expect(before.status).toBe(200);

    const logout = await http(`${system.authUrl}/v1/auth/logout`, { method: 'POST', token });
    expect(logout.status).toBe(204);

    // The message service's HTTP API refuses the still-unexpired token once the event reaches it.
    await expect
      .poll(
        async () =>
          (await http<{ error?: { code: string } }>(`${system.messagesUrl}/v1/conversations`, { token })).body
            .error?.code,
        {
          timeout: 30_000,
        },
      )
      .toBe('AUTH_SESSION_REVOKED');
    // The gateway closed the session's socket, and a new connection with the token is refused.
    await expect.poll(() => alice.device.client?.state, { timeout: 30_000 }).toBe('offline');
    await expect(RawSocket.open(system.gatewayUrls[0]!, token)).rejects.toThrow();
  });

  it('9: fuzzed frames get error frames, and the gateway keeps serving everyone', async () => {
    const alice = await someone('alice');
    const bob = await someone('bob');
    const fuzzer = await someone('fuzzer');
    await alice.device.connect(system.gatewayUrls[0]!);
    await bob.device.connect(system.gatewayUrls[1]!);
    const chat = await alice.device.directWith(bob.person);
    const socket = await RawSocket.open(system.gatewayUrls[0]!, fuzzer.device.token);
    sockets.push(socket);

    const random = seeded(42);
    const cases: Array<string | Buffer> = [
      '{{{',
      '',
      'null',
      '42',
      '"message.send"',
      '[]',
      JSON.stringify({}),
      JSON.stringify({ type: 'nope' }),
      JSON.stringify({ type: 'message.send' }),
      JSON.stringify({ type: 'ack', conversationId: 123, seq: 'x' }),
      JSON.stringify({ type: 'read', conversationId: randomUUID(), seq: -1 }),
      JSON.stringify({ type: 'typing', conversationId: 'not-a-uuid', state: 'maybe' }),
      JSON.stringify({ type: 'auth', token: 'x'.repeat(10_000) }),
      JSON.stringify({
        type: 'message.send',
        clientMsgId: randomUUID(),
        conversationId: chat.id,
        envelope: 'x'.repeat(60_000),
      }),
      JSON.stringify({ type: 'ping', ref: 'r'.repeat(1000) }),
      JSON.stringify({ ['__proto__']: { polluted: true }, type: 'ping' }).replace('"type"', '"tipe"'),
      Buffer.from(randomBytes(512)),
    ];
    for (let i = 0; i < 40; i++) cases.push(JSON.stringify(randomJson(random, 3)));

    let exchanged = 0;
    for (const [i, input] of cases.entries()) {
      const from = socket.frames.length;
      socket.send(input);
      const answer = await socket.next((f) => f.type === 'error' || f.type === 'pong', from);
      expect(answer.type, `case ${i}: ${String(input).slice(0, 80)}`).toBe('error');
      // Meanwhile the others keep talking through the same gateway.
      if (i % 10 === 0) {
        await alice.device.send(chat, `still here ${i}`);
        exchanged++;
      }
      await new Promise((resolve) => setTimeout(resolve, 40)); // stay under the per-connection frame rate
    }
    const codes = new Set(
      socket.frames.filter((f) => f.type === 'error').map((f) => (f as { code: string }).code),
    );
    expect(
      [...codes].every((c) => ['WS_BAD_FRAME', 'MSG_ENVELOPE_TOO_LARGE', 'WS_FRAME_TOO_LARGE'].includes(c)),
    ).toBe(true);
    await waitForMessages(bob.device, chat.id, exchanged);

    // The fuzzing connection itself is still up and answers a well-formed ping.
    const from = socket.frames.length;
    socket.send(JSON.stringify({ type: 'ping', ref: 'after' }));
    expect(await socket.next((f) => f.type === 'pong', from)).toMatchObject({ type: 'pong', ref: 'after' });
    expect(socket.closed).toBeUndefined();

    // A frame over the size limit closes only that connection (1009).
    const oversize = await RawSocket.open(system.gatewayUrls[0]!, fuzzer.device.token);
    oversize.send('x'.repeat(200 * 1024));
    expect((await oversize.untilClosed()).code).toBe(1009);
    const last = await alice.device.send(chat, 'after the oversized frame');
    await waitForStatus(alice.device, last.clientMsgId, 'delivered');
    const ready = await fetch(
      `${system.gatewayUrls[0]!.replace('ws://', 'http://').replace('/v1/ws', '')}/readyz`,
    );
    expect(ready.status).toBe(200);
  });
});

/** A small deterministic PRNG (mulberry32), so a failing fuzz case can be replayed. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FRAME_TYPES = ['auth', 'ping', 'message.send', 'ack', 'read', 'typing', 'sync', 'pong', 'x'];

function randomJson(random: () => number, depth: number): unknown {
  const pick = Math.floor(random() * 7);
  if (depth === 0 || pick < 2) {
    const leaves = [
      null,
      true,
      -1,
      1e308,
      'x'.repeat(Math.floor(random() * 300)),
      randomUUID(),
      '\u0000\uffff',
    ];
    return leaves[Math.floor(random() * leaves.length)];
  }
  if (pick === 2)
    return Array.from({ length: Math.floor(random() * 4) }, () => randomJson(random, depth - 1));
  const object: Record<string, unknown> = {};
  // Mostly frames with a plausible type and wrong fields: the case a validator must get right.
  if (random() < 0.8) object.type = FRAME_TYPES[Math.floor(random() * FRAME_TYPES.length)];
  for (const key of ['conversationId', 'seq', 'envelope', 'clientMsgId', 'state', 'token']) {
    if (random() < 0.4) object[key] = randomJson(random, depth - 1);
  }
  // A ping/sync with random extras could be valid; make sure every case is invalid.
  if (object.type === 'ping' || object.type === 'sync') object.seq = 'not allowed here';
  return object;
}
