import { randomUUID } from 'node:crypto';
import { DeliveryKeys } from '@im/contracts';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createTestAuth,
  newUser,
  startTestGateway,
  type TestAuth,
  type TestGateway,
  TestSocket,
  testBrokers,
} from './support/index.js';

/** mulberry32: a seeded PRNG, so a failing run can be replayed with its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = Number(process.env.FUZZ_SEED ?? 20261125);

interface Fuzz {
  data: string | Buffer;
  binary: boolean;
  /** The ref the error frame must echo (a short string ref in a JSON object). */
  ref?: string;
}

function fuzzFrames(count: number, random: () => number): Fuzz[] {
  const int = (max: number) => Math.floor(random() * max);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const text = (max: number) =>
    Array.from({ length: int(max) }, () =>
      String.fromCharCode(int(4) === 0 ? int(0xffff) : 32 + int(95)),
    ).join('');
  const json = (depth: number): unknown => {
    switch (int(depth > 0 ? 7 : 5)) {
      case 0:
        return random() * 1e12 - 5e11;
      case 1:
        return text(40);
      case 2:
        return random() < 0.5;
      case 3:
        return null;
      case 4:
        return int(2 ** 31);
      case 5:
        return Array.from({ length: int(5) }, () => json(depth - 1));
      default:
        return Object.fromEntries(Array.from({ length: int(5) }, () => [text(10), json(depth - 1)]));
    }
  };
  const wrong = () =>
    pick<unknown>([-7, -1, 1.5, 'not-a-uuid', '', null, true, [], {}, text(30), 'x'.repeat(5_000)]);
  const id = randomUUID();
  const frames: Fuzz[] = [];
  for (let i = 0; i < count; i++) {
    const ref = `fuzz-${i}`;
    const object = (fields: Record<string, unknown>): Fuzz => ({
      data: JSON.stringify({ ref, ...fields }),
      binary: false,
      ref,
    });
    switch (i % 10) {
      case 0: {
        // Any JSON value that is not an object.
        const value = pick<unknown>([[json(2)], json(0), text(20), int(1000), null, true]);
        frames.push({ data: JSON.stringify(value), binary: false });
        break;
      }
      case 1:
        frames.push(object({ [text(8)]: json(3) }));
        break;
      case 2:
        frames.push(object({ type: `${text(12)}.unknown`, payload: json(2) }));
        break;
      case 3:
        frames.push(object({ type: pick<unknown>([7, null, ['ping'], { t: 'ping' }, true]) }));
        break;
      case 4: {
        const base = pick([
          { type: 'ack', conversationId: id, seq: 3 },
          { type: 'read', conversationId: id, seq: 3 },
          { type: 'typing', conversationId: id, state: 'start' },
          { type: 'message.send', clientMsgId: id, conversationId: id, envelope: {} },
        ]);
        const field = pick(Object.keys(base).filter((k) => k !== 'type'));
        frames.push(object({ ...base, [field]: wrong() }));
        break;
      }
      case 5:
        frames.push(object({ type: 'message.send', clientMsgId: id, conversationId: id, envelope: json(3) }));
        break;
      case 6:
        frames.push(
          object({
            type: pick(['typing', 'auth', 'ack']),
            conversationId: 'x'.repeat(30_000),
            token: 'y'.repeat(30_000),
            state: 'start',
            seq: 1,
          }),
        );
        break;
      case 7:
        frames.push({
          data: Buffer.from(Array.from({ length: 1 + int(2_000) }, () => int(256))),
          binary: true,
        });
        break;
      case 8:
        frames.push({
          data: Buffer.from([
            0x7b,
            0x22,
            0xff,
            0xfe,
            ...Array.from({ length: int(100) }, () => 128 + int(128)),
          ]),
          binary: false,
        });
        break;
      default: {
        const valid = JSON.stringify({ type: 'ack', conversationId: id, seq: 9, ref });
        frames.push(
          pick<Fuzz>([
            { data: valid.slice(0, 1 + int(valid.length - 2)), binary: false },
            { data: `${'['.repeat(40_000)}${']'.repeat(40_000)}`, binary: false },
            { data: '', binary: false },
            { data: JSON.stringify({ type: 'ping', ref: 'r'.repeat(65) }), binary: false },
          ]),
        );
      }
    }
  }
  return frames;
}

const brokers = testBrokers('gw-fuzz');
let auth: TestAuth;
let gateway: TestGateway;

beforeAll(async () => {
  auth = await createTestAuth();
  gateway = await startTestGateway({
    brokers,
    auth,
    limits: { framesPerSecond: 100_000, frameBurst: 100_000 },
  });
});

afterAll(async () => {
  await gateway?.close();
  await brokers.closeAll();
});

describe(`fuzzed frames (seed ${SEED})`, () => {
  it('answers every malformed frame with one WS_BAD_FRAME error while another client keeps being served', async () => {
    const attackerUser = newUser();
    const attacker = await TestSocket.live(
      gateway.url,
      await auth.token(attackerUser.userId, attackerUser.deviceId),
    );
    const bystanderUser = newUser();
    const bystander = await TestSocket.live(
      gateway.url,
      await auth.token(bystanderUser.userId, bystanderUser.deviceId),
    );

    const frames = fuzzFrames(600, prng(SEED));
    for (let start = 0; start < frames.length; start += 100) {
      for (const frame of frames.slice(start, start + 100)) attacker.sendRaw(frame.data, frame.binary);
      // The bystander is served between the waves: pings and a frame routed to it through the broker.
      await bystander.roundTrip(`bystander-${start}`);
      await gateway.broker.publish(
        'delivery.frame.v1',
        { frame: { type: 'broadcast', text: `wave ${start}`, from: 'test', at: new Date().toISOString() } },
        { routingKey: DeliveryKeys.device(bystanderUser.deviceId) },
      );
      await bystander.waitFor('broadcast', (f) => f.text === `wave ${start}`);
    }

    await vi.waitFor(() => expect(attacker.of('error')).toHaveLength(frames.length), { timeout: 20_000 });
    const errors = attacker.of('error');
    expect(new Set(errors.map((e) => e.code))).toEqual(new Set(['WS_BAD_FRAME']));
    const echoed = new Set(errors.map((e) => e.ref).filter(Boolean));
    for (const frame of frames) if (frame.ref) expect(echoed.has(frame.ref), frame.ref).toBe(true);
    expect(attacker.invalid).toEqual([]);
    expect(attacker.closed).toBeUndefined();
    await attacker.roundTrip('attacker-still-served');
    await Promise.all([attacker.close(), bystander.close()]);
  });

  it('answers garbage before authentication with an error frame and still accepts the auth frame after it', async () => {
    const user = newUser();
    const socket = await TestSocket.open(gateway.url);
    socket.sendRaw(Buffer.from([0xde, 0xad, 0xbe, 0xef]), true);
    socket.sendRaw('{"type":');
    socket.send({ type: 'auth', ref: 'bad-token-type', token: 42 });
    await vi.waitFor(() => expect(socket.of('error')).toHaveLength(3));
    expect(socket.of('error').map((e) => e.code)).toEqual(['WS_BAD_FRAME', 'WS_BAD_FRAME', 'WS_BAD_FRAME']);
    socket.send({ type: 'auth', ref: 'real', token: await auth.token(user.userId, user.deviceId) });
    await socket.waitFor('sync.done', (f) => f.ref === 'real');
    await socket.close();
  });
});
