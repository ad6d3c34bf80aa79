export { build, type MessageAppOptions } from './app.js';
export { createOutboxSignal, type OutboxSignal } from './domain/outbox-signal.js';
export { Components, Env } from './env.js';
export { MIGRATIONS_DIR, PRISMA_SCHEMA } from './paths.js';
export { createPrismaStore, type PrismaStoreOptions } from './repositories/prisma-store.js';
export type { MessageStore } from './repositories/store.js';
export { SERVICE_NAME, SERVICE_VERSION } from './version.js';
export {
  createMessageWorker,
  type MessageWorker,
  type MessageWorkerOptions,
  type WorkerComponent,
  WorkerComponents,
} from './worker.js';
