import { AppError } from '@im/contracts';
import type { BrokerLogger } from '../logger.js';
import { nullLogger } from '../logger.js';
import { bindingMatches } from './routing.js';
import { DEFAULT_CLOSE_TIMEOUT_MS, InFlight, SettleOnceDelivery } from './shared.js';
import type {
  CloseOptions,
  ConsumeOptions,
  DeclaredNames,
  Delivery,
  DeliveryHandler,
  DeliveryProperties,
  ExchangeOptions,
  ExchangeType,
  Headers,
  PublishOptions,
  QueueArguments,
  QueueInfo,
  QueueOptions,
  Subscription,
  Transport,
} from './types.js';

/**
 * An in-process message broker with RabbitMQ's semantics for what the system
 * uses: direct, topic and fanout exchanges, the default exchange, bindings,
 * per-consumer prefetch, ack / nack / requeue (back to its place, flagged
 * redelivered), per-message and per-queue TTL (checked at the head of the
 * queue, as RabbitMQ does), max length (drop-head), queue expiry, and
 * dead-lettering with `x-death` headers.
 *
 * One `MemoryBroker` per process plays the RabbitMQ server; each service gets
 * its own `MemoryTransport` on it, the way each would hold its own connection.
 * Nothing is written to disk: "durable" is kept only so that re-declaring with
 * other settings fails the same way.
 */
export class MemoryBroker {
  readonly #exchanges = new Map<string, MemoryExchange>();
  readonly #queues = new Map<string, MemoryQueue>();
  #nextSeq = 1;

  assertExchange(name: string, type: ExchangeType, options: ExchangeOptions): void {
    if (name === '' || name.startsWith('amq.')) {
      throw new AppError('BROKER_TOPOLOGY_CONFLICT', `ACCESS_REFUSED - exchange name '${name}' is reserved`);
    }
    const existing = this.#exchanges.get(name);
    if (existing) {
      if (existing.type !== type) throw inequivalent('type', 'exchange', name);
      if (existing.durable !== options.durable) throw inequivalent('durable', 'exchange', name);
      return;
    }
    this.#exchanges.set(name, { name, type, durable: options.durable, bindings: [] });
  }

  deleteExchange(name: string): void {
    this.#exchanges.delete(name);
  }

