import type { Broker, MessageContext, Subscription } from '@im/broker';
import {
  DeliveryKeys,
  deliveryWorkerQueue,
  ErrorCode,
  isAppError,
  type MessagePayload,
  Queues,
  type ServerFrame,
} from '@im/contracts';
import type { Logger } from '@im/logger';
import { Counter, type Registry } from 'prom-client';
import type { MemberDirectory } from './directory.js';
import { MembersCache } from './members-cache.js';

export interface DeliveryWorkerOptions {
  broker: Broker;
  /** The message service's internal member and contact lists. */
  directory: MemberDirectory;
  logger: Logger;
  /** Unique per running copy: names its cache-invalidation queue. */
  instanceId: string;
  /** How long a cached member list is used without a membership event, ms (default 30 000). */
  membersCacheTtlMs?: number;
  /** Most conversations in the members cache (default 10 000). */
  membersCacheSize?: number;
  /** Typing frames expire in the broker after this long, ms (default 5 000). */
  typingTtlMs?: number;
  /** Where to count what it does (the main.ts app's registry); default none. */
  metrics?: Registry;
}

export interface DeliveryWorker {
  /** Declares the topology and starts consuming. */
  start(): Promise<void>;
  /** Stops consuming (in-flight messages finish) and deletes this copy's invalidation queue. Idempotent. */
  stop(): Promise<void>;
}

interface Metrics {
  frames: Counter<'type'>;
  invalidations: Counter;
  offline: Counter;
  typingDropped: Counter<'reason'>;
}

/**
 * Routes events to the gateways holding their recipients by publishing
 * `delivery.frame.v1` on the delivery exchange. Stateless besides a members
 * cache; idempotent (a redelivered event yields the same frames again, which
 * clients drop by (conversationId, seq)); any number of copies may run.
 */
