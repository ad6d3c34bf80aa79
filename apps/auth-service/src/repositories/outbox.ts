import type { MessageName } from '@im/contracts';

/** An event written in the transaction of the change it describes. */
export interface OutboxEvent {
  /** Also the broker message id, which consumers deduplicate on. */
  id: string;
  name: MessageName;
  payload: unknown;
  occurredAt: Date;
}

export interface ClaimedEvent extends OutboxEvent {
  attempts: number;
}

export interface OutboxRepository {
  add(events: readonly OutboxEvent[]): Promise<void>;
  /**
   * Claims up to `limit` unpublished events, oldest first, that no other relay
   * holds: each is held until `leaseUntil` (a crashed relay's claim lapses).
   */
  claim(limit: number, now: Date, leaseUntil: Date): Promise<ClaimedEvent[]>;
  markPublished(ids: readonly string[], at: Date): Promise<void>;
  /** Records a failed attempt; the event is retried after `retryAt`. */
  markFailed(id: string, error: string, retryAt: Date): Promise<void>;
  /** Gives claimed events back, to be taken again from `at` (the rest of a batch after a failure). */
  release(ids: readonly string[], at: Date): Promise<void>;
  /** Count of events not yet published (readiness and metrics). */
  pendingCount(): Promise<number>;
  /** Housekeeping: deletes events published before `cutoff`. */
  deletePublishedBefore(cutoff: Date): Promise<number>;
}
