import type { Prisma } from '../generated/prisma/client.js';

/** The generated client or an interactive transaction of it: repositories work on either. */
export type Db = Prisma.TransactionClient;

/** Byte order of ids (what Postgres uses for uuid), for a stable lock order. */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