  assertQueue(name: string, options: QueueOptions): void {
    const existing = this.#queues.get(name);
    if (existing) {
      if (existing.durable !== options.durable) throw inequivalent('durable', 'queue', name);
      const before = existing.args;
      const after = options.arguments ?? {};
      for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
        const k = key as keyof QueueArguments;
        if (before[k] !== after[k]) throw inequivalent(key, 'queue', name);
      }
      this.#touch(existing);
      return;
    }
    const queue = new MemoryQueue(name, options.durable, options.arguments ?? {});
    this.#queues.set(name, queue);
    this.#touch(queue);
  }

  deleteQueue(name: string): void {
    const queue = this.#queues.get(name);
    if (!queue) return;
    this.#queues.delete(name);
    queue.deleted = true;
    clearTimeout(queue.expiryTimer);
    clearTimeout(queue.headTimer);
    for (const exchange of this.#exchanges.values()) {
      exchange.bindings = exchange.bindings.filter((b) => b.queue !== name);
    }
    for (const consumer of queue.consumers) consumer.onServerCancel();
    queue.consumers.length = 0;
    queue.ready.length = 0;
  }

  bindQueue(queue: string, exchange: string, routingKey: string): void {
    const target = this.#exchangeForBinding(exchange);
    this.#queue(queue);
    if (!target.bindings.some((b) => b.queue === queue && b.key === routingKey)) {
      target.bindings.push({ queue, key: routingKey });
    }
  }

  unbindQueue(queue: string, exchange: string, routingKey: string): void {
    const target = this.#exchangeForBinding(exchange);
    this.#queue(queue);
    target.bindings = target.bindings.filter((b) => !(b.queue === queue && b.key === routingKey));
  }

  publish(exchange: string, routingKey: string, body: Buffer, options: PublishOptions): void {
    if (exchange !== '' && !this.#exchanges.has(exchange)) {
      throw new AppError('BROKER_NOT_CONFIRMED', `NOT_FOUND - no exchange '${exchange}'`, { exchange });
    }
    const targets = this.#route(exchange, routingKey);
    if (targets.length === 0) {
      if (options.mandatory) {
        throw new AppError('BROKER_UNROUTABLE', `NO_ROUTE - ${exchange || '(default)'} / ${routingKey}`, {
          exchange,
          routingKey,
          messageId: options.messageId,
        });
      }
      return;
    }
    const properties: DeliveryProperties = {
      messageId: options.messageId,
      type: options.type,
      contentType: options.contentType,
      headers: options.headers ?? {},
      persistent: options.persistent ?? false,
      expirationMs: options.expirationMs,
    };
    for (const queue of targets) this.#enqueue(queue, exchange, routingKey, body, properties);
  }

  queueInfo(name: string): QueueInfo {
    const queue = this.#queue(name);
    return { messageCount: queue.ready.length, consumerCount: queue.consumers.length };
  }

  /** @internal used by MemoryTransport */
  addConsumer(name: string, consumer: MemoryConsumer): void {
    const queue = this.#queue(name);
    queue.consumers.push(consumer);
    clearTimeout(queue.expiryTimer);
    this.#scheduleDrain(queue);
  }

  /** @internal used by MemoryTransport */
  removeConsumer(name: string, consumer: MemoryConsumer): void {
    const queue = this.#queues.get(name);
    if (!queue) return;
    const index = queue.consumers.indexOf(consumer);
    if (index >= 0) queue.consumers.splice(index, 1);
    this.#touch(queue);
  }

  /** @internal used by MemoryTransport: basic.get */
  take(name: string): { queue: MemoryQueue; message: StoredMessage } | null {
    const queue = this.#queue(name);
    this.#touch(queue);
    this.#expireHead(queue);
    const message = queue.ready.shift();
    this.#armHeadTimer(queue);
    return message ? { queue, message } : null;
  }

  /** @internal settles a delivered message; the queue then hands out the next one */
  settle(queue: MemoryQueue, message: StoredMessage, outcome: 'ack' | 'requeue' | 'reject'): void {
    if (queue.deleted) return;
    if (outcome === 'requeue') {
      message.redelivered = true;
      let index = queue.ready.length;
      while (index > 0 && (queue.ready[index - 1]?.seq ?? 0) > message.seq) index--;
      queue.ready.splice(index, 0, message);
    } else if (outcome === 'reject') {
      this.#deadLetter(queue, message, 'rejected');
    }
    this.#scheduleDrain(queue);
  }

  #queue(name: string): MemoryQueue {
    const queue = this.#queues.get(name);
    if (!queue) throw new AppError('BROKER_NOT_FOUND', `NOT_FOUND - no queue '${name}'`, { queue: name });
    return queue;
  }

  #exchangeForBinding(name: string): MemoryExchange {
    if (name === '') {
      throw new AppError(
        'BROKER_TOPOLOGY_CONFLICT',
        'ACCESS_REFUSED - operation not permitted on the default exchange',
      );
    }
    const exchange = this.#exchanges.get(name);
    if (!exchange)
      throw new AppError('BROKER_NOT_FOUND', `NOT_FOUND - no exchange '${name}'`, { exchange: name });
    return exchange;
  }

  #route(exchange: string, routingKey: string): MemoryQueue[] {
    if (exchange === '') {
      const queue = this.#queues.get(routingKey);
      return queue ? [queue] : [];
    }
    const source = this.#exchanges.get(exchange);
    if (!source) return [];
    const names = new Set<string>();
    for (const binding of source.bindings) {
      if (bindingMatches(source.type, binding.key, routingKey)) names.add(binding.queue);
    }
    return [...names].flatMap((name) => {
      const queue = this.#queues.get(name);
      return queue ? [queue] : [];
    });
  }

  #enqueue(
    queue: MemoryQueue,
    exchange: string,
    routingKey: string,
    body: Buffer,
    properties: DeliveryProperties,
  ): void {
    const now = Date.now();
    const ttls = [properties.expirationMs, queue.args['x-message-ttl']].filter(
      (t): t is number => t !== undefined,
    );
    const message: StoredMessage = {
      seq: this.#nextSeq++,
      // Copies, as if the bytes had crossed a socket: nobody shares mutable state with a consumer.
      body: Buffer.from(body),
      properties: { ...properties, headers: structuredClone(properties.headers) },
      exchange,
      routingKey,
      redelivered: false,
      expiresAt: ttls.length > 0 ? now + Math.min(...ttls) : undefined,
    };
    queue.ready.push(message);
    const maxLength = queue.args['x-max-length'];
    if (maxLength !== undefined) {
      while (queue.ready.length > maxLength) {
        const dropped = queue.ready.shift();
        if (dropped) this.#deadLetter(queue, dropped, 'maxlen');
      }
    }
    this.#scheduleDrain(queue);
  }

  #deadLetter(queue: MemoryQueue, message: StoredMessage, reason: 'rejected' | 'expired' | 'maxlen'): void {
    const exchange = queue.args['x-dead-letter-exchange'];
    if (exchange === undefined) return;
    const headers: Headers = structuredClone(message.properties.headers);
    const previous = Array.isArray(headers['x-death']) ? (headers['x-death'] as XDeath[]) : [];
    const same = previous.find((d) => d.queue === queue.name && d.reason === reason);
    const entry: XDeath = {
      count: (same?.count ?? 0) + 1,
      reason,
      queue: queue.name,
      time: { '!': 'timestamp', value: Math.floor(Date.now() / 1000) },
      exchange: message.exchange,
      'routing-keys': [message.routingKey],
      ...(message.properties.expirationMs === undefined
        ? {}
        : { 'original-expiration': String(message.properties.expirationMs) }),
    };
    headers['x-death'] = [entry, ...previous.filter((d) => d !== same)];
    if (headers['x-first-death-reason'] === undefined) {
      headers['x-first-death-reason'] = reason;
      headers['x-first-death-queue'] = queue.name;
      headers['x-first-death-exchange'] = message.exchange;
    }
    const routingKey = queue.args['x-dead-letter-routing-key'] ?? message.routingKey;
    // As in RabbitMQ: a dead letter to a missing exchange, or one that routes nowhere, is dropped.
    if (exchange !== '' && !this.#exchanges.has(exchange)) return;
    const properties: DeliveryProperties = { ...message.properties, headers, expirationMs: undefined };
    for (const target of this.#route(exchange, routingKey)) {
      this.#enqueue(target, exchange, routingKey, message.body, properties);
    }
  }

  #scheduleDrain(queue: MemoryQueue): void {
    if (queue.drainScheduled || queue.deleted) return;
    queue.drainScheduled = true;
    setImmediate(() => {
      queue.drainScheduled = false;
      this.#drain(queue);
    });
  }

  #drain(queue: MemoryQueue): void {
    if (queue.deleted) return;
    this.#expireHead(queue);
    while (queue.ready.length > 0) {
      const consumer = this.#nextConsumer(queue);
      if (!consumer) break;
      const message = queue.ready.shift();
      if (message) consumer.deliver(queue, message);
      this.#expireHead(queue);
    }
    this.#armHeadTimer(queue);
  }

  #nextConsumer(queue: MemoryQueue): MemoryConsumer | undefined {
    const count = queue.consumers.length;
    for (let i = 0; i < count; i++) {
      const index = (queue.nextConsumer + i) % count;
      const consumer = queue.consumers[index];
      if (consumer?.hasCapacity()) {
        queue.nextConsumer = (index + 1) % count;
        return consumer;
      }
    }
    return undefined;
  }

  #expireHead(queue: MemoryQueue): void {
    const now = Date.now();
    for (
      let head = queue.ready[0];
      head?.expiresAt !== undefined && head.expiresAt <= now;
      head = queue.ready[0]
    ) {
      queue.ready.shift();
      this.#deadLetter(queue, head, 'expired');
    }
  }

  #armHeadTimer(queue: MemoryQueue): void {
    clearTimeout(queue.headTimer);
    const expiresAt = queue.ready[0]?.expiresAt;
    if (expiresAt === undefined) return;
    queue.headTimer = setTimeout(() => this.#drain(queue), Math.max(0, expiresAt - Date.now()) + 1);
    queue.headTimer.unref();
  }

  /** The queue was used (declared, fetched from, left by its last consumer): restart its expiry clock. */
  #touch(queue: MemoryQueue): void {
    const expires = queue.args['x-expires'];
    clearTimeout(queue.expiryTimer);
    if (expires === undefined || queue.consumers.length > 0) return;
    queue.expiryTimer = setTimeout(() => {
      if (this.#queues.get(queue.name) === queue && queue.consumers.length === 0)
        this.deleteQueue(queue.name);
    }, expires);
    queue.expiryTimer.unref();
  }
}

