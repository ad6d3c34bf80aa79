import { randomUUID } from 'node:crypto';
import { AppError } from '@im/contracts';
import {
  type Channel,
  type ChannelModel,
  type ConfirmChannel,
  type ConsumeMessage,
  connect,
  IllegalOperationError,
  type Message,
  type RecoveringChannelModel,
} from 'amqplib';
import type { BrokerLogger } from '../logger.js';
import { errorContext, nullLogger } from '../logger.js';
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
  QueueInfo,
  QueueOptions,
  Subscription,
  Transport,
} from './types.js';

export interface AmqpTransportOptions {
  /** `amqp://user:pass@host:port/vhost`; never logged. */
  url: string;
  logger?: BrokerLogger;
  /** Shown in RabbitMQ's connection list (`rabbitmqctl list_connections client_properties`). */
  connectionName?: string;
  /** AMQP heartbeat; a silent connection is declared dead after about twice this. Default 10 s. */
  heartbeatSeconds?: number;
  /** Backoff between reconnect attempts: doubling from `initialDelayMs` up to `maxDelayMs`, with jitter. */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
  /** Attempts at the first connection before `connectAmqp` fails (later losses retry forever). Default 5. */
  initialConnectAttempts?: number;
  /** TCP connect + AMQP handshake timeout for one attempt. Default 5 s. */
  connectTimeoutMs?: number;
  /** How long an operation (publish, declaration) waits for a connection before it fails. Default 10 s. */
  connectionWaitMs?: number;
  /** How long a publish waits for the broker's confirm. Default 15 s. */
  confirmTimeoutMs?: number;
}

/** Connects to RabbitMQ; resolves once the first connection is up. */
export async function connectAmqp(options: AmqpTransportOptions): Promise<AmqpTransport> {
  const transport = new AmqpTransport(options);
  await transport.start();
  return transport;
}

/**
 * The RabbitMQ transport. One connection (heartbeats on) carrying a confirm
 * channel for publishing, a channel for declarations, one for basic.get, and
 * one channel per consumer (so prefetch and channel errors stay per consumer).
 *
 * Recovery: when the connection drops it reconnects with backoff (amqplib's
 * recovery), then re-declares every exchange, queue and binding declared
 * through it (dynamic bindings included, unbound ones not), and resumes every
 * consumer. Publishes and declarations made meanwhile wait up to
 * `connectionWaitMs` for the connection and then fail; a publish in flight when
 * the connection drops fails with `BROKER_NOT_CONFIRMED`. Nothing is dropped
 * silently.
 */
export class AmqpTransport implements Transport {
  readonly kind = 'amqp';
  readonly #options: AmqpTransportOptions;
  readonly #logger: BrokerLogger;
  readonly #connectionWaitMs: number;
  readonly #confirmTimeoutMs: number;
  #model: RecoveringChannelModel | undefined;
  #session: Session | null = null;
  readonly #sessionWaiters = new Set<() => void>();
  #connections = 0;

  // What was declared through this transport, replayed after a reconnect.
  readonly #exchanges = new Map<string, { type: ExchangeType; options: ExchangeOptions }>();
  readonly #queues = new Map<string, QueueOptions>();
  readonly #bindings = new Map<string, { queue: string; exchange: string; routingKey: string }>();
  // Everything ever declared, for test cleanup.
  readonly #declaredExchanges = new Set<string>();
  readonly #declaredQueues = new Set<string>();

  readonly #subscriptions = new Set<AmqpSubscription>();
  #closing = false;
  #closed = false;
  #closePromise: Promise<void> | undefined;

  constructor(options: AmqpTransportOptions) {
    this.#options = options;
    this.#logger = options.logger ?? nullLogger;
    this.#connectionWaitMs = options.connectionWaitMs ?? 10_000;
    this.#confirmTimeoutMs = options.confirmTimeoutMs ?? 15_000;
  }

  /** How many times a connection was established (1 + reconnects). */
  get connectionCount(): number {
    return this.#connections;
  }

