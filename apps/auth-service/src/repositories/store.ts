import type { KeyDirectoryRepository } from './key-directory.js';
import type { OutboxRepository } from './outbox.js';
import type { RateLimitStore } from './rate-limits.js';
import type { SessionRepository } from './sessions.js';
import type { SigningKeyRepository } from './signing-keys.js';
import type { UserRepository } from './users.js';

/** The repositories that take part in a transaction. */
export interface Repositories {
  readonly users: UserRepository;
  readonly sessions: SessionRepository;
  readonly keyDirectory: KeyDirectoryRepository;
  readonly outbox: OutboxRepository;
}

/** Everything the domain needs from storage. Business logic depends on this, never on Prisma. */
export interface Store extends Repositories {
  readonly signingKeys: SigningKeyRepository;
  readonly rateLimits: RateLimitStore;
  /** Runs `work` in one database transaction; its repositories see and write only inside it. */
  transaction<T>(work: (tx: Repositories) => Promise<T>): Promise<T>;
  /** Resolves when the database answers (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