interface XDeath {
  count: number;
  reason: string;
  queue: string;
  time: { '!': 'timestamp'; value: number };
  exchange: string;
  'routing-keys': string[];
  'original-expiration'?: string;
}

interface MemoryExchange {
  readonly name: string;
  readonly type: ExchangeType;
  readonly durable: boolean;
  bindings: Array<{ readonly queue: string; readonly key: string }>;
}

interface StoredMessage {
  readonly seq: number;
  readonly body: Buffer;
  readonly properties: DeliveryProperties;
  readonly exchange: string;
  readonly routingKey: string;
  redelivered: boolean;
  readonly expiresAt: number | undefined;
}

class MemoryQueue {
  readonly ready: StoredMessage[] = [];
  readonly consumers: MemoryConsumer[] = [];
  nextConsumer = 0;
  drainScheduled = false;
  deleted = false;
  headTimer: NodeJS.Timeout | undefined;
  expiryTimer: NodeJS.Timeout | undefined;
  constructor(
    readonly name: string,
    readonly durable: boolean,
    readonly args: QueueArguments,
  ) {}
}

/** What the broker needs from a consumer. */
interface MemoryConsumer {
  hasCapacity(): boolean;
  deliver(queue: MemoryQueue, message: StoredMessage): void;
  onServerCancel(): void;
}

