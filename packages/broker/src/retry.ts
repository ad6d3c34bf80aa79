/** Exponential backoff between attempts at handling a message. */
export interface RetryPolicy {
  /** Delay after the first failed attempt. */
  readonly initialDelayMs: number;
  /** No delay is longer than this. */
  readonly maxDelayMs: number;
  /** Each further failure multiplies the delay by this. */
  readonly factor: number;
  /** 0–1: each delay is shortened by a random fraction up to this, so failures of a burst spread out. */
  readonly jitter: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  initialDelayMs: 1_000,
  maxDelayMs: 60_000,
  factor: 2,
  jitter: 0.2,
};

/** How long to wait after `attempt` (1-based) failed. */
export function retryDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** Math.max(0, attempt - 1));
  return Math.max(0, Math.round(base * (1 - policy.jitter * random())));
}
