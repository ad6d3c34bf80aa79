/** The SQL migrations (Prisma's folder layout), applied by `migrate` and at start-up. */
export const MIGRATIONS_DIR = new URL('../prisma/migrations', import.meta.url).pathname;
