import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Delivery, ExchangeType, QueueOptions, Transport } from '../src/transport/types.js';
import { gate, type TransportFixture } from './fixtures.js';

/**
 * The semantics both transports promise. Called once per transport
 * (memory.contract.test.ts, amqp.contract.test.ts): a difference between
 * RabbitMQ and the in-process broker fails here.
 */
export function transportContract(makeFixture: () => TransportFixture): void {
  describe('transport contract', () => {
    let fx: TransportFixture;
    let t: Transport;

    beforeAll(async () => {
      fx = makeFixture();
      t = await fx.connect();
    });
    afterAll(async () => {
      await fx.cleanup();
    });

    async function queue(label: string, options: QueueOptions = { durable: true }): Promise<string> {
      const name = fx.ns.unique(label);
      await t.assertQueue(name, options);
      return name;
    }

    async function exchange(label: string, type: ExchangeType): Promise<string> {
      const name = fx.ns.unique(label);
      await t.assertExchange(name, type, { durable: true });
      return name;
    }

    function send(exchangeName: string, routingKey: string, text: string, extra: object = {}): Promise<void> {
      return t.publish(exchangeName, routingKey, Buffer.from(text), { messageId: text, ...extra });
    }

    /**
     * Everything in the queue, in order, acked. A sentinel published after the
     * rest marks the end, so "nothing else arrived" is checked without waiting
     * for time to pass: whatever was confirmed before the sentinel is ahead of it.
     */
    async function contents(name: string): Promise<string[]> {
      const sentinel = `sentinel-${randomUUID()}`;
      await send('', name, sentinel);
      const seen: string[] = [];
      await vi.waitFor(async () => {
        for (let d = await t.get(name); d; d = await t.get(name)) {
          d.ack();
          const text = d.body.toString();
          if (text === sentinel) return;
          seen.push(text);
        }
        throw new Error('the sentinel has not arrived yet');
      });
      return seen;
    }

    it('routes by exact key on a direct exchange', async () => {
      const ex = await exchange('direct', 'direct');
      const red = await queue('red');
      const green = await queue('green');
      await t.bindQueue(red, ex, 'red');
      await t.bindQueue(green, ex, 'green');
      await send(ex, 'red', 'r1');
      await send(ex, 'green', 'g1');
      await send(ex, 'blue', 'b1');
      await send(ex, 'red.more', 'r2');
      expect(await contents(red)).toEqual(['r1']);
      expect(await contents(green)).toEqual(['g1']);
    });

    it('routes by pattern on a topic exchange: * is one word, # is zero or more', async () => {
      const ex = await exchange('topic', 'topic');
      const star = await queue('star');
      const hash = await queue('hash');
      const all = await queue('all');
      const middle = await queue('middle');
      await t.bindQueue(star, ex, 'user.*');
      await t.bindQueue(hash, ex, 'user.#');
      await t.bindQueue(all, ex, '#');
      await t.bindQueue(middle, ex, '*.created.v1');
      for (const key of ['user.1', 'user.1.device', 'user', 'order.created.v1', 'order.created.v1.x']) {
        await send(ex, key, key);
      }
      expect(await contents(star)).toEqual(['user.1']);
      expect(await contents(hash)).toEqual(['user.1', 'user.1.device', 'user']);
      expect(await contents(all)).toEqual([
        'user.1',
        'user.1.device',
        'user',
        'order.created.v1',
        'order.created.v1.x',
      ]);
      expect(await contents(middle)).toEqual(['order.created.v1']);
    });

    it('copies a message once per queue, however many of its bindings match', async () => {
      const ex = await exchange('overlap', 'topic');
      const q = await queue('overlap');
      await t.bindQueue(q, ex, 'a.*');
      await t.bindQueue(q, ex, '#');
      await t.bindQueue(q, ex, '#'); // binding twice is idempotent
      await send(ex, 'a.b', 'once');
      expect(await contents(q)).toEqual(['once']);
    });

    it('sends to every bound queue on a fanout exchange', async () => {
      const ex = await exchange('fanout', 'fanout');
      const a = await queue('fan-a');
      const b = await queue('fan-b');
      await t.bindQueue(a, ex, '');
      await t.bindQueue(b, ex, 'ignored');
      await send(ex, 'whatever', 'f1');
      expect(await contents(a)).toEqual(['f1']);
      expect(await contents(b)).toEqual(['f1']);
    });

    it('routes on the default exchange by queue name', async () => {
      const q = await queue('default');
      await send('', q, 'd1');
      expect(await contents(q)).toEqual(['d1']);
    });

    it('stops routing a key once it is unbound', async () => {
      const ex = await exchange('unbind', 'topic');
      const q = await queue('unbind');
      await t.bindQueue(q, ex, 'device.1');
      await t.bindQueue(q, ex, 'device.2');
      await send(ex, 'device.1', 'before');
      await t.unbindQueue(q, ex, 'device.1');
      await send(ex, 'device.1', 'after');
      await send(ex, 'device.2', 'other key still bound');
      expect(await contents(q)).toEqual(['before', 'other key still bound']);
    });

    it('resolves a publish once the broker holds the message', async () => {
      const q = await queue('confirm');
      await Promise.all(['c1', 'c2', 'c3'].map((text) => send('', q, text, { persistent: true })));
      expect((await t.queueInfo(q)).messageCount).toBe(3);
    });

    it('rejects an unroutable mandatory publish with BROKER_UNROUTABLE, and only that one', async () => {
      const ex = await exchange('mandatory', 'topic');
      const q = await queue('mandatory');
      await t.bindQueue(q, ex, 'bound');
      const results = await Promise.allSettled([
        send(ex, 'bound', 'm1', { mandatory: true }),
        send(ex, 'nobody', 'm2', { mandatory: true }),
        send(ex, 'bound', 'm3', { mandatory: true }),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(results[1]).toMatchObject({ reason: { code: 'BROKER_UNROUTABLE' } });
      await expect(send(ex, 'nobody', 'not mandatory')).resolves.toBeUndefined();
      await expect(send('', `${q}-missing`, 'm4', { mandatory: true })).rejects.toMatchObject({
        code: 'BROKER_UNROUTABLE',
      });
      expect(await contents(q)).toEqual(['m1', 'm3']);
    });

    it('rejects a publish to a missing exchange with BROKER_NOT_CONFIRMED, then publishes normally', async () => {
      const q = await queue('after-missing-exchange');
      await expect(send(fx.ns.unique('no-such-exchange'), 'k', 'lost')).rejects.toMatchObject({
        code: 'BROKER_NOT_CONFIRMED',
        message: expect.stringMatching(/NOT_FOUND/),
      });
      await send('', q, 'fine');
      expect(await contents(q)).toEqual(['fine']);
    });

    it('refuses to re-declare a queue or exchange with other settings', async () => {
      const q = await queue('conflict', { durable: true, arguments: { 'x-max-length': 10 } });
      await expect(
        t.assertQueue(q, { durable: true, arguments: { 'x-max-length': 10 } }),
      ).resolves.toBeUndefined();
      await expect(
        t.assertQueue(q, { durable: true, arguments: { 'x-max-length': 20 } }),
      ).rejects.toMatchObject({
        code: 'BROKER_TOPOLOGY_CONFLICT',
      });
      await expect(
        t.assertQueue(q, { durable: false, arguments: { 'x-max-length': 10 } }),
      ).rejects.toMatchObject({
        code: 'BROKER_TOPOLOGY_CONFLICT',
      });
      const ex = await exchange('conflict', 'topic');
      await expect(t.assertExchange(ex, 'direct', { durable: true })).rejects.toMatchObject({
        code: 'BROKER_TOPOLOGY_CONFLICT',
      });
      // The transport is still usable after a refusal.
      await send('', q, 'still fine');
      expect(await contents(q)).toEqual(['still fine']);
    });

    it('reports a missing queue as BROKER_NOT_FOUND', async () => {
      const missing = fx.ns.unique('missing');
      await expect(t.queueInfo(missing)).rejects.toMatchObject({ code: 'BROKER_NOT_FOUND' });
      await expect(t.get(missing)).rejects.toMatchObject({ code: 'BROKER_NOT_FOUND' });
      await expect(t.consume(missing, async () => {}, { prefetch: 1 })).rejects.toMatchObject({
        code: 'BROKER_NOT_FOUND',
      });
    });

    it('carries the message properties and headers', async () => {
      const q = await queue('props');
      await t.publish('', q, Buffer.from('{"a":1}'), {
        messageId: 'id-1',
        type: 'thing.happened.v1',
        contentType: 'application/json',
        headers: { 'x-count': 3, 'x-name': 'n', 'x-flag': true },
        persistent: true,
      });
      const d = await vi.waitFor(async () => {
        const got = await t.get(q);
        if (!got) throw new Error('not there yet');
        return got;
      });
      d.ack();
      expect(d.body.toString()).toBe('{"a":1}');
      expect(d.properties).toMatchObject({
        messageId: 'id-1',
        type: 'thing.happened.v1',
        contentType: 'application/json',
        persistent: true,
        headers: { 'x-count': 3, 'x-name': 'n', 'x-flag': true },
      });
      expect(d.exchange).toBe('');
      expect(d.routingKey).toBe(q);
      expect(d.redelivered).toBe(false);
    });

    it('acks; requeues a nacked message in its place and flags it redelivered', async () => {
      const q = await queue('requeue');
      await send('', q, 'first');
      await send('', q, 'second');
      const seen: Array<{ text: string; redelivered: boolean }> = [];
      let nacked = false;
      const sub = await t.consume(
        q,
        async (d) => {
          seen.push({ text: d.body.toString(), redelivered: d.redelivered });
          if (!nacked) {
            nacked = true;
            d.nack({ requeue: true });
          } else {
            d.ack();
          }
        },
        { prefetch: 1 },
      );
      await vi.waitFor(() => expect(seen).toHaveLength(3));
      await sub.cancel();
      expect(seen).toEqual([
        { text: 'first', redelivered: false },
        { text: 'first', redelivered: true },
        { text: 'second', redelivered: false },
      ]);
      // Cancelling requeues what is unsettled; nothing is, so the acks held.
      expect((await t.queueInfo(q)).messageCount).toBe(0);
    });

    it('dead-letters a rejected message with its x-death record', async () => {
      const dlx = await exchange('dlx', 'direct');
      const dead = await queue('dead');
      await t.bindQueue(dead, dlx, 'to-dead');
      const q = await queue('rejecting', {
        durable: true,
        arguments: { 'x-dead-letter-exchange': dlx, 'x-dead-letter-routing-key': 'to-dead' },
      });
      const noDlx = await queue('rejecting-without-dlx');
      await send('', q, 'bad');
      await send('', noDlx, 'dropped');
      for (const name of [q, noDlx]) {
        const d = await vi.waitFor(async () => {
          const got = await t.get(name);
          if (!got) throw new Error('not there yet');
          return got;
        });
        d.nack({ requeue: false });
      }
      const letter = await vi.waitFor(async () => {
        const got = await t.get(dead);
        if (!got) throw new Error('not dead-lettered yet');
        return got;
      });
      letter.ack();
      expect(letter.body.toString()).toBe('bad');
      expect(letter.exchange).toBe(dlx);
      expect(letter.routingKey).toBe('to-dead');
      expect(letter.properties.headers).toMatchObject({
        'x-first-death-reason': 'rejected',
        'x-first-death-queue': q,
        'x-death': [{ reason: 'rejected', queue: q, count: 1, exchange: '', 'routing-keys': [q] }],
      });
      expect(await contents(noDlx)).toEqual([]);
    });

    it('never has more unsettled deliveries than the prefetch', async () => {
      const q = await queue('prefetch');
      for (let i = 1; i <= 6; i++) await send('', q, `p${i}`);
      const held: Delivery[] = [];
      let maxHeld = 0;
      const done: string[] = [];
      const sub = await t.consume(
        q,
        async (d) => {
          held.push(d);
          maxHeld = Math.max(maxHeld, held.length);
        },
        { prefetch: 2 },
      );
      // With prefetch 2, two are out and four wait in the queue; a broken prefetch would hand out all six.
      await vi.waitFor(() => expect(held).toHaveLength(2));
      await vi.waitFor(async () => expect((await t.queueInfo(q)).messageCount).toBe(4));
      while (done.length < 6) {
        await vi.waitFor(() => expect(held.length).toBeGreaterThan(0));
        const d = held.shift();
        if (!d) continue;
        done.push(d.body.toString());
        d.ack();
      }
      await sub.cancel();
      expect(maxHeld).toBe(2);
      expect(done).toEqual(['p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
    });

    it('expires messages by per-message TTL and by queue TTL, dead-lettering them as expired', async () => {
      const dead = await queue('expired');
      const perMessage = await queue('ttl-message', {
        durable: true,
        arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': dead },
      });
      const perQueue = await queue('ttl-queue', {
        durable: true,
        arguments: { 'x-message-ttl': 50, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': dead },
      });
      await send('', perMessage, 'short', { expirationMs: 50 });
      await send('', perQueue, 'queue ttl');
      const letters: Delivery[] = [];
      const sub = await t.consume(
        dead,
        async (d) => {
          letters.push(d);
          d.ack();
        },
        { prefetch: 10 },
      );
      await vi.waitFor(() => expect(letters).toHaveLength(2));
      await sub.cancel();
      const byText = Object.fromEntries(letters.map((d) => [d.body.toString(), d]));
      expect(byText.short?.properties.headers).toMatchObject({
        'x-first-death-reason': 'expired',
        'x-death': [{ reason: 'expired', queue: perMessage, 'original-expiration': '50' }],
      });
      // A dead letter no longer carries the expiration that killed it.
      expect(byText.short?.properties.expirationMs).toBeUndefined();
      expect(byText['queue ttl']?.properties.headers).toMatchObject({
        'x-death': [{ reason: 'expired', queue: perQueue }],
      });
      expect((await t.queueInfo(perMessage)).messageCount).toBe(0);
      expect((await t.queueInfo(perQueue)).messageCount).toBe(0);
    });

    it('drops the oldest ready message beyond x-max-length, dead-lettering it as maxlen', async () => {
      const dead = await queue('overflow-dead');
      const q = await queue('bounded', {
        durable: true,
        arguments: { 'x-max-length': 2, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': dead },
      });
      for (const text of ['o1', 'o2', 'o3', 'o4']) await send('', q, text);
      // Not through contents(): its sentinel would push one more out.
      const kept: string[] = [];
      for (let d = await t.get(q); d; d = await t.get(q)) {
        kept.push(d.body.toString());
        d.ack();
      }
      expect(kept).toEqual(['o3', 'o4']);
      const dropped: Delivery[] = [];
      const sub = await t.consume(
        dead,
        async (d) => {
          dropped.push(d);
          d.ack();
        },
        { prefetch: 10 },
      );
      await vi.waitFor(() => expect(dropped).toHaveLength(2));
      await sub.cancel();
      expect(dropped.map((d) => d.body.toString())).toEqual(['o1', 'o2']);
      expect(dropped[0]?.properties.headers).toMatchObject({ 'x-death': [{ reason: 'maxlen', queue: q }] });
    });

    it('deletes a queue that stayed unused for x-expires', async () => {
      const q = await queue('expiring', { durable: false, arguments: { 'x-expires': 200 } });
      expect((await t.queueInfo(q)).messageCount).toBe(0);
      // Polled less often than the expiry, so the polling itself cannot keep the queue alive.
      await vi.waitFor(() => expect(t.queueInfo(q)).rejects.toMatchObject({ code: 'BROKER_NOT_FOUND' }), {
        timeout: 10_000,
        interval: 400,
      });
    });

    it('puts nacked gets back in their order', async () => {
      const q = await queue('order');
      for (const text of ['g1', 'g2', 'g3']) await send('', q, text);
      await vi.waitFor(async () => expect((await t.queueInfo(q)).messageCount).toBe(3));
      const taken: Delivery[] = [];
      for (let d = await t.get(q); d; d = await t.get(q)) taken.push(d);
      expect(taken.map((d) => d.body.toString())).toEqual(['g1', 'g2', 'g3']);
      for (const d of taken) d.nack({ requeue: true });
      expect(await contents(q)).toEqual(['g1', 'g2', 'g3']);
    });

    it('refuses to settle a delivery twice', async () => {
      const q = await queue('twice');
      await send('', q, 'x');
      const d = await vi.waitFor(async () => {
        const got = await t.get(q);
        if (!got) throw new Error('not there yet');
        return got;
      });
      d.ack();
      expect(() => d.ack()).toThrow(/already settled/);
      expect(() => d.nack({ requeue: true })).toThrow(/already settled/);
    });

    it('requeues the message of a handler that throws without settling', async () => {
      const q = await queue('throwing');
      await send('', q, 'boom');
      const seen: boolean[] = [];
      const sub = await t.consume(
        q,
        async (d) => {
          seen.push(d.redelivered);
          if (!d.redelivered) throw new Error('handler bug');
          d.ack();
        },
        { prefetch: 1 },
      );
      await vi.waitFor(() => expect(seen).toEqual([false, true]));
      await sub.cancel();
    });

    it('cancel stops deliveries and requeues what was left unsettled', async () => {
      const q = await queue('cancel');
      await send('', q, 'kept');
      const received: Delivery[] = [];
      const sub = await t.consume(
        q,
        async (d) => {
          received.push(d);
        },
        { prefetch: 1 },
      );
      await vi.waitFor(() => expect(received).toHaveLength(1));
      await sub.cancel({ timeoutMs: 1_000 });
      received[0]?.ack(); // too late: its channel is gone, so this does nothing
      await send('', q, 'after cancel');
      const left = await contents(q);
      expect(left).toEqual(['kept', 'after cancel']);
      expect(received).toHaveLength(1);
    });

    it('close waits for in-flight handlers to finish and settle', async () => {
      const own = await fx.connect();
      const q = await queue('graceful');
      await send('', q, 'slow');
      const release = gate();
      const events: string[] = [];
      await own.consume(
        q,
        async (d) => {
          events.push('started');
          await release.wait;
          d.ack();
          events.push('acked');
        },
        { prefetch: 1 },
      );
      await vi.waitFor(() => expect(events).toEqual(['started']));
      const closed = own.close({ timeoutMs: 10_000 }).then(() => events.push('closed'));
      release.open();
      await closed;
      expect(events).toEqual(['started', 'acked', 'closed']);
      expect(own.isConnected()).toBe(false);
      // The ack went through before the channel closed: nothing comes back.
      expect(await contents(q)).toEqual([]);
    });

    it('close gives up on a stuck handler after its timeout; the message goes to another consumer, redelivered', async () => {
      const stuck = await fx.connect();
      const q = await queue('stuck');
      await send('', q, 'job');
      const never = gate();
      let started = false;
      await stuck.consume(
        q,
        async () => {
          started = true;
          await never.wait;
        },
        { prefetch: 1 },
      );
      await vi.waitFor(() => expect(started).toBe(true));
      await stuck.close({ timeoutMs: 100 });
      const other: Array<{ text: string; redelivered: boolean }> = [];
      const sub = await t.consume(
        q,
        async (d) => {
          other.push({ text: d.body.toString(), redelivered: d.redelivered });
          d.ack();
        },
        { prefetch: 1 },
      );
      await vi.waitFor(() => expect(other).toEqual([{ text: 'job', redelivered: true }]));
      await sub.cancel();
      never.open();
    });

    it('shares a queue among consumers round-robin', async () => {
      const q = await queue('shared');
      const byConsumer: Record<string, string[]> = { a: [], b: [] };
      const subs = await Promise.all(
        (['a', 'b'] as const).map((who) =>
          t.consume(
            q,
            async (d) => {
              byConsumer[who]?.push(d.body.toString());
              d.ack();
            },
            { prefetch: 1 },
          ),
        ),
      );
      for (let i = 1; i <= 10; i++) await send('', q, `s${i}`);
      await vi.waitFor(() => expect((byConsumer.a?.length ?? 0) + (byConsumer.b?.length ?? 0)).toBe(10));
      await Promise.all(subs.map((s) => s.cancel()));
      expect(byConsumer.a?.length).toBeGreaterThan(0);
      expect(byConsumer.b?.length).toBeGreaterThan(0);
    });
  });
}
