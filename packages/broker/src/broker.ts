import { randomUUID } from 'node:crypto';
import {
  AppError,
  BrokerCatalog,
  BrokerEnvelope,
  type CatalogEntry,
  DeadLetterSuffix,
  type ErrorCode,
  type ExchangeKey,
  type ExchangeSpec,
  Exchanges,
  isAppError,
  isMessageName,
  isRetryable,
  type MessageName,
  type MessagePayload,
  type QueueSpec,
  Queues,
  RetrySuffix,
} from '@im/contracts';
import { z } from 'zod';
import { attemptOf, BrokerHeaders, numberHeader, stringHeader, withoutTransientHeaders } from './headers.js';
import type { BrokerLogger } from './logger.js';
import { errorContext } from './logger.js';
import { defaultRetryPolicy, type RetryPolicy, retryDelay } from './retry.js';
import { parseQueueArguments } from './transport/routing.js';
import type {
  CloseOptions,
  Delivery,
  Headers,
  QueueArguments,
  Subscription,
  Transport,
} from './transport/types.js';

/** What a handler learns about the delivery besides its payload. */
export interface MessageContext<N extends MessageName = MessageName> {
  readonly name: N;
  /** The envelope id (AMQP message-id): deduplicate on it. */
  readonly messageId: string;
  readonly occurredAt: string;
  /** The routing key the message was first published with (kept across retries). */
  readonly routingKey: string;
  /** RabbitMQ delivered it before without an ack (a consumer died or the connection dropped). */
  readonly redelivered: boolean;
  /** 1 for the first attempt; counts retries after failures, not redeliveries. */
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly headers: Readonly<Headers>;
}

export type MessageHandler<N extends MessageName> = (
  data: MessagePayload<N>,
  context: MessageContext<N>,
) => Promise<void>;

/** Handlers by message name; each gets its payload typed from the catalog. */
export type MessageHandlers = { readonly [N in MessageName]?: MessageHandler<N> };

type NeedsRoutingKey<N extends MessageName> = (typeof BrokerCatalog)[N] extends {
  readonly routingKey: string;
}
  ? true
  : false;

export interface PublishOptions {
  /** Default: the message name. Required for messages whose catalog entry names a routing-key scheme. */
  readonly routingKey?: string;
  /** Default: a fresh UUID. Pass a stable id to make a re-publish deduplicable (outbox relays do). */
  readonly messageId?: string;
  readonly headers?: Readonly<Record<string, string | number | boolean>>;
  /** Default: the exchange's `mandatory` from the topology. */
  readonly mandatory?: boolean;
  /** Default: the exchange's `persistent` from the topology (true unless it says otherwise). */
  readonly persistent?: boolean;
  /** Per-message TTL. */
  readonly expirationMs?: number;
}

/** Publish options, with the routing key required where the catalog says so (delivery frames). */
export type PublishArgs<N extends MessageName> =
  NeedsRoutingKey<N> extends true
    ? [options: PublishOptions & { readonly routingKey: string }]
    : [options?: PublishOptions];

export interface ConsumeOptions {
  /** Default: the queue spec's prefetch. */
  readonly prefetch?: number;
  /** Default: the queue spec's maxAttempts. */
  readonly maxAttempts?: number;
  /** Backoff between attempts; default: the broker's policy. */
  readonly retry?: Partial<RetryPolicy>;
}

export interface QueueNames {
  readonly main: string;
  readonly retry: string;
  readonly deadLetter: string;
}

export interface DeadLetter {
  readonly messageId: string | undefined;
  /** The message name, when the body was a valid envelope. */
  readonly name: string | undefined;
  readonly exchange: string | undefined;
  readonly routingKey: string | undefined;
  readonly error: { readonly code: string; readonly message: string };
  readonly attempts: number;
  readonly failedAt: string | undefined;
  readonly replayCount: number;
  /** The parsed envelope, or undefined when the body is not one (then see `body`). */
  readonly envelope: BrokerEnvelope | undefined;
  readonly body: string;
}

