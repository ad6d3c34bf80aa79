import { randomUUID } from 'node:crypto';
import type { MessagePayload, QueueSpec } from '@im/contracts';
import { amqpTarget, amqpUrl, amqpUrlVia, brokerNamespace, startTcpProxy, type TcpProxy } from '@im/testkit';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createBroker } from '../src/broker.js';
import { type AmqpTransport, type AmqpTransportOptions, connectAmqp } from '../src/transport/amqp.js';
import type { Delivery } from '../src/transport/types.js';
import { fastRetry, gate, testLogger } from './fixtures.js';

/**
 * What only a real RabbitMQ connection can get wrong: consumers dying, the
 * network failing under publishers and consumers, stalled sockets. Each
 * client under test reaches RabbitMQ through its own fault-injecting proxy,
 * so cutting it disturbs no other test file.
 */
describe('RabbitMQ faults', () => {
  const ns = brokerNamespace('broker-faults');
  const transports: AmqpTransport[] = [];
  const proxies: TcpProxy[] = [];

  afterAll(async () => {
    await Promise.all(transports.map((t) => t.close({ timeoutMs: 1_000 })));
    for (const t of transports) ns.track(t.declaredNames());
    await ns.cleanup();
    await Promise.all(proxies.map((p) => p.close()));
  });

  async function proxy(): Promise<TcpProxy> {
    const p = await startTcpProxy({ target: amqpTarget() });
    proxies.push(p);
    return p;
  }

  async function open(url: string, options: Partial<AmqpTransportOptions> = {}): Promise<AmqpTransport> {
    const transport = await connectAmqp({
      url,
      logger: testLogger(),
      connectionName: 'broker-fault-tests',
      reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
      connectionWaitMs: 10_000,
      confirmTimeoutMs: 10_000,
      ...options,
    });
    transports.push(transport);
    return transport;
  }

  const direct = (options?: Partial<AmqpTransportOptions>) => open(amqpUrl(), options);
  const via = (p: TcpProxy, options?: Partial<AmqpTransportOptions>) =>
    open(amqpUrlVia(p.host, p.port), options);

  async function getOne(t: AmqpTransport, queue: string): Promise<Delivery> {
    return vi.waitFor(async () => {
      const d = await t.get(queue);
      if (!d) throw new Error(`nothing in ${queue} yet`);
      return d;
    });
  }

  it('redelivers the message of a consumer whose connection died mid-handling to another consumer', async () => {
    const p = await proxy();
    const dying = await via(p);
    const healthy = await direct();
    const queue = ns.unique('work');
    await healthy.assertQueue(queue, { durable: true });
    await healthy.publish('', queue, Buffer.from('job'), { messageId: 'job', persistent: true });

    const never = gate();
    let started = false;
    await dying.consume(
      queue,
      async (d) => {
        started = true;
        await never.wait;
        d.ack(); // too late: the connection is gone, so this does nothing
      },
      { prefetch: 1 },
    );
    await vi.waitFor(() => expect(started).toBe(true));
    p.refuse(); // it stays dead: the message cannot come back to it
    p.cutAll();

    const seen: Array<{ text: string; redelivered: boolean }> = [];
    await healthy.consume(
      queue,
      async (d) => {
        seen.push({ text: d.body.toString(), redelivered: d.redelivered });
        d.ack();
      },
      { prefetch: 1 },
    );
    await vi.waitFor(() => expect(seen).toEqual([{ text: 'job', redelivered: true }]));
    expect(dying.isConnected()).toBe(false);
    never.open();
  });

  it('loses no confirmed message when connections are cut while publishing and consuming; both sides resume', async () => {
    const p = await proxy();
    const publisher = await via(p);
    const consumer = await via(p);
    const queue = ns.unique('stream');
    await publisher.assertQueue(queue, { durable: true });

    const received = new Set<string>();
    await consumer.consume(
      queue,
      async (d) => {
        received.add(d.body.toString());
        d.ack();
      },
      { prefetch: 20 },
    );

    const total = 400;
    const cutWhenConfirmed = new Set([100, 250]);
    const confirmed = new Set<string>();
    const rejections: string[] = [];
    const publishUntilConfirmed = async (id: string) => {
      for (;;) {
        try {
          await publisher.publish('', queue, Buffer.from(id), {
            messageId: id,
            persistent: true,
            mandatory: true,
          });
          confirmed.add(id);
          // Cut while the other publishers have messages in flight and the consumer is busy.
          if (cutWhenConfirmed.delete(confirmed.size)) p.cutAll();
          return;
        } catch (error) {
          // The publisher is told; it may retry (consumers deduplicate by message id).
          rejections.push((error as { code?: string }).code ?? String(error));
        }
      }
    };
    const workers = 8;
    await Promise.all(
      Array.from({ length: workers }, async (_, w) => {
        for (let i = w; i < total; i += workers) await publishUntilConfirmed(`m${i}`);
      }),
    );

    expect(confirmed.size).toBe(total);
    await vi.waitFor(() => expect([...confirmed].filter((id) => !received.has(id))).toEqual([]), {
      timeout: 20_000,
    });
    // The cuts caught publishes in flight; each was reported, none was lost quietly.
    expect(cutWhenConfirmed.size).toBe(0);
    expect(rejections.length).toBeGreaterThan(0);
    expect(new Set(rejections)).toEqual(new Set(['BROKER_NOT_CONFIRMED']));
    // Both came back by themselves, twice.
    await vi.waitFor(() => expect(publisher.isConnected() && consumer.isConnected()).toBe(true));
    expect(publisher.connectionCount).toBe(3);
    expect(consumer.connectionCount).toBe(3);
  });

  it('restores exchanges, queues and dynamic bindings after reconnecting, even when the broker lost them', async () => {
    const p = await proxy();
    const gateway = await via(p);
    const admin = await direct();
    const exchange = ns.unique('delivery');
    const queue = ns.unique('gateway');
    await gateway.assertExchange(exchange, 'topic', { durable: true });
    await gateway.assertQueue(queue, { durable: false, arguments: { 'x-expires': 60_000 } });
    await gateway.bindQueue(queue, exchange, 'device.1');
    await gateway.bindQueue(queue, exchange, 'device.2');
    await gateway.unbindQueue(queue, exchange, 'device.2');
    const keys: string[] = [];
    await gateway.consume(
      queue,
      async (d) => {
        keys.push(d.routingKey);
        d.ack();
      },
      { prefetch: 10 },
    );

    p.refuse();
    p.cutAll();
    await vi.waitFor(() => expect(gateway.isConnected()).toBe(false));
    // What a broker restart does to a transient queue (and to anything not declared again).
    await admin.deleteQueue(queue);
    await admin.deleteExchange(exchange);
    p.accept();

    await vi.waitFor(() => expect(gateway.isConnected()).toBe(true), { timeout: 10_000 });
    await admin.publish(exchange, 'device.1', Buffer.from('live'), { messageId: 'live', mandatory: true });
    await expect(
      admin.publish(exchange, 'device.2', Buffer.from('unbound'), { messageId: 'unbound', mandatory: true }),
    ).rejects.toMatchObject({ code: 'BROKER_UNROUTABLE' });
    await vi.waitFor(() => expect(keys).toEqual(['device.1']));
  });

  it('holds publishes while reconnecting, and fails them once the wait runs out', async () => {
    const p = await proxy();
    const patient = await via(p, { connectionWaitMs: 10_000 });
    const hasty = await via(p, { connectionWaitMs: 200 });
    const queue = ns.unique('held');
    await patient.assertQueue(queue, { durable: true });

    p.refuse();
    p.cutAll();
    await vi.waitFor(() => expect(patient.isConnected() || hasty.isConnected()).toBe(false));
    const held = patient.publish('', queue, Buffer.from('held'), { messageId: 'held', persistent: true });
    await expect(
      hasty.publish('', queue, Buffer.from('hasty'), { messageId: 'hasty', persistent: true }),
    ).rejects.toMatchObject({
      code: 'BROKER_NOT_CONFIRMED',
      message: expect.stringMatching(/No connection/),
    });
    await expect(hasty.queueInfo(queue)).rejects.toMatchObject({ code: 'BROKER_UNAVAILABLE' });
    p.accept();

    await held;
    const d = await getOne(patient, queue);
    d.ack();
    expect(d.body.toString()).toBe('held');
    await vi.waitFor(() => expect(hasty.isConnected()).toBe(true), { timeout: 10_000 });
    await expect(
      hasty.publish('', queue, Buffer.from('later'), { messageId: 'later', mandatory: true }),
    ).resolves.toBeUndefined();
  });

  it('fails a publish whose confirm was lost with the connection, instead of dropping it silently', async () => {
    const p = await proxy();
    const t = await via(p);
    const queue = ns.unique('unconfirmed');
    await t.assertQueue(queue, { durable: true });
    p.pause(); // the publish leaves the client but neither it nor its confirm gets through
    const inFlight = t.publish('', queue, Buffer.from('x'), { messageId: 'x', persistent: true });
    p.cutAll();
    p.resume();
    await expect(inFlight).rejects.toMatchObject({ code: 'BROKER_NOT_CONFIRMED' });
    await vi.waitFor(() => expect(t.isConnected()).toBe(true), { timeout: 10_000 });
    await expect(t.publish('', queue, Buffer.from('y'), { messageId: 'y' })).resolves.toBeUndefined();
  });

  it('notices a stalled connection by its heartbeat and recovers when the network does', async () => {
    const p = await proxy();
    const t = await via(p, { heartbeatSeconds: 1, connectTimeoutMs: 1_000 });
    const queue = ns.unique('heartbeat');
    await t.assertQueue(queue, { durable: true });
    p.pause();
    await vi.waitFor(() => expect(t.isConnected()).toBe(false), { timeout: 15_000, interval: 200 });
    p.resume();
    await vi.waitFor(() => expect(t.isConnected()).toBe(true), { timeout: 15_000, interval: 200 });
    await t.publish('', queue, Buffer.from('after'), { messageId: 'after' });
    const d = await getOne(t, queue);
    d.ack();
    expect(d.body.toString()).toBe('after');
    expect(t.connectionCount).toBeGreaterThanOrEqual(2);
  });

  it('dead-letters a poison message after maxAttempts even when the connection drops between attempts', async () => {
    const p = await proxy();
    const namespace = ns.unique('poison');
    const options = { logger: testLogger(), instanceId: 'faults', namespace, retry: fastRetry };
    // The consumer goes through the proxy; the publisher and the operator do not.
    const consuming = createBroker({ ...options, transport: await via(p) });
    const broker = createBroker({ ...options, transport: await direct() });
    const queue: QueueSpec = {
      name: 'poisoned',
      description: 'test',
      bindings: [{ exchange: 'events', keys: ['user.registered.v1'] }],
      durable: true,
      maxAttempts: 3,
      prefetch: 5,
    };
    const attempts: Array<{ attempt: number; redelivered: boolean }> = [];
    let cut = false;
    await consuming.consume(queue, {
      'user.registered.v1': async (_data, ctx) => {
        attempts.push({ attempt: ctx.attempt, redelivered: ctx.redelivered });
        if (!cut) {
          cut = true;
          p.cutAll(); // dies mid-handling: neither the retry nor the ack gets out
        }
        throw new Error('poison');
      },
    });
    const data: MessagePayload<'user.registered.v1'> = {
      userId: randomUUID(),
      username: 'poison',
      registeredAt: new Date().toISOString(),
    };
    await broker.publish('user.registered.v1', data);
    await vi.waitFor(async () => expect(await broker.listDeadLetters(queue)).toHaveLength(1), {
      timeout: 15_000,
    });
    const [letter] = await broker.listDeadLetters(queue);
    expect(letter).toMatchObject({ attempts: 3, error: { message: 'poison' } });
    // The first attempt ran twice (the cut undid it); retries counted only real failures.
    expect(attempts).toEqual([
      { attempt: 1, redelivered: false },
      { attempt: 1, redelivered: true },
      { attempt: 2, redelivered: false },
      { attempt: 3, redelivered: false },
    ]);
  });
});