export function createDeliveryWorker(options: DeliveryWorkerOptions): DeliveryWorker {
  const { broker, directory } = options;
  const log = options.logger.child({ component: 'delivery-worker' });
  const typingTtlMs = options.typingTtlMs ?? 5_000;
  const cache = new MembersCache(directory, {
    ttlMs: options.membersCacheTtlMs ?? 30_000,
    maxEntries: options.membersCacheSize ?? 10_000,
  });
  const metrics = createMetrics(options.metrics);
  const ownQueue = deliveryWorkerQueue(options.instanceId);
  const subscriptions: Subscription[] = [];
  let stopping: Promise<void> | undefined;

  /** Publishes one frame; `mandatory` makes "nobody has it bound" an error (BROKER_UNROUTABLE). */
  function publishFrame(
    routingKey: string,
    frame: ServerFrame,
    publishOptions: { mandatory?: boolean; expirationMs?: number } = {},
  ): Promise<unknown> {
    metrics.frames.inc({ type: frame.type });
    return broker.publish('delivery.frame.v1', { frame }, { routingKey, ...publishOptions });
  }

  /** The same frame to every user's devices. All publishes start at once, in order. */
  async function toUsers(userIds: Iterable<string>, frame: ServerFrame, extra?: { expirationMs?: number }) {
    await Promise.all(
      [...new Set(userIds)].map((userId) => publishFrame(DeliveryKeys.user(userId), frame, extra)),
    );
  }

  async function onStored(data: MessagePayload<'message.stored.v1'>, context: MessageContext): Promise<void> {
    const { message, memberIds } = data;
    const sent = publishFrame(DeliveryKeys.device(message.senderDeviceId), {
      type: 'message.sent',
      clientMsgId: message.clientMsgId,
      conversationId: message.conversationId,
      messageId: message.id,
      seq: message.seq,
      createdAt: message.createdAt,
    });
    const frame: ServerFrame = { type: 'message', message };
    const deliveries = [...new Set(memberIds)].map(async (memberId) => {
      try {
        await publishFrame(DeliveryKeys.user(memberId), frame, { mandatory: true });
        return { memberId, online: true };
      } catch (error) {
        if (isAppError(error) && error.code === 'BROKER_UNROUTABLE') return { memberId, online: false };
        throw error;
      }
    });
    await sent;
    const results = await Promise.all(deliveries);
    const offline = results.filter((r) => !r.online && r.memberId !== message.senderId);
    // Push integrators deduplicate on the message id, stable across redeliveries of this event.
    await Promise.all(
      offline.map(({ memberId }) =>
        broker
          .publish(
            'notification.offline.v1',
            {
              userId: memberId,
              conversationId: message.conversationId,
              messageId: message.id,
              seq: message.seq,
              senderId: message.senderId,
            },
            { messageId: `${message.id}:${memberId}` },
          )
          .then(() => metrics.offline.inc()),
      ),
    );
    log.debug(
      {
        messageId: message.id,
        seq: message.seq,
        members: memberIds.length,
        offline: offline.length,
        event: context.messageId,
      },
      'message routed',
    );
  }

  async function onRejected(data: MessagePayload<'message.rejected.v1'>): Promise<void> {
    const code = ErrorCode.safeParse(data.code);
    if (!code.success)
      log.warn({ code: data.code }, 'rejection with a code outside the catalog; sent as VALIDATION_FAILED');
    await publishFrame(DeliveryKeys.device(data.senderDeviceId), {
      type: 'error',
      code: code.success ? code.data : 'VALIDATION_FAILED',
      message: data.message,
      clientMsgId: data.clientMsgId,
    });
  }

  async function onReceipt(data: MessagePayload<'receipt.updated.v1'>): Promise<void> {
    await toUsers(data.memberIds, {
      type: 'receipt',
      conversationId: data.conversationId,
      userId: data.userId,
      deliveredSeq: data.deliveredSeq,
      readSeq: data.readSeq,
    });
  }

  function forget(conversationId: string): void {
    cache.invalidate(conversationId);
    metrics.invalidations.inc();
  }

  async function onConversation(data: MessagePayload<'conversation.updated.v1'>): Promise<void> {
    forget(data.conversationId);
    await toUsers([...data.memberIds, ...data.affectedUserIds], {
      type: 'conversation.updated',
      conversationId: data.conversationId,
      change: data.change,
      memberIds: data.memberIds,
    });
  }

  async function onKeys(data: MessagePayload<'keys.changed.v1'>): Promise<void> {
    const contacts = await directory.contacts(data.userId);
    // The user's own other devices learn it too.
    await toUsers([data.userId, ...contacts], {
      type: 'keys.changed',
      userId: data.userId,
      keyVersion: data.keyVersion,
    });
  }

  async function onBroadcast(
    data: MessagePayload<'broadcast.requested.v1'>,
    context: MessageContext,
  ): Promise<void> {
    await publishFrame(DeliveryKeys.broadcast, {
      type: 'broadcast',
      text: data.text,
      from: data.from,
      at: context.occurredAt,
    });
  }

  async function onTyping(data: MessagePayload<'typing.indicated.v1'>): Promise<void> {
    // Ephemeral: a typing indicator that cannot be delivered now is dropped, never retried.
    try {
      const members = await cache.members(data.conversationId);
      if (!members?.has(data.userId)) {
        metrics.typingDropped.inc({ reason: 'not_member' });
        log.debug(
          { conversationId: data.conversationId, userId: data.userId },
          'typing from a non-member dropped',
        );
        return;
      }
      const others = [...members].filter((id) => id !== data.userId);
      await toUsers(
        others,
        { type: 'typing', conversationId: data.conversationId, userId: data.userId, state: data.state },
        { expirationMs: typingTtlMs },
      );
    } catch (error) {
      metrics.typingDropped.inc({ reason: 'error' });
      log.warn({ err: error, conversationId: data.conversationId }, 'typing indicator dropped');
    }
  }

  return {
    async start() {
      await broker.declareTopology();
      subscriptions.push(
        await broker.consume(Queues.deliveryEvents, {
          'message.stored.v1': onStored,
          'message.rejected.v1': onRejected,
          'receipt.updated.v1': onReceipt,
          'conversation.updated.v1': onConversation,
          'keys.changed.v1': onKeys,
          'broadcast.requested.v1': onBroadcast,
        }),
        await broker.consume(Queues.deliveryEphemeral, { 'typing.indicated.v1': onTyping }),
        await broker.consume(ownQueue, {
          'conversation.updated.v1': async (data) => forget(data.conversationId),
        }),
      );
      log.info({ instanceId: options.instanceId }, 'delivery worker consuming');
    },
    stop() {
      stopping ??= (async () => {
        await Promise.all(subscriptions.splice(0).map((s) => s.cancel()));
        const { main, deadLetter } = broker.queueNames(ownQueue);
        for (const name of [main, deadLetter]) {
          try {
            await broker.transport.deleteQueue(name);
          } catch (error) {
            // It expires by itself (x-expires) a minute after its consumer left.
            log.warn({ err: error, queue: name }, 'could not delete the invalidation queue');
          }
        }
      })();
      return stopping;
    },
  };
}

function createMetrics(registry: Registry | undefined): Metrics {
  const registers = registry ? [registry] : [];
  return {
    frames: new Counter({
      name: 'delivery_worker_frames_published_total',
      help: 'delivery.frame.v1 messages published, by frame type',
      labelNames: ['type'] as const,
      registers,
    }),
    invalidations: new Counter({
      name: 'delivery_worker_members_cache_invalidations_total',
      help: 'Cached member lists dropped because a membership changed',
      registers,
    }),
    offline: new Counter({
      name: 'delivery_worker_offline_notifications_total',
      help: 'notification.offline.v1 published (a recipient had no connected device)',
      registers,
    }),
    typingDropped: new Counter({
      name: 'delivery_worker_typing_dropped_total',
      help: 'Typing indicators not forwarded, by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
  };
}