export interface BrokerOptions {
  transport: Transport;
  logger: BrokerLogger;
  /** This process, in logs and consumer tags. */
  instanceId: string;
  /**
   * Prefix for every exchange and queue name (`<namespace>.<name>`), so that
   * test files, or several deployments on one RabbitMQ, never see each other.
   */
  namespace?: string;
  retry?: Partial<RetryPolicy>;
}

export interface Broker {
  readonly namespace: string;
  readonly transport: Transport;
  exchangeName(exchange: ExchangeKey): string;
  queueNames(queue: QueueSpec): QueueNames;
  /** Declares the fixed exchanges and queues of the topology (idempotent; every service may call it at start). */
  declareTopology(): Promise<void>;
  /** Declares one queue with its retry and dead-letter queues and its bindings (and their exchanges). */
  declareQueue(queue: QueueSpec): Promise<void>;
  /**
   * Validates `data` against the catalog schema (throws `BROKER_INVALID_MESSAGE`
   * and sends nothing when it does not match), publishes the envelope and
   * resolves once RabbitMQ confirmed it.
   */
  publish<N extends MessageName>(
    name: N,
    data: MessagePayload<N>,
    ...args: PublishArgs<N>
  ): Promise<{ messageId: string }>;
  /**
   * Declares the queue and consumes it. Each delivery is validated, handed to
   * the handler for its name and acked when the handler resolves. A failure is
   * retried with backoff up to `maxAttempts`, then dead-lettered; a
   * non-retryable AppError and an invalid message are dead-lettered at once.
   */
  consume(queue: QueueSpec, handlers: MessageHandlers, options?: ConsumeOptions): Promise<Subscription>;
  bindQueue(queue: QueueSpec, exchange: ExchangeKey, routingKey: string): Promise<void>;
  unbindQueue(queue: QueueSpec, exchange: ExchangeKey, routingKey: string): Promise<void>;
  /** Reads up to `limit` dead letters without removing them. */
  listDeadLetters(queue: QueueSpec, options?: { limit?: number }): Promise<DeadLetter[]>;
  /**
   * Moves up to `limit` dead letters back to the queue (oldest first) with a
   * fresh attempt count. Messages that die again while it runs are not picked up twice.
   */
  replayDeadLetters(queue: QueueSpec, options?: { limit?: number }): Promise<{ replayed: number }>;
  isConnected(): boolean;
  /** Stops consuming, waits for in-flight handlers (bounded), closes the transport. */
  close(options?: CloseOptions): Promise<void>;
}

export function createBroker(options: BrokerOptions): Broker {
  return new TypedBroker(options);
}

interface ConsumerConfig {
  readonly spec: QueueSpec;
  readonly names: QueueNames;
  readonly handlers: MessageHandlers;
  readonly maxAttempts: number;
  readonly retry: RetryPolicy;
}

type Decoded =
  | { readonly ok: true; readonly envelope: BrokerEnvelope; readonly name: MessageName }
  | { readonly ok: false; readonly error: AppError };

class TypedBroker implements Broker {
  readonly namespace: string;
  readonly transport: Transport;
  readonly #logger: BrokerLogger;
  readonly #instanceId: string;
  readonly #retry: RetryPolicy;

  constructor(options: BrokerOptions) {
    this.transport = options.transport;
    this.namespace = options.namespace ?? '';
    this.#logger = options.logger;
    this.#instanceId = options.instanceId;
    this.#retry = { ...defaultRetryPolicy, ...options.retry };
  }

  exchangeName(exchange: ExchangeKey): string {
    return this.#name(Exchanges[exchange].name);
  }

  queueNames(queue: QueueSpec): QueueNames {
    const main = this.#name(queue.name);
    return { main, retry: main + RetrySuffix, deadLetter: main + DeadLetterSuffix };
  }

