import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { RelayPass } from './domain/outbox-relay.js';
import type { SendOutcome } from './domain/send.js';
import type { MessageStore } from './repositories/store.js';

/** The worker's Prometheus metrics (served by the app's /metrics when both share a registry). */
export class WorkerMetrics {
  readonly #sendBatch: Histogram;
  readonly #sends: Counter<'outcome'>;
  readonly #receiptBatch: Histogram;
  readonly #outbox: Counter<'result'>;
  readonly #presenceFlips: Counter<'status'>;

  constructor(registry: Registry, store: MessageStore) {
    const registers = [registry];
    const batchBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256];
    this.#sendBatch = new Histogram({
      name: 'message_send_batch_size',
      help: 'Send commands stored per transaction',
      buckets: batchBuckets,
      registers,
    });
    this.#sends = new Counter({
      name: 'message_send_commands_total',
      help: 'Send commands handled, by outcome (stored, duplicate, rejected)',
      labelNames: ['outcome'] as const,
      registers,
    });
    this.#receiptBatch = new Histogram({
      name: 'message_receipt_batch_size',
      help: 'Receipts coalesced per transaction',
      buckets: batchBuckets,
      registers,
    });
    this.#outbox = new Counter({
      name: 'message_outbox_events_total',
      help: 'Outbox events by result (published, failed and left for later, dropped)',
      labelNames: ['result'] as const,
      registers,
    });
    this.#presenceFlips = new Counter({
      name: 'message_presence_transitions_total',
      help: 'Users going online or offline',
      labelNames: ['status'] as const,
      registers,
    });
    new Gauge({
      name: 'message_outbox_backlog',
      help: 'Events committed but not yet published',
      registers,
      async collect() {
        this.set(await store.repos.outbox.count());
      },
    });
  }

  sendBatch(outcomes: readonly SendOutcome[]): void {
    this.#sendBatch.observe(outcomes.length);
    for (const outcome of outcomes) this.#sends.inc({ outcome: outcome.status });
  }

  receiptBatch(size: number): void {
    this.#receiptBatch.observe(size);
  }

  relayPass(pass: RelayPass): void {
    if (pass.published) this.#outbox.inc({ result: 'published' }, pass.published);
    if (pass.failed) this.#outbox.inc({ result: 'failed' }, pass.failed);
    if (pass.dropped) this.#outbox.inc({ result: 'dropped' }, pass.dropped);
  }

  presenceFlips(flips: ReadonlyArray<{ online: boolean }>): void {
    for (const flip of flips) this.#presenceFlips.inc({ status: flip.online ? 'online' : 'offline' });
  }
}
