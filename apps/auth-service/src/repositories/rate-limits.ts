export interface WindowCounts {
  /** Hits in the current window, this one included. */
  count: number;
  /** Hits in the window before it. */
  previousCount: number;
}

export interface RateLimitStore {
  /**
   * Counts one hit for `key` in the window starting at `windowStart` (one
   * atomic statement, so copies of the service share the counter) and returns
   * the counts of this and the previous window.
   */
  hit(key: string, windowStart: Date, windowMs: number): Promise<WindowCounts>;
  /** Housekeeping: deletes counters of which no window matters any more. */
  deleteExpired(now: Date): Promise<number>;
}