  async declareTopology(): Promise<void> {
    for (const key of Object.keys(Exchanges) as ExchangeKey[]) await this.#declareExchange(key);
    for (const spec of Object.values(Queues)) await this.declareQueue(spec);
  }

  async declareQueue(queue: QueueSpec, withRetryQueue = queue.maxAttempts > 1): Promise<void> {
    const names = this.queueNames(queue);
    const args = this.#queueArguments(queue);
    for (const exchange of new Set(queue.bindings.map((b) => b.exchange)))
      await this.#declareExchange(exchange);
    await this.transport.assertQueue(names.main, { durable: queue.durable, arguments: args });
    if (withRetryQueue) await this.#declareDerived(queue, 'retry');
    await this.#declareDerived(queue, 'deadLetter');
    for (const binding of queue.bindings) {
      for (const key of binding.keys) await this.bindQueue(queue, binding.exchange, key);
    }
  }

  async bindQueue(queue: QueueSpec, exchange: ExchangeKey, routingKey: string): Promise<void> {
    await this.transport.bindQueue(this.queueNames(queue).main, this.exchangeName(exchange), routingKey);
  }

  async unbindQueue(queue: QueueSpec, exchange: ExchangeKey, routingKey: string): Promise<void> {
    await this.transport.unbindQueue(this.queueNames(queue).main, this.exchangeName(exchange), routingKey);
  }

  async publish<N extends MessageName>(
    name: N,
    data: MessagePayload<N>,
    ...args: PublishArgs<N>
  ): Promise<{ messageId: string }> {
    const options: PublishOptions = args[0] ?? {};
    const entry: CatalogEntry = BrokerCatalog[name];
    const parsed = entry.schema.safeParse(data);
    if (!parsed.success) {
      throw new AppError('BROKER_INVALID_MESSAGE', `${name}: ${z.prettifyError(parsed.error)}`, {
        name,
        issues: parsed.error.issues,
      });
    }
    if (entry.routingKey !== undefined && options.routingKey === undefined) {
      throw new AppError(
        'BROKER_INVALID_MESSAGE',
        `${name} needs an explicit routing key (${entry.routingKey})`,
        {
          name,
        },
      );
    }
    const exchange: ExchangeSpec = Exchanges[entry.exchange];
    const messageId = options.messageId ?? randomUUID();
    const envelope: BrokerEnvelope = {
      id: messageId,
      type: name,
      occurredAt: new Date().toISOString(),
      data: parsed.data,
    };
    await this.transport.publish(
      this.exchangeName(entry.exchange),
      options.routingKey ?? name,
      Buffer.from(JSON.stringify(envelope)),
      {
        messageId,
        type: name,
        contentType: 'application/json',
        headers: { ...options.headers },
        persistent: options.persistent ?? exchange.persistent ?? true,
        mandatory: options.mandatory ?? exchange.mandatory ?? false,
        expirationMs: options.expirationMs,
      },
    );
    return { messageId };
  }

  async consume(
    queue: QueueSpec,
    handlers: MessageHandlers,
    options: ConsumeOptions = {},
  ): Promise<Subscription> {
    const maxAttempts = Math.max(1, options.maxAttempts ?? queue.maxAttempts);
    await this.declareQueue(queue, maxAttempts > 1);
    const config: ConsumerConfig = {
      spec: queue,
      names: this.queueNames(queue),
      handlers,
      maxAttempts,
      retry: { ...this.#retry, ...options.retry },
    };
    return this.transport.consume(config.names.main, (delivery) => this.#handle(delivery, config), {
      prefetch: options.prefetch ?? queue.prefetch,
      tag: this.#instanceId,
    });
  }

