import type { Broker, Subscription } from '@im/broker';
import { Queues } from '@im/contracts';
import type { Logger } from '@im/logger';
import { Registry } from 'prom-client';
import { Batcher } from './domain/batcher.js';
import { OutboxRelay } from './domain/outbox-relay.js';
import { createOutboxSignal, type OutboxSignal } from './domain/outbox-signal.js';
import { type PresenceEvent, PresenceTracker } from './domain/presence.js';
import { type ReceiptCommand, recordReceipts } from './domain/receipts.js';
import { sweepRetention } from './domain/retention.js';
import { type SendCommand, type SendOutcome, storeMessages } from './domain/send.js';
import { WorkerMetrics } from './metrics.js';
import type { MessageStore } from './repositories/store.js';

/** The parts of the worker; each can be switched off to run it in a separate process. */
export const WorkerComponents = ['commands', 'presence', 'relay', 'sweeps'] as const;
export type WorkerComponent = (typeof WorkerComponents)[number];

export interface MessageWorkerOptions {
  store: MessageStore;
  broker: Broker;
  logger: Logger;
  /** Shared with the HTTP app so its outbox writes wake the relay. */
  outbox?: OutboxSignal;
  /** What to run; default all. */
  components?: readonly WorkerComponent[];
  /** Send commands per transaction (at most `commandPrefetch` arrive at once). Default 64. */
  sendBatchSize?: number;
  /** Unacked commands this consumer holds at once; default the queue's (64). */
  commandPrefetch?: number;
  /**
   * Send transactions in flight at once. Default 2. Batches in flight together never share
   * a conversation, so each conversation's commands are stored in the order they arrived.
   */
  sendConcurrency?: number;
  /** Receipts per transaction. Default 256. */
  receiptBatchSize?: number;
  /** Presence events per pass. Default 256. */
  presenceBatchSize?: number;
  /** Largest envelope accepted, bytes of JSON. Default 64 KiB. */
  maxEnvelopeBytes?: number;
  /** Attempts at a command before it is dead-lettered (a database outage must outlast them). Default 10. */
  commandMaxAttempts?: number;
  outboxBatchSize?: number;
  outboxPollMs?: number;
  /** A device not refreshed for this long is offline. Default 90 s. */
  presenceExpiryMs?: number;
  /** How often expired devices are looked for. Default 15 s. */
  presenceSweepMs?: number;
  /** Where the worker's metrics go (share the app's registry so /metrics shows them). */
  metrics?: Registry;
  /** Keep messages this long; undefined keeps them forever. */
  retentionMs?: number;
  /** How often the retention sweep runs. Default 1 h. */
  retentionSweepMs?: number;
}

export interface MessageWorker {
  /** Declares the broker topology and starts the selected components. */
  start(): Promise<void>;
  /** Stops consuming (in-flight batches finish and are acked), the relay and the sweeps. Idempotent. */
  stop(): Promise<void>;
  readonly relay: OutboxRelay;
  readonly presence: PresenceTracker;
}

/**
 * The message service's broker side: the command consumer (message sends
 * batched into one transaction each; receipts coalesced), the presence
 * consumer, the outbox relay, and the periodic presence-expiry and retention
 * sweeps.
 */