/**
 * The unit that holds unsettled deliveries, like an AMQP channel: when it
 * closes, whatever is still unsettled goes back to its queue as redelivered.
 */
class MemoryChannel {
  readonly unsettled = new Set<MemoryDelivery>();
  open = true;
  constructor(readonly broker: MemoryBroker) {}

  close(): void {
    if (!this.open) return;
    this.open = false;
    for (const delivery of this.unsettled) this.broker.settle(delivery.queue, delivery.message, 'requeue');
    this.unsettled.clear();
  }
}

class MemoryDelivery extends SettleOnceDelivery {
  readonly body: Buffer;
  readonly properties: DeliveryProperties;
  readonly exchange: string;
  readonly routingKey: string;
  readonly redelivered: boolean;

  constructor(
    readonly channel: MemoryChannel,
    readonly queue: MemoryQueue,
    readonly message: StoredMessage,
  ) {
    super();
    this.body = Buffer.from(message.body);
    this.properties = { ...message.properties, headers: structuredClone(message.properties.headers) };
    this.exchange = message.exchange;
    this.routingKey = message.routingKey;
    this.redelivered = message.redelivered;
    channel.unsettled.add(this);
  }

  protected settle(outcome: 'ack' | 'requeue' | 'reject'): void {
    // After its channel closed the message is already back in its queue.
    if (!this.channel.open || !this.channel.unsettled.delete(this)) return;
    this.channel.broker.settle(this.queue, this.message, outcome);
  }
}

class MemorySubscription implements Subscription, MemoryConsumer {
  readonly #channel: MemoryChannel;
  readonly #inFlight = new InFlight();
  #active = true;
  #cancelling: Promise<void> | undefined;

  constructor(
    readonly queue: string,
    private readonly broker: MemoryBroker,
    private readonly handler: DeliveryHandler,
    private readonly options: ConsumeOptions,
    private readonly logger: BrokerLogger,
    private readonly onCancelled: (subscription: MemorySubscription) => void,
  ) {
    this.#channel = new MemoryChannel(broker);
  }

  hasCapacity(): boolean {
    return (
      this.#active &&
      this.#channel.open &&
      (this.options.prefetch === 0 || this.#channel.unsettled.size < this.options.prefetch)
    );
  }

  deliver(queue: MemoryQueue, message: StoredMessage): void {
    this.#inFlight.run(
      this.handler,
      new MemoryDelivery(this.#channel, queue, message),
      this.logger,
      this.queue,
    );
  }

  onServerCancel(): void {
    this.#active = false;
    this.logger.warn({ queue: this.queue }, 'queue deleted; its consumer was cancelled');
  }

  /** Stop receiving, without waiting (transport close does the waiting for all subscriptions at once). */
  stop(): void {
    this.#active = false;
    this.broker.removeConsumer(this.queue, this);
  }

  async finish(timeoutMs: number): Promise<void> {
    const drained = await this.#inFlight.drain(timeoutMs);
    if (!drained) {
      this.logger.warn(
        { queue: this.queue, inFlight: this.#inFlight.size, timeoutMs },
        'handlers still running at close; their messages go back to the queue',
      );
    }
    this.#channel.close();
  }

  cancel(options?: CloseOptions): Promise<void> {
    this.#cancelling ??= (async () => {
      this.stop();
      await this.finish(options?.timeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS);
      this.onCancelled(this);
    })();
    return this.#cancelling;
  }
}

