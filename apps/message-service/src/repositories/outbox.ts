import type { MessageName } from '@im/contracts';

export interface NewOutboxEvent {
  /** Broker message id (consumers deduplicate on it). */
  readonly eventId: string;
  readonly name: MessageName;
  /** For `message.stored.v1`: the message; the relay builds the payload when it publishes. */
  readonly messageId?: string;
  /** For every other event: the payload, validated by the broker when published. */
  readonly payload?: unknown;
}

export interface OutboxRow extends NewOutboxEvent {
  readonly id: bigint;
  readonly createdAt: Date;
}

export interface OutboxRepository {
  enqueue(events: readonly NewOutboxEvent[]): Promise<void>;
  /**
   * The oldest unpublished events, locked until the transaction ends; rows
   * another relay holds are skipped (FOR UPDATE SKIP LOCKED). Call it inside a
   * transaction.
   */
  claim(limit: number): Promise<OutboxRow[]>;
  delete(ids: readonly bigint[]): Promise<void>;
  count(): Promise<number>;
}
