import type { ConversationRepository } from './conversations.js';
import type { DeviceRepository } from './devices.js';
import type { MemberRepository } from './members.js';
import type { MessageRepository } from './messages.js';
import type { OutboxRepository } from './outbox.js';
import type { PresenceRepository } from './presence.js';

/** Every repository, bound to one connection or transaction. */
export interface Repositories {
  readonly conversations: ConversationRepository;
  readonly members: MemberRepository;
  readonly messages: MessageRepository;
  readonly devices: DeviceRepository;
  readonly presence: PresenceRepository;
  readonly outbox: OutboxRepository;
}

export interface TransactionOptions {
  /** Longest the transaction may run, ms (default 10 s). */
  readonly timeoutMs?: number;
  /**
   * How many times the whole unit of work is run again after a conflict (a
   * deadlock, a serialization failure, or a unique violation from a concurrent
   * insert of the same thing). Default 3. The work must therefore read what it
   * decides on inside the transaction, never before it.
   */
  readonly conflictRetries?: number;
}

/**
 * The message service's database as the domain sees it. Domain code depends on
 * this interface only; `createPrismaStore` is the implementation.
 */
export interface MessageStore {
  /** Repositories outside any transaction (each statement commits on its own). */
  readonly repos: Repositories;
  /** Runs `work` in one transaction (READ COMMITTED): commits when it resolves, rolls back when it throws. */
  transaction<T>(work: (repos: Repositories) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** Resolves when the database answers (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
