import { PrismaPg } from '@prisma/adapter-pg';
import { resolveDatabaseTarget } from './url.js';

export interface PgAdapterOptions {
  /** Postgres URL; a Prisma-style `?schema=` parameter is honoured. */
  url: string;
  /** The service's Postgres schema (default: the URL's, else `public`). */
  schema?: string;
  /** Pool size (pg's default is 10). */
  max?: number;
  /** Shown in pg_stat_activity; use the service name. */
  applicationName?: string;
  /** Errors of idle pooled connections (a restarted server, a cut network). pg would crash the process without one. */
  onPoolError?: (err: Error) => void;
}

/**
 * The driver adapter every service builds its generated PrismaClient with:
 * `new PrismaClient({ adapter: pgAdapter({ url, schema }) })`.
 *
 * The schema is applied twice on purpose: Prisma qualifies its queries with it
 * (adapter option `schema`), and each connection's `search_path` points at it,
 * so `$queryRaw` and SQL written by hand see the same tables. Services that
 * share one database (the standalone mode) therefore never see each other's.
 */
export function pgAdapter(options: PgAdapterOptions): PrismaPg {
  const target = resolveDatabaseTarget(options.url, options.schema);
  return new PrismaPg(
    {
      connectionString: target.connectionString,
      max: options.max,
      application_name: options.applicationName,
      options: `-c search_path=${target.schema}`,
    },
    { schema: target.schema, onPoolError: options.onPoolError },
  );
}
