import { fileURLToPath } from 'node:url';

/** The SQL migrations (Prisma's folder layout, so `prisma migrate deploy` can apply them too). */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../prisma/migrations', import.meta.url));

/** The Prisma schema the generated client and the schema check are made from. */
export const PRISMA_SCHEMA = fileURLToPath(new URL('../prisma/schema.prisma', import.meta.url));

/** Where the OpenAPI document of this service is committed. */
export const OPENAPI_PATH = fileURLToPath(
  new URL('../../../docs/openapi/message-service.json', import.meta.url),
);