export function createMessageWorker(options: MessageWorkerOptions): MessageWorker {
  const { store, broker, logger } = options;
  const log = logger.child({ component: 'message-worker' });
  const signal = options.outbox ?? createOutboxSignal();
  const components = new Set(options.components ?? WorkerComponents);
  const maxEnvelopeBytes = options.maxEnvelopeBytes ?? 64 * 1024;
  const metrics = new WorkerMetrics(options.metrics ?? new Registry(), store);

  const sends = new Batcher<SendCommand, SendOutcome>(
    async (commands) => {
      const outcomes = await storeMessages(store, commands, { maxEnvelopeBytes });
      signal.notify();
      metrics.sendBatch(outcomes);
      const rejected = outcomes.filter((o) => o.status === 'rejected').length;
      log.debug({ batch: commands.length, rejected }, 'send batch committed');
      return outcomes;
    },
    {
      maxBatch: options.sendBatchSize ?? 64,
      concurrency: options.sendConcurrency ?? 2,
      // Concurrent batches never share a conversation: its messages keep their arrival order.
      key: (command) => command.conversationId,
    },
  );
  const receipts = new Batcher<ReceiptCommand, void>(
    async (batch) => {
      const summary = await recordReceipts(store, batch);
      metrics.receiptBatch(batch.length);
      if (summary.membersMoved > 0) signal.notify();
      if (summary.ignored > 0) log.info({ ignored: summary.ignored }, 'receipts of non-members ignored');
      return batch.map(() => undefined);
    },
    { maxBatch: options.receiptBatchSize ?? 256, concurrency: 1 },
  );
  const presence = new PresenceTracker({
    store,
    publisher: broker,
    logger: log,
    ...(options.presenceExpiryMs === undefined ? {} : { expiryMs: options.presenceExpiryMs }),
  });
  const presenceEvents = new Batcher<PresenceEvent, void>(
    async (batch) => {
      metrics.presenceFlips(await presence.apply(batch));
      return batch.map(() => undefined);
    },
    { maxBatch: options.presenceBatchSize ?? 256, concurrency: 1 },
  );
  const relay = new OutboxRelay({
    store,
    publisher: broker,
    logger: log,
    signal,
    onPass: (pass) => metrics.relayPass(pass),
    ...(options.outboxBatchSize === undefined ? {} : { batchSize: options.outboxBatchSize }),
    ...(options.outboxPollMs === undefined ? {} : { pollIntervalMs: options.outboxPollMs }),
  });

  const subscriptions: Subscription[] = [];
  const timers: NodeJS.Timeout[] = [];
  let started = false;
  let stopping: Promise<void> | undefined;

  /** Runs `task` every `everyMs`, never two at once; failures are logged and the next run tries again. */
  function every(name: string, everyMs: number, task: () => Promise<unknown>): void {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      task()
        .catch((error: unknown) => log.error({ err: error, task: name }, 'periodic task failed'))
        .finally(() => {
          running = false;
        });
    }, everyMs);
    timer.unref();
    timers.push(timer);
  }

  return {
    relay,
    presence,
    async start() {
      if (started) return;
      started = true;
      await broker.declareTopology();
      if (components.has('relay')) relay.start();
      if (components.has('commands')) {
        subscriptions.push(
          await broker.consume(
            Queues.messageCommands,
            {
              'message.send.v1': async (command) => {
                await sends.submit(command);
              },
              'receipt.record.v1': (receipt) => receipts.submit(receipt),
            },
            {
              maxAttempts: options.commandMaxAttempts ?? 10,
              ...(options.commandPrefetch === undefined ? {} : { prefetch: options.commandPrefetch }),
            },
          ),
        );
      }
      if (components.has('presence')) {
        subscriptions.push(
          await broker.consume(Queues.messageEvents, {
            'presence.changed.v1': (event) => presenceEvents.submit(event),
          }),
        );
      }
      if (components.has('sweeps')) {
        every('presence expiry', options.presenceSweepMs ?? 15_000, async () =>
          metrics.presenceFlips(await presence.expire()),
        );
        const retentionMs = options.retentionMs;
        if (retentionMs !== undefined) {
          every('retention', options.retentionSweepMs ?? 3_600_000, () =>
            sweepRetention({ store, logger: log, retentionMs }),
          );
        }
      }
      log.info({ components: [...components] }, 'message worker started');
    },
    stop() {
      stopping ??= (async () => {
        for (const timer of timers) clearInterval(timer);
        // Cancelling waits for in-flight handlers, i.e. for their batches to commit.
        await Promise.all(subscriptions.map((s) => s.cancel()));
        await Promise.all([sends.drained(), receipts.drained(), presenceEvents.drained()]);
        await relay.stop();
        log.info('message worker stopped');
      })();
      return stopping;
    },
  };
}
