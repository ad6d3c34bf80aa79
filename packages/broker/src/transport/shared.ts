import type { BrokerLogger } from '../logger.js';
import { errorContext } from '../logger.js';
import type { Delivery, DeliveryHandler, DeliveryProperties } from './types.js';

/** A delivery that refuses to be settled twice (RabbitMQ would close the channel for it). */
export abstract class SettleOnceDelivery implements Delivery {
  #settled = false;
  abstract readonly body: Buffer;
  abstract readonly properties: DeliveryProperties;
  abstract readonly exchange: string;
  abstract readonly routingKey: string;
  abstract readonly redelivered: boolean;

  get settled(): boolean {
    return this.#settled;
  }

  ack(): void {
    this.claim('ack');
    this.settle('ack');
  }

  nack(options: { requeue: boolean }): void {
    this.claim('nack');
    this.settle(options.requeue ? 'requeue' : 'reject');
  }

  protected abstract settle(outcome: 'ack' | 'requeue' | 'reject'): void;

  private claim(what: string): void {
    if (this.#settled) {
      throw new Error(`${what}: delivery ${this.properties.messageId ?? '(no id)'} is already settled`);
    }
    this.#settled = true;
  }
}

/** Handler runs that are still going; `drain` waits for them, bounded. */
export class InFlight {
  readonly #running = new Set<Promise<void>>();

  get size(): number {
    return this.#running.size;
  }

  /** Runs the handler; a rejection without a settle requeues the delivery. Never rejects. */
  run(handler: DeliveryHandler, delivery: SettleOnceDelivery, logger: BrokerLogger, queue: string): void {
    const running = (async () => {
      try {
        await handler(delivery);
      } catch (error) {
        logger.error(
          { ...errorContext(error), queue, messageId: delivery.properties.messageId },
          'delivery handler failed without settling; requeueing',
        );
        if (!delivery.settled) delivery.nack({ requeue: true });
      }
    })();
    this.#running.add(running);
    void running.finally(() => this.#running.delete(running));
  }

  /** Resolves true when every run finished, false when `timeoutMs` passed first. */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.#running.size > 0) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        Promise.all(this.#running).then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), left);
        }),
      ]);
      clearTimeout(timer);
      if (timedOut) return false;
    }
    return true;
  }
}

export const DEFAULT_CLOSE_TIMEOUT_MS = 10_000;
