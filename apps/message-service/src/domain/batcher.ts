export interface BatcherOptions {
  /** Most items one flush takes. */
  readonly maxBatch: number;
  /** Flushes that may run at once (1: strict group commit). */
  readonly concurrency: number;
}

interface Waiting<I, O> {
  readonly item: I;
  resolve(value: O): void;
  reject(error: unknown): void;
}

/**
 * Group commit: callers submit one item each and get its own result; items
 * that arrive while a flush is running (or within the same turn of the event
 * loop) are flushed together by the next one. Under load batches grow on their
 * own; when idle an item is flushed at once, without waiting for a timer.
 *
 * `flush` gets up to `maxBatch` items and returns one result per item, in
 * order. If it throws, every item of that batch is rejected with the error.
 */
export class Batcher<I, O> {
  readonly #flush: (items: readonly I[]) => Promise<readonly O[]>;
  readonly #options: BatcherOptions;
  #waiting: Array<Waiting<I, O>> = [];
  #running = 0;
  #scheduled = false;
  #idle: Array<() => void> = [];

  constructor(flush: (items: readonly I[]) => Promise<readonly O[]>, options: BatcherOptions) {
    if (options.maxBatch < 1 || options.concurrency < 1)
      throw new RangeError('maxBatch and concurrency must be ≥ 1');
    this.#flush = flush;
    this.#options = options;
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#waiting.push({ item, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        // Let everything delivered in this turn (one socket read holds many messages) join the batch.
        setImmediate(() => {
          this.#scheduled = false;
          this.#pump();
        });
      }
    });
  }

  /** Items waiting or being flushed. */
  get size(): number {
    return this.#waiting.length + this.#running;
  }

  /** Resolves once nothing is waiting or being flushed. */
  drained(): Promise<void> {
    if (this.#waiting.length === 0 && this.#running === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #pump(): void {
    while (this.#running < this.#options.concurrency && this.#waiting.length > 0) {
      const batch = this.#waiting.splice(0, this.#options.maxBatch);
      this.#running++;
      void this.#run(batch);
    }
    if (this.#running === 0 && this.#waiting.length === 0) {
      for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  async #run(batch: Array<Waiting<I, O>>): Promise<void> {
    try {
      const results = await this.#flush(batch.map((w) => w.item));
      if (results.length !== batch.length) {
        throw new Error(`flush returned ${results.length} results for ${batch.length} items`);
      }
      batch.forEach((w, i) => {
        w.resolve(results[i] as O);
      });
    } catch (error) {
      for (const w of batch) w.reject(error);
    } finally {
      this.#running--;
      this.#pump();
    }
  }
}
