import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '../generated/prisma/client.js';
import type { Store } from './store.js';
import { prismaStore } from './store.prisma.js';

/** Opens the Prisma-backed store on `url` (connections are made on first use). */
export function connectStore(url: string): Store {
  return prismaStore(new PrismaClient({ adapter: new PrismaPg({ connectionString: url }) }));
}
