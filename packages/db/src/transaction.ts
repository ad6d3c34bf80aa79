import { setTimeout as delay } from 'node:timers/promises';

export type IsolationLevel = 'ReadUncommitted' | 'ReadCommitted' | 'RepeatableRead' | 'Serializable';

/** What `withTransaction` needs of a generated PrismaClient: its interactive `$transaction`. */
export interface TransactionClient<Tx> {
  $transaction<R>(
    fn: (tx: Tx) => Promise<R>,
    options?: { isolationLevel?: IsolationLevel; maxWait?: number; timeout?: number },
  ): Promise<R>;
}

export interface WithTransactionOptions {
  isolationLevel?: IsolationLevel;
  /** Attempts in all when the database reports a write conflict or deadlock (default 3). */
  maxAttempts?: number;
  /** Milliseconds to wait for a connection from the pool (Prisma's `maxWait`). */
  maxWait?: number;
  /** Milliseconds the transaction may run before Prisma rolls it back (Prisma's `timeout`). */
  timeout?: number;
}

/**
 * Runs `fn` in one interactive transaction and runs it again, from the start,
 * when Postgres aborts it for a serialization failure (40001) or a deadlock
 * (40P01), which Prisma reports as P2034. Those are the expected outcome of
 * `Serializable`/`RepeatableRead` under contention, not bugs: the whole unit of
 * work must be retried, never a single statement. `fn` must therefore have no
 * side effects outside the transaction (publish after commit, via the outbox).
 */
export async function withTransaction<Tx, R>(
  client: TransactionClient<Tx>,
  fn: (tx: Tx) => Promise<R>,
  options: WithTransactionOptions = {},
): Promise<R> {
  const maxAttempts = options.maxAttempts ?? 3;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await client.$transaction(fn, {
        isolationLevel: options.isolationLevel,
        maxWait: options.maxWait,
        timeout: options.timeout,
      });
    } catch (err) {
      if (attempt >= maxAttempts || !isWriteConflict(err)) throw err;
      // Jittered exponential backoff so the transactions that collided do not collide again.
      await delay(Math.random() * 10 * 2 ** attempt);
    }
  }
}

const CONFLICT_CODES = new Set(['P2034', '40001', '40P01']);

/** Whether an error (or one of its causes) is a write conflict or deadlock that a retry resolves. */
export function isWriteConflict(err: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = err;
  while (current !== null && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const { code, originalCode, meta, cause } = current as {
      code?: unknown;
      originalCode?: unknown;
      meta?: { driverAdapterError?: unknown };
      cause?: unknown;
    };
    if (CONFLICT_CODES.has(String(code)) || CONFLICT_CODES.has(String(originalCode))) return true;
    current = meta?.driverAdapterError ?? cause;
  }
  return false;
}
