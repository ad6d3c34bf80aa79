/**
 * The low-level transport: just enough of AMQP 0-9-1 for the typed broker on
 * top, with two implementations of the same semantics: `AmqpTransport`
 * (RabbitMQ through amqplib) and `MemoryTransport` (in-process, for the
 * standalone single-process mode). One contract suite runs against both.
 *
 * Names are used as given; the typed `Broker` applies its namespace before it
 * calls down here.
 */

export type ExchangeType = 'direct' | 'topic' | 'fanout';

/** The queue arguments both transports implement (RabbitMQ's `x-` names and meanings). */
export interface QueueArguments {
  /** Messages older than this many ms are dropped (or dead-lettered) when they reach the head. */
  readonly 'x-message-ttl'?: number;
  /** At most this many ready messages; the oldest is dropped (or dead-lettered) first. */
  readonly 'x-max-length'?: number;
  /** Only drop-head is implemented by both transports. */
  readonly 'x-overflow'?: 'drop-head';
  /** The queue is deleted after this many ms without consumers, declarations or gets. */
  readonly 'x-expires'?: number;
  /** Where rejected, expired and dropped messages go (`''` is the default exchange). */
  readonly 'x-dead-letter-exchange'?: string;
  /** Routing key for dead letters; default: the message's own routing key. */
  readonly 'x-dead-letter-routing-key'?: string;
}

export interface QueueOptions {
  readonly durable: boolean;
  readonly arguments?: QueueArguments;
}

export interface ExchangeOptions {
  readonly durable: boolean;
}

/** Header values as they travel in AMQP tables. */
export type Headers = Record<string, unknown>;

export interface PublishOptions {
  /** AMQP `message-id`; consumers deduplicate on it. */
  readonly messageId: string;
  /** AMQP `type`: the catalog message name. */
  readonly type?: string;
  readonly contentType?: string;
  readonly headers?: Headers;
  /** Delivery mode 2: durable queues keep the message across a broker restart. */
  readonly persistent?: boolean;
  /** Per-message TTL in ms (AMQP `expiration`). */
  readonly expirationMs?: number;
  /** Reject with `BROKER_UNROUTABLE` when no queue receives the message. */
  readonly mandatory?: boolean;
}

export interface DeliveryProperties {
  readonly messageId: string | undefined;
  readonly type: string | undefined;
  readonly contentType: string | undefined;
  readonly headers: Headers;
  readonly persistent: boolean;
  readonly expirationMs: number | undefined;
}

/**
 * One message handed to a consumer (or fetched with `get`). Settle it exactly
 * once: settling twice is a programming error and throws. Settling after the
 * channel it came on is gone (connection lost, transport closed) does nothing:
 * the broker has already put the message back for redelivery.
 */
export interface Delivery {
  readonly body: Buffer;
  readonly properties: DeliveryProperties;
  readonly exchange: string;
  readonly routingKey: string;
  /** The broker delivered this message before (to this or another consumer) without an ack. */
  readonly redelivered: boolean;
  ack(): void;
  /** `requeue: true` puts it back at its place in the queue; false dead-letters (or drops) it. */
  nack(options: { requeue: boolean }): void;
}

/**
 * Handles one delivery. It should settle the delivery; if it rejects without
 * settling, the transport logs the error and requeues the message.
 */
export type DeliveryHandler = (delivery: Delivery) => Promise<void>;

export interface ConsumeOptions {
  /** At most this many unsettled deliveries at a time (AMQP basic.qos per consumer). */
  readonly prefetch: number;
  /** A label for logs and RabbitMQ's consumer list. */
  readonly tag?: string;
}

export interface CloseOptions {
  /** How long to wait for in-flight handlers before closing anyway (their messages are requeued). */
  readonly timeoutMs?: number;
}

export interface Subscription {
  readonly queue: string;
  /** Stops deliveries, waits for in-flight handlers (bounded), then requeues whatever is still unsettled. */
  cancel(options?: CloseOptions): Promise<void>;
}

export interface QueueInfo {
  /** Ready messages (delivered-but-unacked ones are not counted, as in RabbitMQ). */
  readonly messageCount: number;
  readonly consumerCount: number;
}

export interface DeclaredNames {
  readonly exchanges: readonly string[];
  readonly queues: readonly string[];
}

export interface Transport {
  readonly kind: 'amqp' | 'memory';
  assertExchange(name: string, type: ExchangeType, options: ExchangeOptions): Promise<void>;
  assertQueue(name: string, options: QueueOptions): Promise<void>;
  deleteExchange(name: string): Promise<void>;
  deleteQueue(name: string): Promise<void>;
  bindQueue(queue: string, exchange: string, routingKey: string): Promise<void>;
  unbindQueue(queue: string, exchange: string, routingKey: string): Promise<void>;
  /**
   * Resolves once the broker has taken responsibility for the message (publisher
   * confirm). Rejects with AppError `BROKER_UNROUTABLE` (mandatory, no queue) or
   * `BROKER_NOT_CONFIRMED` (nacked, connection lost, no confirm in time, no
   * such exchange); the message may then have been delivered or not, so a
   * publisher that retries relies on consumers deduplicating by message id.
   */
  publish(exchange: string, routingKey: string, body: Buffer, options: PublishOptions): Promise<void>;
  consume(queue: string, handler: DeliveryHandler, options: ConsumeOptions): Promise<Subscription>;
  /** Fetches one ready message without a consumer (AMQP basic.get), or null when the queue is empty. */
  get(queue: string): Promise<Delivery | null>;
  /** Rejects with `BROKER_NOT_FOUND` when the queue does not exist. */
  queueInfo(queue: string): Promise<QueueInfo>;
  /** Every exchange and queue this transport has declared (test cleanup deletes them). */
  declaredNames(): DeclaredNames;
  /** Readiness: a connection is up and usable. */
  isConnected(): boolean;
  /** Stops consuming, waits for in-flight handlers (bounded), then closes. */
  close(options?: CloseOptions): Promise<void>;
}
