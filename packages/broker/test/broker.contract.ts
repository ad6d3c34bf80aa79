import { randomUUID } from 'node:crypto';
import { AppError, type MessagePayload, type QueueSpec, Queues } from '@im/contracts';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Broker, MessageContext } from '../src/broker.js';
import { gate, type TransportFixture } from './fixtures.js';

/** A queue of the test's own, bound like a service queue would be. */
function testQueue(overrides: Partial<QueueSpec> = {}): QueueSpec {
  return {
    name: 'svc.events',
    description: 'test queue',
    bindings: [{ exchange: 'events', keys: ['user.registered.v1', 'session.revoked.v1'] }],
    durable: true,
    maxAttempts: 3,
    prefetch: 10,
    ...overrides,
  };
}

function userRegistered(username = 'alice'): MessagePayload<'user.registered.v1'> {
  return { userId: randomUUID(), username, registeredAt: new Date().toISOString() };
}

/** The typed broker's promises, on whichever transport the fixture provides. */
export function brokerContract(makeFixture: () => TransportFixture): void {
  describe('broker contract', () => {
    let fx: TransportFixture;

    beforeAll(() => {
      fx = makeFixture();
    });
    afterAll(async () => {
      await fx.cleanup();
    });

    /** Every dead letter of the queue, as the operator's listing shows them. */
    async function deadLetters(broker: Broker, queue: QueueSpec) {
      return broker.listDeadLetters(queue, { limit: 100 });
    }

    it('publishes a validated envelope and hands the typed payload and context to its handler', async () => {
      const broker = await fx.broker();
      const queue = testQueue();
      const received: Array<{ data: MessagePayload<'user.registered.v1'>; ctx: MessageContext }> = [];
      await broker.consume(queue, {
        'user.registered.v1': async (data, ctx) => {
          received.push({ data, ctx });
        },
      });
      const data = userRegistered();
      const { messageId } = await broker.publish('user.registered.v1', data, {
        headers: { 'x-trace': 't-1' },
      });
      await vi.waitFor(() => expect(received).toHaveLength(1));
      expect(received[0]?.data).toEqual(data);
      expect(received[0]?.ctx).toMatchObject({
        name: 'user.registered.v1',
        messageId,
        routingKey: 'user.registered.v1',
        redelivered: false,
        attempt: 1,
        maxAttempts: 3,
        headers: { 'x-trace': 't-1' },
      });
    });

    it('puts the documented envelope and AMQP properties on the wire', async () => {
      const broker = await fx.broker();
      const raw = `${broker.namespace}.raw`;
      await broker.declareTopology();
      await broker.transport.assertQueue(raw, { durable: true });
      await broker.transport.bindQueue(raw, broker.exchangeName('events'), '#');
      const data = userRegistered();
      const { messageId } = await broker.publish('user.registered.v1', data, { messageId: 'fixed-id-1' });
      expect(messageId).toBe('fixed-id-1');
      const d = await vi.waitFor(async () => {
        const got = await broker.transport.get(raw);
        if (!got) throw new Error('not there yet');
        return got;
      });
      d.ack();
      expect(JSON.parse(d.body.toString())).toEqual({
        id: 'fixed-id-1',
        type: 'user.registered.v1',
        occurredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        data,
      });
      expect(d.properties).toMatchObject({
        messageId: 'fixed-id-1',
        type: 'user.registered.v1',
        contentType: 'application/json',
        persistent: true,
      });
      expect(d.exchange).toBe(broker.exchangeName('events'));
      expect(d.routingKey).toBe('user.registered.v1');
    });

    it('refuses invalid data on publish and sends nothing', async () => {
      const broker = await fx.broker();
      const queue = testQueue();
      const seen: string[] = [];
      await broker.consume(queue, {
        'user.registered.v1': async (data) => {
          seen.push(data.username);
        },
      });
      const invalid = { ...userRegistered('bad'), userId: 'not-a-uuid' };
      // @ts-expect-error a payload without its required fields does not compile either
      const incomplete: MessagePayload<'user.registered.v1'> = { username: 'x' };
      await expect(broker.publish('user.registered.v1', invalid)).rejects.toMatchObject({
        code: 'BROKER_INVALID_MESSAGE',
      });
      await expect(broker.publish('user.registered.v1', incomplete)).rejects.toBeInstanceOf(AppError);
      await broker.publish('user.registered.v1', userRegistered('good'));
      await vi.waitFor(() => expect(seen).toEqual(['good']));
    });

    it('requires an explicit routing key for delivery frames and routes by it', async () => {
      const broker = await fx.broker();
      const gatewayQueue = testQueue({ name: 'gw', bindings: [{ exchange: 'delivery', keys: ['user.u1'] }] });
      const frames: string[] = [];
      await broker.consume(gatewayQueue, {
        'delivery.frame.v1': async (data, ctx) => {
          frames.push(`${ctx.routingKey}:${data.frame.type}`);
        },
      });
      const frame = {
        frame: { type: 'broadcast' as const, text: 'hello', from: 'ops', at: new Date().toISOString() },
      };
      // @ts-expect-error the delivery exchange has no default routing key
      await expect(broker.publish('delivery.frame.v1', frame)).rejects.toMatchObject({
        code: 'BROKER_INVALID_MESSAGE',
      });
      await broker.publish('delivery.frame.v1', frame, { routingKey: 'user.u2' }); // nobody bound: dropped
      await broker.publish('delivery.frame.v1', frame, { routingKey: 'user.u1' });
      await vi.waitFor(() => expect(frames).toEqual(['user.u1:broadcast']));
    });

    it('makes an unroutable command an error to its publisher (commands are mandatory)', async () => {
      const broker = await fx.broker();
      await broker.declareTopology();
      await broker.unbindQueue(Queues.messageCommands, 'commands', 'receipt.record.v1');
      await expect(
        broker.publish('receipt.record.v1', {
          conversationId: randomUUID(),
          userId: randomUUID(),
          deviceId: randomUUID(),
          kind: 'read',
          seq: 1,
        }),
      ).rejects.toMatchObject({ code: 'BROKER_UNROUTABLE' });
    });

    it('binds and unbinds routing keys at run time', async () => {
      const broker = await fx.broker();
      const queue = testQueue({ name: 'gw-dynamic', bindings: [{ exchange: 'delivery', keys: [] }] });
      const keys: string[] = [];
      await broker.consume(queue, {
        'delivery.frame.v1': async (_data, ctx) => {
          keys.push(ctx.routingKey);
        },
      });
      const frame = { frame: { type: 'pong' as const, ref: 'r1', serverTime: new Date().toISOString() } };
      await broker.bindQueue(queue, 'delivery', 'device.d1');
      await broker.publish('delivery.frame.v1', frame, { routingKey: 'device.d1' });
      await vi.waitFor(() => expect(keys).toEqual(['device.d1']));
      await broker.unbindQueue(queue, 'delivery', 'device.d1');
      await broker.bindQueue(queue, 'delivery', 'device.d2');
      await broker.publish('delivery.frame.v1', frame, { routingKey: 'device.d1' });
      await broker.publish('delivery.frame.v1', frame, { routingKey: 'device.d2' });
      await vi.waitFor(() => expect(keys).toEqual(['device.d1', 'device.d2']));
    });

    it('dead-letters an invalid message at once without calling a handler', async () => {
      const broker = await fx.broker();
      const queue = testQueue();
      const handled: string[] = [];
      await broker.consume(queue, {
        'user.registered.v1': async (data) => {
          handled.push(data.username);
        },
      });
      const exchange = broker.exchangeName('events');
      const send = (body: string) =>
        broker.transport.publish(exchange, 'user.registered.v1', Buffer.from(body), {
          messageId: randomUUID(),
        });
      await send('not json');
      await send(JSON.stringify({ hello: 'not an envelope' }));
      await send(
        JSON.stringify({
          id: 'e1',
          type: 'user.registered.v1',
          occurredAt: new Date().toISOString(),
          data: { username: 'missing fields' },
        }),
      );
      await broker.publish('user.registered.v1', userRegistered('valid'));
      await vi.waitFor(async () => expect(await deadLetters(broker, queue)).toHaveLength(3));
      expect(handled).toEqual(['valid']);
      const letters = await deadLetters(broker, queue);
      expect(letters.map((l) => l.error.code)).toEqual([
        'BROKER_INVALID_MESSAGE',
        'BROKER_INVALID_MESSAGE',
        'BROKER_INVALID_MESSAGE',
      ]);
      expect(letters[0]).toMatchObject({ body: 'not json', envelope: undefined, attempts: 1 });
      expect(letters[2]?.error.message).toMatch(/userId/);
    });

    it('dead-letters a message its consumer has no handler for', async () => {
      const broker = await fx.broker();
      const queue = testQueue();
      await broker.consume(queue, { 'session.revoked.v1': async () => {} });
      await broker.publish('user.registered.v1', userRegistered());
      await vi.waitFor(async () =>
        expect(await deadLetters(broker, queue)).toMatchObject([
          { name: 'user.registered.v1', error: { code: 'BROKER_NO_HANDLER' } },
        ]),
      );
    });

    it('retries a failed handler with backoff, counting attempts, until it succeeds', async () => {
      const broker = await fx.broker();
      const queue = testQueue();
      const attempts: Array<{ attempt: number; routingKey: string; at: number }> = [];
      await broker.consume(queue, {
        'user.registered.v1': async (_data, ctx) => {
          attempts.push({ attempt: ctx.attempt, routingKey: ctx.routingKey, at: Date.now() });
          if (ctx.attempt < 3) throw new Error(`transient failure ${ctx.attempt}`);
        },
      });
      await broker.publish('user.registered.v1', userRegistered());
      await vi.waitFor(() => expect(attempts).toHaveLength(3));
      expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
      // The original routing key survives the trip through the retry queue.
      expect(attempts.map((a) => a.routingKey)).toEqual(Array(3).fill('user.registered.v1'));
      expect(await deadLetters(broker, queue)).toEqual([]);
    });

    it('dead-letters a poison message after maxAttempts, with the error in its headers', async () => {
      const broker = await fx.broker();
      const queue = testQueue({ maxAttempts: 4 });
      const attempts: number[] = [];
      await broker.consume(queue, {
        'user.registered.v1': async (_data, ctx) => {
          attempts.push(ctx.attempt);
          throw new Error('database said no');
        },
      });
      const { messageId } = await broker.publish('user.registered.v1', userRegistered());
      await vi.waitFor(async () => expect(await deadLetters(broker, queue)).toHaveLength(1));
      expect(attempts).toEqual([1, 2, 3, 4]);
      const [letter] = await deadLetters(broker, queue);
      expect(letter).toMatchObject({
        messageId,
        name: 'user.registered.v1',
        exchange: broker.exchangeName('events'),
        routingKey: 'user.registered.v1',
        attempts: 4,
        error: { code: 'INTERNAL', message: 'database said no' },
        replayCount: 0,
      });
      expect(letter?.failedAt).toMatch(/^\d{4}-/);
      expect(letter?.envelope?.id).toBe(messageId);
      // Listing leaves the dead letter where it was.
      expect(await deadLetters(broker, queue)).toHaveLength(1);
    });

    it('dead-letters a non-retryable AppError at once', async () => {
      const broker = await fx.broker();
      const queue = testQueue();
      const attempts: number[] = [];
      await broker.consume(queue, {
        'user.registered.v1': async (_data, ctx) => {
          attempts.push(ctx.attempt);
          throw new AppError('MSG_NOT_MEMBER');
        },
      });
      await broker.publish('user.registered.v1', userRegistered());
      await vi.waitFor(async () =>
        expect(await deadLetters(broker, queue)).toMatchObject([
          { attempts: 1, error: { code: 'MSG_NOT_MEMBER' } },
        ]),
      );
      expect(attempts).toEqual([1]);
    });

    it('replays dead letters to their queue with a fresh attempt count', async () => {
      const broker = await fx.broker();
      const queue = testQueue({ maxAttempts: 2 });
      let healthy = false;
      const handled: Array<{ username: string; attempt: number; replays: unknown }> = [];
      await broker.consume(queue, {
        'user.registered.v1': async (data, ctx) => {
          if (!healthy) throw new Error('dependency down');
          handled.push({
            username: data.username,
            attempt: ctx.attempt,
            replays: ctx.headers['x-replay-count'],
          });
        },
      });
      for (const name of ['u1', 'u2', 'u3']) await broker.publish('user.registered.v1', userRegistered(name));
      await vi.waitFor(async () => expect(await deadLetters(broker, queue)).toHaveLength(3));
      healthy = true;
      expect(await broker.replayDeadLetters(queue, { limit: 2 })).toEqual({ replayed: 2 });
      await vi.waitFor(() => expect(handled).toHaveLength(2));
      expect(await deadLetters(broker, queue)).toHaveLength(1);
      expect(await broker.replayDeadLetters(queue)).toEqual({ replayed: 1 });
      await vi.waitFor(() => expect(handled).toHaveLength(3));
      expect(handled.map((h) => h.username).sort()).toEqual(['u1', 'u2', 'u3']);
      expect(handled.every((h) => h.attempt === 1 && h.replays === 1)).toBe(true);
      expect(await broker.replayDeadLetters(queue)).toEqual({ replayed: 0 });
    });

    it('keeps namespaces apart on one broker', async () => {
      const a = await fx.broker();
      const b = await fx.broker();
      const queue = testQueue();
      const seenByB: string[] = [];
      await a.declareQueue(queue);
      await b.consume(queue, {
        'user.registered.v1': async (data) => {
          seenByB.push(data.username);
        },
      });
      await a.publish('user.registered.v1', userRegistered('for-a'));
      await b.publish('user.registered.v1', userRegistered('for-b'));
      await vi.waitFor(() => expect(seenByB).toEqual(['for-b']));
      expect((await a.transport.queueInfo(a.queueNames(queue).main)).messageCount).toBe(1);
    });

    it('declares the fixed topology with retry and dead-letter queues', async () => {
      const broker = await fx.broker();
      await broker.declareTopology();
      await broker.declareTopology(); // idempotent
      for (const spec of Object.values(Queues)) {
        const names = broker.queueNames(spec);
        await expect(broker.transport.queueInfo(names.main)).resolves.toMatchObject({ messageCount: 0 });
        await expect(broker.transport.queueInfo(names.deadLetter)).resolves.toMatchObject({
          messageCount: 0,
        });
        if (spec.maxAttempts > 1)
          await expect(broker.transport.queueInfo(names.retry)).resolves.toBeDefined();
      }
    });

    it('close waits for the in-flight handler, which acks', async () => {
      const broker = await fx.broker();
      const queue = testQueue();
      const release = gate();
      const events: string[] = [];
      await broker.consume(queue, {
        'user.registered.v1': async () => {
          events.push('started');
          await release.wait;
          events.push('finished');
        },
      });
      await broker.publish('user.registered.v1', userRegistered());
      await vi.waitFor(() => expect(events).toEqual(['started']));
      const closed = broker.close({ timeoutMs: 10_000 }).then(() => events.push('closed'));
      release.open();
      await closed;
      expect(events).toEqual(['started', 'finished', 'closed']);
      expect(broker.isConnected()).toBe(false);
      const inspector = await fx.broker({ namespace: broker.namespace });
      expect((await inspector.transport.queueInfo(inspector.queueNames(queue).main)).messageCount).toBe(0);
    });
  });
}