  async listDeadLetters(queue: QueueSpec, options: { limit?: number } = {}): Promise<DeadLetter[]> {
    const { deadLetter } = this.queueNames(queue);
    const limit = options.limit ?? 100;
    const taken: Delivery[] = [];
    try {
      while (taken.length < limit) {
        const delivery = await this.transport.get(deadLetter);
        if (!delivery) break;
        taken.push(delivery);
      }
      return taken.map(describeDeadLetter);
    } finally {
      // Back where they were, in their order.
      for (const delivery of taken) delivery.nack({ requeue: true });
    }
  }

  async replayDeadLetters(queue: QueueSpec, options: { limit?: number } = {}): Promise<{ replayed: number }> {
    const names = this.queueNames(queue);
    const limit = options.limit ?? 100;
    const replayedIds = new Set<string>();
    let replayed = 0;
    while (replayed < limit) {
      const delivery = await this.transport.get(names.deadLetter);
      if (!delivery) break;
      const messageId = delivery.properties.messageId;
      if (messageId !== undefined && replayedIds.has(messageId)) {
        // It died again while this replay ran: leave it for the operator's next look.
        delivery.nack({ requeue: true });
        break;
      }
      const headers = delivery.properties.headers;
      try {
        await this.transport.publish('', names.main, delivery.body, {
          ...forwardedProperties(delivery),
          headers: {
            ...withoutTransientHeaders(headers),
            [BrokerHeaders.replayCount]: (numberHeader(headers, BrokerHeaders.replayCount) ?? 0) + 1,
          },
          mandatory: true,
        });
      } catch (error) {
        delivery.nack({ requeue: true });
        throw error;
      }
      delivery.ack();
      replayed++;
      if (messageId !== undefined) replayedIds.add(messageId);
      this.#logger.info(
        { queue: names.main, messageId: delivery.properties.messageId, name: delivery.properties.type },
        'replayed a dead letter',
      );
    }
    return { replayed };
  }

  isConnected(): boolean {
    return this.transport.isConnected();
  }

  close(options?: CloseOptions): Promise<void> {
    return this.transport.close(options);
  }

  async #handle(delivery: Delivery, config: ConsumerConfig): Promise<void> {
    const attempt = attemptOf(delivery.properties.headers);
    const decoded = decode(delivery);
    if (!decoded.ok) {
      await this.#deadLetter(delivery, config, decoded.error, attempt);
      return;
    }
    const { envelope, name } = decoded;
    const context: MessageContext = {
      name,
      messageId: envelope.id,
      occurredAt: envelope.occurredAt,
      routingKey:
        stringHeader(delivery.properties.headers, BrokerHeaders.originalRoutingKey) ?? delivery.routingKey,
      redelivered: delivery.redelivered,
      attempt,
      maxAttempts: config.maxAttempts,
      headers: delivery.properties.headers,
    };
    let outcome: 'done' | Error;
    try {
      outcome = await runHandler(config.handlers, name, envelope.data, context);
    } catch (error) {
      outcome = error instanceof Error ? error : new Error(String(error));
    }
    if (outcome === 'done') {
      delivery.ack();
    } else if (!isRetryable(outcome) || attempt >= config.maxAttempts) {
      await this.#deadLetter(delivery, config, outcome, attempt);
    } else {
      await this.#scheduleRetry(delivery, config, outcome, attempt);
    }
  }

  async #scheduleRetry(
    delivery: Delivery,
    config: ConsumerConfig,
    error: Error,
    attempt: number,
  ): Promise<void> {
    const delayMs = retryDelay(config.retry, attempt);
    const { code, message } = describeError(error);
    const headers: Headers = {
      ...withoutTransientHeaders(delivery.properties.headers),
      ...originHeaders(delivery),
      [BrokerHeaders.attempt]: attempt + 1,
      [BrokerHeaders.lastErrorCode]: code,
      [BrokerHeaders.lastErrorMessage]: truncate(message),
    };
    const context = {
      queue: config.spec.name,
      messageId: delivery.properties.messageId,
      name: delivery.properties.type,
      attempt,
      maxAttempts: config.maxAttempts,
    };
    const sent = await this.#sendToDerived(config, 'retry', delivery, headers, delayMs);
    if (!sent) return;
    delivery.ack();
    this.#logger.warn(
      { ...context, ...errorContext(error), retryInMs: delayMs },
      'handler failed; will retry',
    );
  }

  async #deadLetter(
    delivery: Delivery,
    config: ConsumerConfig,
    error: Error,
    attempt: number,
  ): Promise<void> {
    const { code, message } = describeError(error);
    const headers: Headers = {
      ...withoutTransientHeaders(delivery.properties.headers),
      ...originHeaders(delivery),
      [BrokerHeaders.attempt]: attempt,
      [BrokerHeaders.errorCode]: code,
      [BrokerHeaders.errorMessage]: truncate(message),
      [BrokerHeaders.failedAt]: new Date().toISOString(),
      [BrokerHeaders.sourceQueue]: config.names.main,
    };
    const sent = await this.#sendToDerived(config, 'deadLetter', delivery, headers, undefined);
    if (!sent) return;
    delivery.ack();
    this.#logger.error(
      {
        queue: config.spec.name,
        messageId: delivery.properties.messageId,
        name: delivery.properties.type,
        attempt,
        code,
        ...errorContext(error),
      },
      'message dead-lettered',
    );
  }

  /**
   * Publishes a copy to the retry or dead-letter queue. On failure the original
   * goes back to its queue (and will be tried again), so nothing is lost.
   * A derived queue that vanished (an expiring queue's companions) is declared again.
   */
  async #sendToDerived(
    config: ConsumerConfig,
    kind: 'retry' | 'deadLetter',
    delivery: Delivery,
    headers: Headers,
    expirationMs: number | undefined,
  ): Promise<boolean> {
    const publish = () =>
      this.transport.publish('', config.names[kind], delivery.body, {
        ...forwardedProperties(delivery),
        headers,
        expirationMs,
        mandatory: true,
      });
    try {
      try {
        await publish();
      } catch (error) {
        if (!(isAppError(error) && error.code === 'BROKER_UNROUTABLE')) throw error;
        await this.#declareDerived(config.spec, kind);
        await publish();
      }
      return true;
    } catch (error) {
      this.#logger.error(
        { ...errorContext(error), queue: config.spec.name, messageId: delivery.properties.messageId, kind },
        'could not move the message on; requeueing it',
      );
      delivery.nack({ requeue: true });
      return false;
    }
  }

  async #declareDerived(queue: QueueSpec, kind: 'retry' | 'deadLetter'): Promise<void> {
    const names = this.queueNames(queue);
    const expires = queue.arguments?.['x-expires'];
    const companion: QueueArguments = typeof expires === 'number' ? { 'x-expires': expires } : {};
    if (kind === 'retry') {
      // A message waits here for its per-message TTL, then RabbitMQ dead-letters it back to the queue.
      await this.transport.assertQueue(names.retry, {
        durable: queue.durable,
        arguments: {
          ...companion,
          'x-dead-letter-exchange': '',
          'x-dead-letter-routing-key': names.main,
        },
      });
    } else {
      await this.transport.assertQueue(names.deadLetter, { durable: queue.durable, arguments: companion });
    }
  }

  async #declareExchange(key: ExchangeKey): Promise<void> {
    await this.transport.assertExchange(this.exchangeName(key), Exchanges[key].type, { durable: true });
  }

  #queueArguments(queue: QueueSpec): QueueArguments {
    const args = parseQueueArguments(queue.arguments);
    const dlx = args['x-dead-letter-exchange'];
    return dlx ? { ...args, 'x-dead-letter-exchange': this.#name(dlx) } : args;
  }

  #name(name: string): string {
    return this.namespace ? `${this.namespace}.${name}` : name;
  }
}