  async start(): Promise<void> {
    const url = new URL(this.#options.url);
    if (!url.searchParams.has('heartbeat')) {
      url.searchParams.set('heartbeat', String(this.#options.heartbeatSeconds ?? 10));
    }
    const where = { host: url.host, vhost: decodeURIComponent(url.pathname.slice(1)) || '/' };
    try {
      this.#model = await connect(url.toString(), {
        timeout: this.#options.connectTimeoutMs ?? 5_000,
        clientProperties: { connection_name: this.#options.connectionName ?? 'im-broker' },
        recovery: {
          initialDelay: this.#options.reconnect?.initialDelayMs ?? 100,
          maxDelay: this.#options.reconnect?.maxDelayMs ?? 5_000,
          factor: 2,
          jitter: 0.2,
          initialMaxRetries: Math.max(0, (this.#options.initialConnectAttempts ?? 5) - 1),
          setup: (model: ChannelModel) => this.#setup(model),
        },
      });
    } catch (error) {
      throw new AppError(
        'BROKER_UNAVAILABLE',
        `Could not connect to RabbitMQ at ${where.host}: ${errorContext(error).err.message}`,
        where,
      );
    }
    const model = this.#model;
    model.on('error', (error: Error) =>
      this.#logger.warn({ ...errorContext(error) }, 'RabbitMQ connection error'),
    );
    model.on('disconnect', (error: Error) =>
      this.#logger.warn(
        { ...errorContext(error), ...where },
        'lost the connection to RabbitMQ; reconnecting',
      ),
    );
    model.on('connect-failed', (error: Error) =>
      this.#logger.warn({ ...errorContext(error), ...where }, 'reconnecting to RabbitMQ failed'),
    );
    model.on('reconnect-scheduled', (info: { attempt: number; delay: number }) =>
      this.#logger.debug({ ...info, ...where }, 'reconnect scheduled'),
    );
    model.on('reconnect-failed', (error: Error) =>
      this.#logger.error({ ...errorContext(error), ...where }, 'gave up reconnecting to RabbitMQ'),
    );
    model.on('blocked', (reason: string) =>
      this.#logger.warn({ reason, ...where }, 'RabbitMQ blocked publishing (resource alarm)'),
    );
    model.on('unblocked', () => this.#logger.info(where, 'RabbitMQ unblocked publishing'));
    this.#logger.info(where, 'connected to RabbitMQ');
  }

  isConnected(): boolean {
    return !this.#closed && this.#session !== null && !this.#session.closed;
  }

  declaredNames(): DeclaredNames {
    return { exchanges: [...this.#declaredExchanges], queues: [...this.#declaredQueues] };
  }

  async assertExchange(name: string, type: ExchangeType, options: ExchangeOptions): Promise<void> {
    await this.#admin(`declare exchange '${name}'`, (ch) => ch.assertExchange(name, type, options));
    this.#exchanges.set(name, { type, options });
    this.#declaredExchanges.add(name);
  }

  async assertQueue(name: string, options: QueueOptions): Promise<void> {
    await this.#admin(`declare queue '${name}'`, (ch) =>
      ch.assertQueue(name, { durable: options.durable, arguments: { ...options.arguments } }),
    );
    this.#queues.set(name, options);
    this.#declaredQueues.add(name);
  }

  async deleteExchange(name: string): Promise<void> {
    this.#exchanges.delete(name);
    for (const [key, binding] of this.#bindings) if (binding.exchange === name) this.#bindings.delete(key);
    await this.#admin(`delete exchange '${name}'`, (ch) => ch.deleteExchange(name));
  }

  async deleteQueue(name: string): Promise<void> {
    // Its consumers end with it (as RabbitMQ cancels them) instead of trying to bring it back.
    for (const subscription of this.#subscriptions)
      if (subscription.queue === name) void subscription.cancel();
    this.#queues.delete(name);
    for (const [key, binding] of this.#bindings) if (binding.queue === name) this.#bindings.delete(key);
    await this.#admin(`delete queue '${name}'`, (ch) => ch.deleteQueue(name));
  }

  async bindQueue(queue: string, exchange: string, routingKey: string): Promise<void> {
    await this.#admin(`bind '${queue}' to '${exchange}' with '${routingKey}'`, (ch) =>
      ch.bindQueue(queue, exchange, routingKey),
    );
    this.#bindings.set(bindingKey(queue, exchange, routingKey), { queue, exchange, routingKey });
  }

  async unbindQueue(queue: string, exchange: string, routingKey: string): Promise<void> {
    this.#bindings.delete(bindingKey(queue, exchange, routingKey));
    await this.#admin(`unbind '${queue}' from '${exchange}' with '${routingKey}'`, (ch) =>
      ch.unbindQueue(queue, exchange, routingKey),
    );
  }

  async queueInfo(queue: string): Promise<QueueInfo> {
    const reply = await this.#admin(`check queue '${queue}'`, (ch) => ch.checkQueue(queue));
    return { messageCount: reply.messageCount, consumerCount: reply.consumerCount };
  }

  async get(queue: string): Promise<Delivery | null> {
    const deadline = Date.now() + this.#connectionWaitMs;
    for (;;) {
      const session = await this.#waitForSession(deadline, 'BROKER_UNAVAILABLE');
      try {
        const handle = await session.channel('getter');
        const message = await handle.channel.get(queue, { noAck: false });
        return message === false ? null : new AmqpDelivery(handle, message, this.#logger);
      } catch (error) {
        await this.#retryOrThrow(error, `get from '${queue}'`, deadline);
      }
    }
  }

  async publish(exchange: string, routingKey: string, body: Buffer, options: PublishOptions): Promise<void> {
    const details = { exchange, routingKey, messageId: options.messageId };
    if (this.#closed) throw new AppError('BROKER_NOT_CONFIRMED', 'The transport is closed', details);
    const deadline = Date.now() + this.#connectionWaitMs;
    for (;;) {
      const session = await this.#waitForSession(deadline, 'BROKER_NOT_CONFIRMED', details);
      let publisher: Publisher;
      try {
        publisher = await session.publisher();
        await publisher.writable();
      } catch (error) {
        if (Date.now() >= deadline) {
          throw new AppError(
            'BROKER_NOT_CONFIRMED',
            `No channel to publish on: ${errorMessage(error)}`,
            details,
          );
        }
        await pause(50);
        continue;
      }
      const sent = publisher.send(exchange, routingKey, body, options, this.#confirmTimeoutMs);
      // The channel closed before the message left: nothing was sent, so sending it on the next one is safe.
      if (sent === NOT_SENT) continue;
      return sent;
    }
  }

  async consume(queue: string, handler: DeliveryHandler, options: ConsumeOptions): Promise<Subscription> {
    if (this.#closing) throw new AppError('BROKER_UNAVAILABLE', 'The transport is closing');
    const subscription = new AmqpSubscription(queue, handler, options, this.#logger, {
      currentSession: () => (this.#session && !this.#session.closed ? this.#session : null),
      restoreQueue: (name, session) => this.#restoreQueue(name, session),
      forget: (s) => this.#subscriptions.delete(s),
    });
    const deadline = Date.now() + this.#connectionWaitMs;
    for (;;) {
      const session = await this.#waitForSession(deadline, 'BROKER_UNAVAILABLE');
      try {
        await subscription.attach(session);
        break;
      } catch (error) {
        await this.#retryOrThrow(error, `consume from '${queue}'`, deadline);
      }
    }
    this.#subscriptions.add(subscription);
    return subscription;
  }

  close(options?: CloseOptions): Promise<void> {
    this.#closePromise ??= (async () => {
      this.#closing = true;
      const timeoutMs = options?.timeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
      const deadline = Date.now() + timeoutMs;
      const subscriptions = [...this.#subscriptions];
      await Promise.all(subscriptions.map((s) => s.stop()));
      await Promise.all(subscriptions.map((s) => s.finish(Math.max(0, deadline - Date.now()))));
      // Let publishes already handed to the broker get their confirms before the channel goes.
      await this.#session?.publisherIdle(Math.max(0, deadline - Date.now()));
      this.#closed = true;
      for (const wake of this.#sessionWaiters) wake();
      await this.#model?.close();
      this.#session = null;
      this.#logger.info({}, 'closed the RabbitMQ connection');
    })();
    return this.#closePromise;
  }

  /** Runs after every (re)connection, before the connection is handed out. */
  async #setup(model: ChannelModel): Promise<void> {
    // Errors before amqplib hands the connection over (after that, start()'s listener reports them).
    model.on('error', (error: Error) => this.#logger.debug({ ...errorContext(error) }, 'connection error'));
    const session = new Session(model, this.#logger);
    model.once('close', () => {
      session.closed = true;
      if (this.#session === session) this.#session = null;
    });
    await this.#restoreTopology(session);
    await session.publisher();
    if (session.closed) throw new Error('The connection closed while it was being set up');
    this.#session = session;
    this.#connections++;
    for (const wake of this.#sessionWaiters) wake();
    if (this.#connections > 1) {
      this.#logger.info(
        {
          exchanges: this.#exchanges.size,
          queues: this.#queues.size,
          bindings: this.#bindings.size,
          consumers: this.#subscriptions.size,
        },
        'reconnected to RabbitMQ; restored the topology, resuming consumers',
      );
    }
    await Promise.all(
      [...this.#subscriptions].map((subscription) =>
        subscription.attach(session).catch((error: unknown) => {
          if (session.closed) throw error;
          this.#logger.error(
            { ...errorContext(error), queue: subscription.queue },
            'could not resume a consumer; retrying',
          );
          subscription.scheduleRetry();
        }),
      ),
    );
  }

  async #restoreTopology(session: Session): Promise<void> {
    const steps: Array<[string, (ch: Channel) => Promise<unknown>]> = [];
    for (const [name, { type, options }] of this.#exchanges) {
      steps.push([`exchange '${name}'`, (ch) => ch.assertExchange(name, type, options)]);
    }
    for (const [name, options] of this.#queues) {
      steps.push([
        `queue '${name}'`,
        (ch) => ch.assertQueue(name, { durable: options.durable, arguments: { ...options.arguments } }),
      ]);
    }
    for (const { queue, exchange, routingKey } of this.#bindings.values()) {
      steps.push([
        `binding '${queue}' ← '${exchange}' '${routingKey}'`,
        (ch) => ch.bindQueue(queue, exchange, routingKey),
      ]);
    }
    for (const [what, step] of steps) {
      const handle = await session.channel('admin');
      try {
        await step(handle.channel);
      } catch (error) {
        if (session.closed || !serverRefusal(error, what)) throw error;
        this.#logger.error({ ...errorContext(error) }, `could not restore ${what} after reconnecting`);
      }
    }
  }

  /** Before a consumer resumes on a queue that vanished (deleted, expired), declares it and its bindings again. */
  async #restoreQueue(name: string, session: Session): Promise<void> {
    const options = this.#queues.get(name);
    if (!options) return;
    const handle = await session.channel('admin');
    await handle.channel.assertQueue(name, { durable: options.durable, arguments: { ...options.arguments } });
    for (const { queue, exchange, routingKey } of this.#bindings.values()) {
      if (queue === name) await handle.channel.bindQueue(queue, exchange, routingKey);
    }
  }

  async #admin<T>(what: string, operation: (channel: Channel) => Promise<T>): Promise<T> {
    if (this.#closed) throw new AppError('BROKER_UNAVAILABLE', `${what}: the transport is closed`);
    const deadline = Date.now() + this.#connectionWaitMs;
    for (;;) {
      const session = await this.#waitForSession(deadline, 'BROKER_UNAVAILABLE');
      try {
        const handle = await session.channel('admin');
        return await operation(handle.channel);
      } catch (error) {
        await this.#retryOrThrow(error, what, deadline);
      }
    }
  }

  /**
   * After a failed operation: a refusal by the broker (404, 406 …) is final;
   * anything else means the channel or connection went away under it, and the
   * operation (all of them are idempotent) is tried again until the deadline.
   */
  async #retryOrThrow(error: unknown, what: string, deadline: number): Promise<void> {
    const refusal = serverRefusal(error, what);
    if (refusal) throw refusal;
    if (this.#closed || Date.now() >= deadline) {
      throw new AppError('BROKER_UNAVAILABLE', `${what}: ${errorMessage(error)}`);
    }
    await pause(50);
  }

  async #waitForSession(
    deadline: number,
    code: 'BROKER_NOT_CONFIRMED' | 'BROKER_UNAVAILABLE',
    details?: object,
  ): Promise<Session> {
    for (;;) {
      if (this.#closed) throw new AppError(code, 'The transport is closed', details);
      const session = this.#session;
      if (session && !session.closed) return session;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new AppError(code, `No connection to RabbitMQ within ${this.#connectionWaitMs} ms`, details);
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.#sessionWaiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.#sessionWaiters.add(wake);
      });
    }
  }
}

interface ChannelHandle {
  readonly channel: Channel;
  closed: boolean;
}

/** One live connection and the channels opened on it. */
class Session {
  closed = false;
  readonly #handles = new Map<'admin' | 'getter', ChannelHandle>();
  readonly #opening = new Map<'admin' | 'getter', Promise<ChannelHandle>>();
  #publisher: Publisher | undefined;
  #publisherOpening: Promise<Publisher> | undefined;

  constructor(
    readonly model: ChannelModel,
    private readonly logger: BrokerLogger,
  ) {}

  channel(slot: 'admin' | 'getter'): Promise<ChannelHandle> {
    const current = this.#handles.get(slot);
    if (current && !current.closed) return Promise.resolve(current);
    let opening = this.#opening.get(slot);
    if (!opening) {
      opening = (async () => {
        const channel = await this.model.createChannel();
        const handle: ChannelHandle = { channel, closed: false };
        // Refusals (404 on a check, 406 on a declaration) close the channel; the caller gets the error.
        channel.on('error', (error: Error) =>
          this.logger.debug({ ...errorContext(error), slot }, 'channel closed'),
        );
        channel.on('close', () => {
          handle.closed = true;
        });
        this.#handles.set(slot, handle);
        return handle;
      })().finally(() => this.#opening.delete(slot));
      this.#opening.set(slot, opening);
    }
    return opening;
  }

  publisher(): Promise<Publisher> {
    if (this.#publisher && !this.#publisher.closed) return Promise.resolve(this.#publisher);
    this.#publisherOpening ??= (async () => {
      const publisher = new Publisher(await this.model.createConfirmChannel(), this.logger);
      this.#publisher = publisher;
      return publisher;
    })().finally(() => {
      this.#publisherOpening = undefined;
    });
    return this.#publisherOpening;
  }

  async publisherIdle(timeoutMs: number): Promise<void> {
    await this.#publisher?.idle(timeoutMs);
  }
}

const NOT_SENT = Symbol('not sent');

interface PendingPublish {
  readonly exchange: string;
  readonly routingKey: string;
  readonly messageId: string;
  returned: string | undefined;
}

/** A confirm channel and the publishes waiting for their confirms on it. */
class Publisher {
  closed = false;
  #closeReason: string | undefined;
  readonly #pending = new Set<PendingPublish>();
  #drained: Promise<void> | undefined;
  readonly #idleWaiters = new Set<() => void>();

  constructor(
    readonly channel: ConfirmChannel,
    private readonly logger: BrokerLogger,
  ) {
    channel.on('error', (error: Error) => {
      this.#closeReason = error.message;
      logger.warn({ ...errorContext(error) }, 'the publishing channel was closed by the broker');
    });
    channel.on('close', () => {
      this.closed = true;
    });
    // For an unroutable mandatory message RabbitMQ sends basic.return before the confirm.
    channel.on('return', (message: Message) => {
      const fields = message.fields as Message['fields'] & { replyText?: string };
      for (const pending of this.#pending) {
        if (
          pending.returned === undefined &&
          pending.messageId === message.properties.messageId &&
          pending.exchange === fields.exchange &&
          pending.routingKey === fields.routingKey
        ) {
          pending.returned = fields.replyText ?? 'NO_ROUTE';
          break;
        }
      }
    });
  }

  /** Resolves when the channel's write buffer has room (or the channel is gone). */
  async writable(): Promise<void> {
    await this.#drained;
  }

  send(
    exchange: string,
    routingKey: string,
    body: Buffer,
    options: PublishOptions,
    confirmTimeoutMs: number,
  ): Promise<void> | typeof NOT_SENT {
    const details = { exchange, routingKey, messageId: options.messageId };
    const pending: PendingPublish = {
      exchange,
      routingKey,
      messageId: options.messageId,
      returned: undefined,
    };
    let settle!: (error?: AppError) => void;
    const confirmed = new Promise<void>((resolve, reject) => {
      settle = (error) => (error ? reject(error) : resolve());
    });
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (error?: AppError) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      this.#pending.delete(pending);
      if (this.#pending.size === 0) for (const wake of this.#idleWaiters) wake();
      settle(error);
    };
    this.#pending.add(pending);
    try {
      const hasRoom = this.channel.publish(
        exchange,
        routingKey,
        body,
        {
          messageId: options.messageId,
          type: options.type,
          contentType: options.contentType,
          headers: options.headers,
          persistent: options.persistent ?? false,
          mandatory: options.mandatory ?? false,
          ...(options.expirationMs === undefined ? {} : { expiration: String(options.expirationMs) }),
        },
        (error: unknown) => {
          if (error) {
            const reason = this.#closeReason ?? errorMessage(error);
            finish(
              new AppError(
                'BROKER_NOT_CONFIRMED',
                `The broker did not confirm the publish: ${reason}`,
                details,
              ),
            );
          } else if (pending.returned !== undefined) {
            finish(
              new AppError(
                'BROKER_UNROUTABLE',
                `No queue is bound for '${routingKey}' on '${exchange || '(default)'}' (${pending.returned})`,
                details,
              ),
            );
          } else {
            finish();
          }
        },
      );
      if (!hasRoom) this.#waitForDrain();
    } catch (error) {
      this.#pending.delete(pending);
      if (error instanceof IllegalOperationError) return NOT_SENT;
      throw error;
    }
    timer = setTimeout(
      () =>
        finish(
          new AppError(
            'BROKER_NOT_CONFIRMED',
            `No confirm from the broker within ${confirmTimeoutMs} ms`,
            details,
          ),
        ),
      confirmTimeoutMs,
    );
    return confirmed;
  }

  async idle(timeoutMs: number): Promise<void> {
    if (this.#pending.size === 0 || this.closed) return;
    await new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#idleWaiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, timeoutMs);
      this.#idleWaiters.add(wake);
    });
  }

  #waitForDrain(): void {
    if (this.#drained) return;
    this.logger.debug({}, 'publishing channel is full; waiting for it to drain');
    this.#drained = new Promise<void>((resolve) => {
      const done = () => {
        this.channel.off('drain', done);
        this.channel.off('close', done);
        this.#drained = undefined;
        resolve();
      };
      this.channel.on('drain', done);
      this.channel.on('close', done);
    });
  }
}

class AmqpDelivery extends SettleOnceDelivery {
  readonly body: Buffer;
  readonly properties: DeliveryProperties;
  readonly exchange: string;
  readonly routingKey: string;
  readonly redelivered: boolean;

  constructor(
    private readonly handle: ChannelHandle,
    private readonly message: Message,
    private readonly logger: BrokerLogger,
  ) {
    super();
    const p = message.properties;
    this.body = message.content;
    this.properties = {
      messageId: typeof p.messageId === 'string' ? p.messageId : undefined,
      type: typeof p.type === 'string' ? p.type : undefined,
      contentType: typeof p.contentType === 'string' ? p.contentType : undefined,
      headers: (p.headers ?? {}) as Headers,
      persistent: p.deliveryMode === 2,
      expirationMs: p.expiration === undefined ? undefined : Number(p.expiration),
    };
    this.exchange = message.fields.exchange;
    this.routingKey = message.fields.routingKey;
    this.redelivered = message.fields.redelivered;
  }

  protected settle(outcome: 'ack' | 'requeue' | 'reject'): void {
    const context = { messageId: this.properties.messageId, outcome };
    // The channel is gone, and with it the delivery: the broker has put the message back already.
    if (this.handle.closed) {
      this.logger.debug(context, 'settled a delivery after its channel closed; the broker redelivers it');
      return;
    }
    try {
      if (outcome === 'ack') this.handle.channel.ack(this.message);
      else this.handle.channel.nack(this.message, false, outcome === 'requeue');
    } catch (error) {
      if (!(error instanceof IllegalOperationError)) throw error;
      this.logger.debug(context, 'settled a delivery after its channel closed; the broker redelivers it');
    }
  }
}

interface SubscriptionHost {
  currentSession(): Session | null;
  restoreQueue(name: string, session: Session): Promise<void>;
  forget(subscription: AmqpSubscription): void;
}

/** A consumer that survives its channel: it re-attaches after a reconnect or a channel-level error. */
class AmqpSubscription implements Subscription {
  #handle: ChannelHandle | null = null;
  #session: Session | null = null;
  #consumerTag: string | undefined;
  #stopped = false;
  #attaching: Promise<void> = Promise.resolve();
  #retryTimer: NodeJS.Timeout | undefined;
  #retryDelayMs = RETRY_MIN_MS;
  #cancelPromise: Promise<void> | undefined;
  readonly #inFlight = new InFlight();

  constructor(
    readonly queue: string,
    private readonly handler: DeliveryHandler,
    private readonly options: ConsumeOptions,
    private readonly logger: BrokerLogger,
    private readonly host: SubscriptionHost,
  ) {}

  /** Starts consuming on `session` unless already consuming there. Attaches run one at a time. */
  attach(session: Session): Promise<void> {
    const run = this.#attaching.then(() => this.#attachNow(session));
    this.#attaching = run.catch(() => undefined);
    return run;
  }

  async #attachNow(session: Session): Promise<void> {
    if (this.#stopped || session.closed) return;
    if (this.#session === session && this.#handle && !this.#handle.closed) return;
    const channel = await session.model.createChannel();
    const handle: ChannelHandle = { channel, closed: false };
    channel.on('error', (error: Error) =>
      this.logger.warn(
        { ...errorContext(error), queue: this.queue },
        'consumer channel closed by the broker',
      ),
    );
    channel.on('close', () => {
      handle.closed = true;
      if (this.#handle !== handle) return;
      this.#handle = null;
      // A channel-level failure on a live connection: come back on our own. After a connection loss the
      // reconnect attaches us, and the retry finds no session and leaves it to that.
      this.scheduleRetry();
    });
    try {
      await channel.prefetch(this.options.prefetch);
      const tag = `${this.options.tag ?? 'consumer'}.${randomUUID().slice(0, 8)}`;
      const { consumerTag } = await channel.consume(
        this.queue,
        (message) => this.#onMessage(handle, message),
        {
          noAck: false,
          consumerTag: tag,
        },
      );
      this.#handle = handle;
      this.#session = session;
      this.#consumerTag = consumerTag;
      this.#retryDelayMs = RETRY_MIN_MS;
    } catch (error) {
      await channel.close().catch(() => undefined);
      throw error;
    }
  }

  #onMessage(handle: ChannelHandle, message: ConsumeMessage | null): void {
    if (message === null) {
      // basic.cancel from the broker: the queue was deleted. Re-declare it and consume again.
      this.logger.warn(
        { queue: this.queue },
        'the broker cancelled the consumer (queue deleted?); resubscribing',
      );
      handle.channel.close().catch(() => undefined);
      return;
    }
    this.#inFlight.run(this.handler, new AmqpDelivery(handle, message, this.logger), this.logger, this.queue);
  }

  scheduleRetry(): void {
    if (this.#retryTimer || this.#stopped) return;
    this.#retryTimer = setTimeout(async () => {
      this.#retryTimer = undefined;
      const session = this.host.currentSession();
      if (!session || this.#stopped) return;
      try {
        await this.host.restoreQueue(this.queue, session);
        await this.attach(session);
      } catch (error) {
        this.#retryDelayMs = Math.min(this.#retryDelayMs * 2, RETRY_MAX_MS);
        this.logger.warn(
          { ...errorContext(error), queue: this.queue, retryInMs: this.#retryDelayMs },
          'could not resume consuming',
        );
        this.scheduleRetry();
      }
    }, this.#retryDelayMs);
  }

  /** Stops new deliveries (basic.cancel); in-flight handlers go on. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    await this.#attaching;
    const handle = this.#handle;
    if (handle && !handle.closed && this.#consumerTag) {
      await handle.channel.cancel(this.#consumerTag).catch((error: unknown) => {
        this.logger.debug(
          { ...errorContext(error), queue: this.queue },
          'basic.cancel failed; closing anyway',
        );
      });
    }
  }

  /** Waits (bounded) for in-flight handlers, then closes the channel: anything unsettled is requeued. */
  async finish(timeoutMs: number): Promise<void> {
    const drained = await this.#inFlight.drain(timeoutMs);
    if (!drained) {
      this.logger.warn(
        { queue: this.queue, inFlight: this.#inFlight.size, timeoutMs },
        'handlers still running at close; their messages go back to the queue',
      );
    }
    const handle = this.#handle;
    this.#handle = null;
    if (handle && !handle.closed) await handle.channel.close().catch(() => undefined);
    this.host.forget(this);
  }

  cancel(options?: CloseOptions): Promise<void> {
    this.#cancelPromise ??= (async () => {
      await this.stop();
      await this.finish(options?.timeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS);
    })();
    return this.#cancelPromise;
  }
}

const RETRY_MIN_MS = 200;
const RETRY_MAX_MS = 5_000;

function bindingKey(queue: string, exchange: string, routingKey: string): string {
  return JSON.stringify([queue, exchange, routingKey]);
}

/** The broker refused the operation itself (as opposed to the connection failing under it). */
function serverRefusal(error: unknown, what: string): AppError | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (code === 404) return new AppError('BROKER_NOT_FOUND', `${what}: ${errorMessage(error)}`);
  if (code === 403 || code === 405 || code === 406) {
    return new AppError('BROKER_TOPOLOGY_CONFLICT', `${what}: ${errorMessage(error)}`);
  }
  return undefined;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
