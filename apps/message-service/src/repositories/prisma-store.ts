import type { Logger } from '@im/logger';
import type { SqlDriverAdapterFactory } from '@prisma/client/runtime/client';
import { PrismaClient } from '../generated/prisma/client.js';
import { PrismaConversationRepository } from './conversations.prisma.js';
import { PrismaDeviceRepository } from './devices.prisma.js';
import { PrismaMemberRepository } from './members.prisma.js';
import { PrismaMessageRepository } from './messages.prisma.js';
import { PrismaOutboxRepository } from './outbox.prisma.js';
import { PrismaPresenceRepository } from './presence.prisma.js';
import type { Db } from './prisma-db.js';
import type { MessageStore, Repositories, TransactionOptions } from './store.js';

export interface PrismaStoreOptions {
  /**
   * The driver adapter (`pgAdapter({ url, schema })` from @im/db). Raw SQL in
   * the repositories names tables without a schema, so the adapter's
   * connections must have the service's schema on their search path.
   */
  adapter: SqlDriverAdapterFactory;
  logger: Logger;
}

/** Postgres codes after which a whole transaction is worth running again. */
const CONFLICT_CODES = new Set(['40001', '40P01', '23505']);
/** Prisma codes for the same: unique violation, write conflict or deadlock. */
const PRISMA_CONFLICT_CODES = new Set(['P2002', 'P2034']);

export function createPrismaStore(options: PrismaStoreOptions): MessageStore {
  const client = new PrismaClient({ adapter: options.adapter });
  const logger = options.logger;
  return {
    repos: repositories(client),
    async transaction(work, txOptions: TransactionOptions = {}) {
      const retries = txOptions.conflictRetries ?? 3;
      for (let attempt = 0; ; attempt++) {
        try {
          return await client.$transaction((tx) => work(repositories(tx)), {
            timeout: txOptions.timeoutMs ?? 10_000,
            maxWait: 10_000,
          });
        } catch (error) {
          if (attempt >= retries || !isConflict(error)) throw error;
          logger.debug({ err: error, attempt: attempt + 1 }, 'transaction conflict; running it again');
          // A short random pause lets the transaction we collided with finish first.
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * (attempt + 1)));
        }
      }
    },
    async ping() {
      await client.$queryRaw`SELECT 1`;
    },
    async close() {
      await client.$disconnect();
    },
  };
}

function repositories(db: Db): Repositories {
  return {
    conversations: new PrismaConversationRepository(db),
    members: new PrismaMemberRepository(db),
    messages: new PrismaMessageRepository(db),
    devices: new PrismaDeviceRepository(db),
    presence: new PrismaPresenceRepository(db),
    outbox: new PrismaOutboxRepository(db),
  };
}

/**
 * Whether an error is a deadlock, serialization failure or unique violation,
 * wherever Prisma put the database's code (its own code, `meta`, or the
 * driver adapter's error in the cause chain).
 */
export function isConflict(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current && typeof current === 'object' && !seen.has(current)) {
    seen.add(current);
    const record = current as Record<string, unknown>;
    if (typeof record.code === 'string' && PRISMA_CONFLICT_CODES.has(record.code)) return true;
    for (const key of ['code', 'originalCode', 'sqlState']) {
      const value = record[key];
      if (typeof value === 'string' && CONFLICT_CODES.has(value)) return true;
    }
    const meta = record.meta as Record<string, unknown> | undefined;
    if (meta) {
      if (typeof meta.code === 'string' && CONFLICT_CODES.has(meta.code)) return true;
      if (meta.driverAdapterError && typeof meta.driverAdapterError === 'object') {
        current = meta.driverAdapterError;
        continue;
      }
    }
    current = record.cause;
  }
  return false;
}