async function runHandler<N extends MessageName>(
  handlers: MessageHandlers,
  name: N,
  data: unknown,
  context: MessageContext,
): Promise<'done' | Error> {
  const handler: MessageHandler<N> | undefined = handlers[name];
  if (!handler) {
    return new AppError('BROKER_NO_HANDLER', `This consumer has no handler for ${name}`, { name });
  }
  const parsed = BrokerCatalog[name].schema.safeParse(data);
  if (!parsed.success) {
    return new AppError('BROKER_INVALID_MESSAGE', `${name}: ${z.prettifyError(parsed.error)}`, {
      name,
      issues: parsed.error.issues,
    });
  }
  // The schema of N just accepted it: this is the one place the payload type is asserted.
  await handler(parsed.data as MessagePayload<N>, context as MessageContext<N>);
  return 'done';
}

function decode(delivery: Delivery): Decoded {
  let json: unknown;
  try {
    json = JSON.parse(delivery.body.toString('utf8'));
  } catch (error) {
    return {
      ok: false,
      error: new AppError('BROKER_INVALID_MESSAGE', `The body is not JSON: ${String(error)}`),
    };
  }
  const envelope = BrokerEnvelope.safeParse(json);
  if (!envelope.success) {
    return {
      ok: false,
      error: new AppError(
        'BROKER_INVALID_MESSAGE',
        `Not a broker envelope: ${z.prettifyError(envelope.error)}`,
      ),
    };
  }
  const name = envelope.data.type;
  if (!isMessageName(name)) {
    return { ok: false, error: new AppError('BROKER_INVALID_MESSAGE', `Unknown message type ${name}`) };
  }
  return { ok: true, envelope: envelope.data, name };
}