export interface MemoryTransportOptions {
  /** The shared in-process broker; every service of one process uses the same one. */
  broker: MemoryBroker;
  logger?: BrokerLogger;
}

/** A client of a `MemoryBroker`, with the same contract as `AmqpTransport`. */
export class MemoryTransport implements Transport {
  readonly kind = 'memory';
  readonly #broker: MemoryBroker;
  readonly #logger: BrokerLogger;
  readonly #subscriptions = new Set<MemorySubscription>();
  readonly #getChannel: MemoryChannel;
  readonly #exchanges = new Set<string>();
  readonly #queues = new Set<string>();
  /** No new consumers or declarations; in-flight handlers may still publish and settle. */
  #closing = false;
  #closed = false;
  #closePromise: Promise<void> | undefined;

  constructor(options: MemoryTransportOptions) {
    this.#broker = options.broker;
    this.#logger = options.logger ?? nullLogger;
    this.#getChannel = new MemoryChannel(this.#broker);
  }

  async assertExchange(name: string, type: ExchangeType, options: ExchangeOptions): Promise<void> {
    await this.#ready();
    this.#broker.assertExchange(name, type, options);
    this.#exchanges.add(name);
  }

  async assertQueue(name: string, options: QueueOptions): Promise<void> {
    await this.#ready();
    this.#broker.assertQueue(name, options);
    this.#queues.add(name);
  }

  async deleteExchange(name: string): Promise<void> {
    await this.#ready();
    this.#broker.deleteExchange(name);
  }

  async deleteQueue(name: string): Promise<void> {
    await this.#ready();
    this.#broker.deleteQueue(name);
  }

  async bindQueue(queue: string, exchange: string, routingKey: string): Promise<void> {
    await this.#ready();
    this.#broker.bindQueue(queue, exchange, routingKey);
  }

  async unbindQueue(queue: string, exchange: string, routingKey: string): Promise<void> {
    await this.#ready();
    this.#broker.unbindQueue(queue, exchange, routingKey);
  }

  async publish(exchange: string, routingKey: string, body: Buffer, options: PublishOptions): Promise<void> {
    if (this.#closed)
      throw new AppError('BROKER_NOT_CONFIRMED', 'The transport is closed', { exchange, routingKey });
    // A turn of the event loop, as a confirm would take: callers never see a publish complete synchronously.
    await Promise.resolve();
    this.#broker.publish(exchange, routingKey, body, options);
  }

  async consume(queue: string, handler: DeliveryHandler, options: ConsumeOptions): Promise<Subscription> {
    await this.#ready();
    const subscription = new MemorySubscription(queue, this.#broker, handler, options, this.#logger, (s) =>
      this.#subscriptions.delete(s),
    );
    this.#broker.addConsumer(queue, subscription);
    this.#subscriptions.add(subscription);
    return subscription;
  }

  async get(queue: string): Promise<Delivery | null> {
    await this.#ready();
    const taken = this.#broker.take(queue);
    return taken ? new MemoryDelivery(this.#getChannel, taken.queue, taken.message) : null;
  }

  async queueInfo(queue: string): Promise<QueueInfo> {
    await this.#ready();
    return this.#broker.queueInfo(queue);
  }

  declaredNames(): DeclaredNames {
    return { exchanges: [...this.#exchanges], queues: [...this.#queues] };
  }

  isConnected(): boolean {
    return !this.#closed;
  }

  close(options?: CloseOptions): Promise<void> {
    this.#closePromise ??= (async () => {
      this.#closing = true;
      const subscriptions = [...this.#subscriptions];
      for (const subscription of subscriptions) subscription.stop();
      const timeoutMs = options?.timeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
      await Promise.all(subscriptions.map((s) => s.finish(timeoutMs)));
      this.#getChannel.close();
      this.#subscriptions.clear();
      this.#closed = true;
    })();
    return this.#closePromise;
  }

  async #ready(): Promise<void> {
    if (this.#closing) throw new AppError('BROKER_UNAVAILABLE', 'The transport is closed');
    await Promise.resolve();
  }
}

function inequivalent(what: string, kind: 'queue' | 'exchange', name: string): AppError {
  return new AppError(
    'BROKER_TOPOLOGY_CONFLICT',
    `PRECONDITION_FAILED - inequivalent arg '${what}' for ${kind} '${name}'`,
    { [kind]: name, argument: what },
  );
}
