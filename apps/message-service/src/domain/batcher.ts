export interface BatcherOptions<I = unknown> {
  /** Most items one flush takes. */
  readonly maxBatch: number;
  /** Flushes that may run at once (1: strict group commit). */
  readonly concurrency: number;
  /**
   * Items with the same key are flushed in submission order, never in two
   * flushes at once (a conversation's messages keep the order they arrived
   * in); only items of different keys run concurrently.
   */
  readonly key?: (item: I) => string;
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
  readonly #options: BatcherOptions<I>;
  /** Keys of the items being flushed, with how many flushes hold each. */
  readonly #busy = new Map<string, number>();
  #waiting: Array<Waiting<I, O>> = [];
  #running = 0;
  #scheduled = false;
  #idle: Array<() => void> = [];

  constructor(flush: (items: readonly I[]) => Promise<readonly O[]>, options: BatcherOptions<I>) {
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
      const batch = this.#take();
      if (batch.length === 0) break;
      this.#running++;
      void this.#run(batch);
    }
    if (this.#running === 0 && this.#waiting.length === 0) {
      for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  /**
   * The next batch: waiting items in order, up to maxBatch, skipping items
   * whose key a running flush holds. Once an item of a key is left behind,
   * every later item of that key is too, so each key keeps its order.
   */
  #take(): Array<Waiting<I, O>> {
    const keyOf = this.#options.key;
    if (!keyOf) return this.#waiting.splice(0, this.#options.maxBatch);
    const blocked = new Set(this.#busy.keys());
    const batch: Array<Waiting<I, O>> = [];
    const rest: Array<Waiting<I, O>> = [];
    for (const waiting of this.#waiting) {
      const key = keyOf(waiting.item);
      if (batch.length < this.#options.maxBatch && !blocked.has(key)) {
        batch.push(waiting);
      } else {
        rest.push(waiting);
        blocked.add(key);
      }
    }
    this.#waiting = rest;
    for (const key of new Set(batch.map((w) => keyOf(w.item)))) {
      this.#busy.set(key, (this.#busy.get(key) ?? 0) + 1);
    }
    return batch;
  }

  #release(batch: Array<Waiting<I, O>>): void {
    const keyOf = this.#options.key;
    if (!keyOf) return;
    for (const key of new Set(batch.map((w) => keyOf(w.item)))) {
      const holders = (this.#busy.get(key) ?? 1) - 1;
      if (holders === 0) this.#busy.delete(key);
      else this.#busy.set(key, holders);
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
      this.#release(batch);
      this.#running--;
      this.#pump();
    }
  }
}
