import type { Logger } from '@im/logger';
import type { Store } from '../repositories/store.js';
import type { Clock } from './clock.js';

const DAY_MS = 86_400_000;

/**
 * Deletes what no longer matters: lapsed rate-limit counters, refresh tokens
 * past their expiry (spent ones are kept until then, to detect reuse), and
 * outbox events published a week ago. Idempotent, so every copy may run it.
 */
export class Housekeeping {
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly intervalMs = 10 * 60_000,
  ) {}

  start(): void {
    this.#timer ??= setInterval(() => {
      this.#running ??= this.runOnce()
        .then(() => undefined)
        .catch((error: unknown) =>
          this.logger.error({ err: error }, 'housekeeping failed; retrying next interval'),
        )
        .finally(() => {
          this.#running = undefined;
        });
    }, this.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  async runOnce(): Promise<{ counters: number; refreshTokens: number; events: number }> {
    const now = this.clock();
    const counters = await this.store.rateLimits.deleteExpired(now);
    const refreshTokens = await this.store.sessions.deleteRefreshTokensExpiredBefore(now);
    const events = await this.store.outbox.deletePublishedBefore(new Date(now.getTime() - 7 * DAY_MS));
    if (counters + refreshTokens + events > 0) {
      this.logger.debug({ counters, refreshTokens, events }, 'housekeeping deleted old rows');
    }
    return { counters, refreshTokens, events };
  }
}
