/**
 * RabbitMQ topology: every exchange, queue, routing key and queue argument of
 * the system lives here and nowhere else.
 *
 * CHANGING A NAME OR AN ARGUMENT HERE NEEDS A MIGRATION PLAN. Exchanges and
 * queues are durable and outlive deployments; RabbitMQ refuses to re-declare a
 * queue with different arguments (PRECONDITION_FAILED), and integrators bind
 * their own queues to these names. Add new names beside old ones, move
 * producers and consumers over, and delete the old ones last
 * (docs/contributing.md, "Changing a contract").
 */

export type ExchangeType = 'topic' | 'direct' | 'fanout';

export interface ExchangeSpec {
  readonly name: string;
  readonly type: ExchangeType;
  readonly description: string;
  /**
   * Whether messages published here are persistent (delivery mode 2, written to
   * disk by durable queues). Default true; live delivery is transient because
   * Postgres, not the broker, is what a device recovers from.
   */
  readonly persistent?: boolean;
  /**
   * Whether a publish that no queue receives is an error to the publisher
   * (AMQP `mandatory`, AppError `BROKER_UNROUTABLE`). Default false: an event
   * nobody has subscribed to yet is not a failure.
   */
  readonly mandatory?: boolean;
}

export const Exchanges = {
  /** Commands for the message service (send a message, record a receipt). */
  commands: {
    name: 'im.commands',
    type: 'topic',
    description: 'Commands to the message service; routing key = message name.',
    mandatory: true,
  },
  /** Facts that happened; anybody may bind a queue (integrators too). */
  events: {
    name: 'im.events',
    type: 'topic',
    description: 'Domain events; routing key = message name. Bind your own queue to consume them.',
  },
  /**
   * Live delivery to gateways. Each gateway instance binds its own queue with
   * the routing keys of the users and devices connected to it.
   */
  delivery: {
    name: 'im.delivery',
    type: 'topic',
    description:
      'Live delivery to gateways; routing key = user.<userId>, device.<deviceId> or broadcast.all.',
    persistent: false,
  },
} as const satisfies Record<string, ExchangeSpec>;

export type ExchangeKey = keyof typeof Exchanges;

/** Routing keys on the delivery exchange. */
export const DeliveryKeys = {
  user: (userId: string) => `user.${userId}`,
  device: (deviceId: string) => `device.${deviceId}`,
  broadcast: 'broadcast.all',
} as const;

export interface QueueSpec {
  readonly name: string;
  readonly description: string;
  /** Bindings: exchange key and routing-key patterns. */
  readonly bindings: ReadonlyArray<{ exchange: ExchangeKey; keys: readonly string[] }>;
  /** Durable queues survive a broker restart; per-instance queues are not durable. */
  readonly durable: boolean;
  /** Queue arguments (x-max-length, x-expires, x-message-ttl …). */
  readonly arguments?: Readonly<Record<string, string | number>>;
  /** How many deliveries a consumer of this queue gets before a failure goes to the DLQ. */
  readonly maxAttempts: number;
  readonly prefetch: number;
}

export const Queues = {
  messageCommands: {
    name: 'message-service.commands',
    description: 'Commands for the message service: message sends and receipts.',
    bindings: [{ exchange: 'commands', keys: ['message.send.v1', 'receipt.record.v1'] }],
    durable: true,
    maxAttempts: 5,
    prefetch: 64,
  },
  deliveryEvents: {
    name: 'delivery-worker.events',
    description: 'Events the delivery worker routes to gateways.',
    bindings: [
      {
        exchange: 'events',
        keys: [
          'message.stored.v1',
          'message.rejected.v1',
          'receipt.updated.v1',
          'conversation.updated.v1',
          'keys.changed.v1',
          'broadcast.requested.v1',
        ],
      },
    ],
    durable: true,
    maxAttempts: 5,
    prefetch: 64,
  },
  deliveryEphemeral: {
    name: 'delivery-worker.ephemeral',
    description: 'Typing indicators: dropped after 5 s, never retried.',
    bindings: [{ exchange: 'events', keys: ['typing.indicated.v1'] }],
    durable: true,
    arguments: { 'x-message-ttl': 5_000, 'x-max-length': 10_000 },
    maxAttempts: 1,
    prefetch: 128,
  },
  messageEvents: {
    name: 'message-service.events',
    description: 'Events the message service keeps state from (device presence).',
    bindings: [{ exchange: 'events', keys: ['presence.changed.v1'] }],
    durable: true,
    maxAttempts: 5,
    prefetch: 64,
  },
} as const satisfies Record<string, QueueSpec>;

export type QueueKey = keyof typeof Queues;

/**
 * Each gateway instance owns one queue. It is not durable and expires a minute
 * after its gateway stops consuming: a gateway that dies loses nothing, because
 * its clients reconnect elsewhere and sync from Postgres.
 */
export function gatewayQueue(instanceId: string): QueueSpec {
  return {
    name: `gateway.${instanceId}`,
    description: 'One per gateway instance; bound to the users and devices connected to it.',
    bindings: [
      { exchange: 'delivery', keys: [DeliveryKeys.broadcast] },
      { exchange: 'events', keys: ['session.revoked.v1'] },
    ],
    durable: false,
    arguments: { 'x-expires': 60_000, 'x-max-length': 100_000 },
    maxAttempts: 1,
    prefetch: 256,
  };
}

/**
 * Each delivery-worker copy owns one small queue that hears every membership
 * change, so that every copy (not only the one that consumed the event from
 * the shared queue) drops its cached member list at once.
 */
export function deliveryWorkerQueue(instanceId: string): QueueSpec {
  return {
    name: `delivery-worker.${instanceId}`,
    description: 'One per delivery-worker copy: membership changes that invalidate its members cache.',
    bindings: [{ exchange: 'events', keys: ['conversation.updated.v1'] }],
    durable: false,
    arguments: { 'x-expires': 60_000, 'x-max-length': 10_000 },
    maxAttempts: 1,
    prefetch: 64,
  };
}

/**
 * One per copy of a service that verifies access tokens over HTTP: session
 * revocations, so that a revoked session's token is refused at once rather than
 * when it expires. Not durable; expires a minute after its copy stops.
 */
export function revocationsQueue(service: string, instanceId: string): QueueSpec {
  return {
    name: `${service}.revocations.${instanceId}`,
    description: 'One per copy of a token-verifying service: session revocations for its revocation list.',
    bindings: [{ exchange: 'events', keys: ['session.revoked.v1'] }],
    durable: false,
    arguments: { 'x-expires': 60_000, 'x-max-length': 100_000 },
    maxAttempts: 1,
    prefetch: 256,
  };
}

/** Suffixes of the queues the broker package derives for retries and dead letters. */
export const RetrySuffix = '.retry';
export const DeadLetterSuffix = '.dlq';
