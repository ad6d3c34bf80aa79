import { AppError } from '@im/contracts';
import type { RateLimitStore } from '../repositories/rate-limits.js';
import type { Clock } from './clock.js';

export interface RateLimitRule {
  /** Requests allowed per window. */
  limit: number;
  windowMs: number;
}

/** A 429 that knows when to come back; the HTTP layer turns it into `Retry-After`. */
export class RateLimitedError extends AppError {
  readonly retryAfterSeconds: number;
  constructor(retryAfterSeconds: number) {
    super('RATE_LIMITED', undefined, { retryAfterSeconds });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export interface RateLimitCheck {
  /** e.g. `login:ip:203.0.113.7`. */
  key: string;
  rule: RateLimitRule;
}

/**
 * Sliding-window counters (the current window's count plus the previous
 * window's, weighted by how much of it still overlaps) kept in the database,
 * so every copy of the service shares them. Every attempt counts, refused
 * ones too: an attacker who keeps hammering stays refused.
 */
export class RateLimiter {
  constructor(
    private readonly store: RateLimitStore,
    private readonly clock: Clock,
  ) {}

  /** Counts a hit on every check; throws RateLimitedError (with the longest wait) if any is over its limit. */
  async enforce(checks: readonly RateLimitCheck[]): Promise<void> {
    const waits = await Promise.all(checks.map((check) => this.#hit(check)));
    const wait = Math.max(0, ...waits);
    if (wait > 0) throw new RateLimitedError(wait);
  }

  /** Seconds to wait before this key is under its limit again; 0 when the hit is allowed. */
  async #hit({ key, rule }: RateLimitCheck): Promise<number> {
    const now = this.clock().getTime();
    const windowStart = Math.floor(now / rule.windowMs) * rule.windowMs;
    const { count, previousCount } = await this.store.hit(key, new Date(windowStart), rule.windowMs);
    const elapsed = (now - windowStart) / rule.windowMs;
    const estimate = previousCount * (1 - elapsed) + count;
    if (estimate <= rule.limit) return 0;
    return Math.max(1, Math.ceil(msUntilAllowed(rule, elapsed, count, previousCount) / 1000));
  }
}

/**
 * How long until one more hit (assuming no others) is within the limit. Within
 * this window that needs previous·(1−f) + count + 1 ≤ limit; in the next window,
 * at fraction g, count·(1−g) + 1 ≤ limit.
 */
export function msUntilAllowed(
  rule: RateLimitRule,
  elapsed: number,
  count: number,
  previousCount: number,
): number {
  if (count + 1 <= rule.limit && previousCount > 0) {
    const fraction = 1 - (rule.limit - count - 1) / previousCount;
    if (fraction < 1) return (fraction - elapsed) * rule.windowMs;
  }
  const nextFraction = count > 0 ? Math.max(0, 1 - (rule.limit - 1) / count) : 0;
  return (1 - elapsed + nextFraction) * rule.windowMs;
}
