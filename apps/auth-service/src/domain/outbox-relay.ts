import type { Logger } from '@im/logger';
import type { ClaimedEvent, OutboxEvent, OutboxRepository } from '../repositories/outbox.js';
import type { Clock } from './clock.js';

/** Publishes one event to the broker; resolves once the broker has confirmed it. */
export type EventPublisher = (event: OutboxEvent) => Promise<void>;

export interface OutboxRelayOptions {
  outbox: OutboxRepository;
  publish: EventPublisher;
  clock: Clock;
  logger: Logger;
  /** How often unpublished events are looked for when nothing wakes the relay, ms (default 1000). */
  pollIntervalMs?: number;
  batchSize?: number;
  /** How long a claimed event is held before another relay may take it, ms (default 30 s). */
  leaseMs?: number;
  /** First retry delay after a failed publish, doubled per attempt up to `maxRetryDelayMs`. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
}

/**
 * The transactional outbox relay: events are committed in the same
 * transaction as the change they describe, and this loop publishes them and
 * marks them published. A broker outage or a crash between commit and publish
 * delays an event but never loses it; a crash between publish and mark
 * publishes it twice, which consumers absorb (the outbox id is the message id).
 * Several copies may run: claims with SKIP LOCKED keep them off each other's rows.
 */
export class OutboxRelay {
  readonly #options: Required<Omit<OutboxRelayOptions, 'outbox' | 'publish' | 'clock' | 'logger'>> &
    OutboxRelayOptions;
  #running = false;
  #pass: Promise<void> | undefined;
  #again = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: OutboxRelayOptions) {
    this.#options = {
      pollIntervalMs: 1_000,
      batchSize: 100,
      leaseMs: 30_000,
      retryDelayMs: 500,
      maxRetryDelayMs: 60_000,
      ...options,
    };
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.wake();
  }

  /** Publish what is pending now (called after a commit that wrote events). */
  wake(): void {
    if (!this.#running) return;
    if (this.#pass) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    this.#pass = this.#loop().finally(() => {
      this.#pass = undefined;
      if (this.#running) this.#timer = setTimeout(() => this.wake(), this.#options.pollIntervalMs);
    });
  }

  /** Stops the loop and waits for the pass in flight. Pending events stay in the outbox for the next start. */
  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    await this.#pass;
  }

  /** Runs passes until nothing publishable is left (or a publish fails); returns how many were published. */
  async flush(): Promise<number> {
    let total = 0;
    for (;;) {
      const { published, failed, claimed } = await this.#passOnce();
      total += published;
      if (failed || claimed < this.#options.batchSize) return total;
    }
  }

  async #loop(): Promise<void> {
    do {
      this.#again = false;
      try {
        await this.flush();
      } catch (error) {
        // The database is unreachable: the next poll tries again; the events are safe in the outbox.
        this.#options.logger.error({ err: error }, 'outbox relay pass failed; retrying at the next poll');
      }
    } while (this.#again && this.#running);
  }

  async #passOnce(): Promise<{ claimed: number; published: number; failed: boolean }> {
    const { outbox, clock, batchSize, leaseMs } = this.#options;
    const now = clock();
    const events = await outbox.claim(batchSize, now, new Date(now.getTime() + leaseMs));
    const done: string[] = [];
    let failed = false;
    for (const [index, event] of events.entries()) {
      try {
        await this.#options.publish(event);
        done.push(event.id);
      } catch (error) {
        failed = true;
        const retryAt = await this.#fail(event, error);
        // The broker is likely down: the rest of the batch waits for the same retry time.
        await outbox.release(
          events.slice(index + 1).map((e) => e.id),
          retryAt,
        );
        break;
      }
    }
    if (done.length > 0) await outbox.markPublished(done, clock());
    return { claimed: events.length, published: done.length, failed };
  }

  async #fail(event: ClaimedEvent, error: unknown): Promise<Date> {
    const { retryDelayMs, maxRetryDelayMs, clock, outbox, logger } = this.#options;
    const delay = Math.min(maxRetryDelayMs, retryDelayMs * 2 ** Math.max(0, event.attempts - 1));
    const message = error instanceof Error ? error.message : String(error);
    logger.warn(
      { eventId: event.id, name: event.name, attempts: event.attempts, err: error },
      'event publish failed; will retry',
    );
    const retryAt = new Date(clock().getTime() + delay);
    await outbox.markFailed(event.id, message, retryAt);
    return retryAt;
  }
}
