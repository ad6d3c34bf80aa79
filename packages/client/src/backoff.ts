export interface BackoffOptions {
  /** Upper bound of the first delay, ms (default 500). */
  initialDelayMs?: number;
  /** Largest delay, ms (default 30 000). */
  maxDelayMs?: number;
  /** Random source in [0, 1); default Math.random. */
  random?: () => number;
}

/**
 * Exponential backoff with full jitter: the n-th delay is uniform in
 * [0, min(max, initial · 2ⁿ)], so a fleet of clients dropped at once by a
 * restarting gateway does not come back in one wave.
 */
export class Backoff {
  #attempt = 0;
  readonly #initial: number;
  readonly #max: number;
  readonly #random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.#initial = options.initialDelayMs ?? 500;
    this.#max = options.maxDelayMs ?? 30_000;
    this.#random = options.random ?? Math.random;
  }

  /** The delay before the next attempt; each call grows the bound. */
  next(): number {
    const bound = Math.min(this.#max, this.#initial * 2 ** Math.min(this.#attempt, 30));
    this.#attempt += 1;
    return Math.floor(this.#random() * bound);
  }

  reset(): void {
    this.#attempt = 0;
  }

  get attempts(): number {
    return this.#attempt;
  }
}
