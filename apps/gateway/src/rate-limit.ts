/**
 * A token bucket: `capacity` tokens, refilled at `ratePerSecond`. Each frame
 * takes one; a frame that finds the bucket empty is refused.
 */
export class TokenBucket {
  #tokens: number;
  #last: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly capacity: number,
    private readonly now: () => number = Date.now,
  ) {
    this.#tokens = capacity;
    this.#last = now();
  }

  take(): boolean {
    const now = this.now();
    this.#tokens = Math.min(this.capacity, this.#tokens + ((now - this.#last) / 1000) * this.ratePerSecond);
    this.#last = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

/** Counts refusals in a fixed window; `exceeded` once more than `max` fell in the current one. */
export class ViolationCounter {
  #windowStart: number;
  #count = 0;

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.#windowStart = now();
  }

  /** Records one refusal; true when the connection should be closed. */
  record(): boolean {
    const now = this.now();
    if (now - this.#windowStart >= this.windowMs) {
      this.#windowStart = now;
      this.#count = 0;
    }
    this.#count += 1;
    return this.#count > this.max;
  }
}
