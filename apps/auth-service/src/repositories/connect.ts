import { pgAdapter } from '@im/db';
import type { Logger } from '@im/logger';
import { PrismaClient } from '../generated/prisma/client.js';
import type { Store } from './store.js';
import { prismaStore } from './store.prisma.js';

export interface StoreConnectOptions {
  /** Postgres URL; a Prisma-style `?schema=` parameter is honoured. */
  url: string;
  /** The Postgres schema of the tables (default: the URL's, else public). */
  schema?: string;
  /** Connection pool size (default 10). */
  poolMax?: number;
  logger?: Logger;
}

/** Opens the Prisma-backed store (no query-engine binary; connections are made on first use). */
export function connectStore(options: StoreConnectOptions): Store {
  const adapter = pgAdapter({
    url: options.url,
    ...(options.schema ? { schema: options.schema } : {}),
    applicationName: 'auth-service',
    ...(options.poolMax ? { max: options.poolMax } : {}),
    onPoolError: (error) =>
      options.logger?.warn({ err: error }, 'idle database connection failed; the pool replaces it'),
  });
  return prismaStore(new PrismaClient({ adapter }));
}