function describeDeadLetter(delivery: Delivery): DeadLetter {
  const headers = delivery.properties.headers;
  const body = delivery.body.toString('utf8');
  let envelope: BrokerEnvelope | undefined;
  try {
    const parsed = BrokerEnvelope.safeParse(JSON.parse(body));
    envelope = parsed.success ? parsed.data : undefined;
  } catch {
    // Not JSON: the dead letter is shown with its raw body.
    envelope = undefined;
  }
  return {
    messageId: delivery.properties.messageId,
    name: envelope?.type ?? delivery.properties.type,
    exchange: stringHeader(headers, BrokerHeaders.originalExchange),
    routingKey: stringHeader(headers, BrokerHeaders.originalRoutingKey),
    error: {
      code: stringHeader(headers, BrokerHeaders.errorCode) ?? 'UNKNOWN',
      message: stringHeader(headers, BrokerHeaders.errorMessage) ?? '',
    },
    attempts: attemptOf(headers),
    failedAt: stringHeader(headers, BrokerHeaders.failedAt),
    replayCount: numberHeader(headers, BrokerHeaders.replayCount) ?? 0,
    envelope,
    body,
  };
}

/** The properties a message keeps when the broker moves it between queues. */
function forwardedProperties(delivery: Delivery) {
  return {
    messageId: delivery.properties.messageId ?? randomUUID(),
    type: delivery.properties.type,
    contentType: delivery.properties.contentType,
    persistent: delivery.properties.persistent,
  };
}

/** Where the message was first published; the first move records it, later moves keep it. */
function originHeaders(delivery: Delivery): Headers {
  const headers = delivery.properties.headers;
  return {
    [BrokerHeaders.originalExchange]:
      stringHeader(headers, BrokerHeaders.originalExchange) ?? delivery.exchange,
    [BrokerHeaders.originalRoutingKey]:
      stringHeader(headers, BrokerHeaders.originalRoutingKey) ?? delivery.routingKey,
  };
}

function describeError(error: Error): { code: ErrorCode | string; message: string } {
  return isAppError(error)
    ? { code: error.code, message: error.message }
    : { code: 'INTERNAL', message: error.message };
}

function truncate(text: string, max = 1_000): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
