import { AppError } from '@im/contracts';

/** Where a service's tables live: a server/database and one Postgres schema in it. */
export interface DatabaseTarget {
  /** The connection string for `pg`, without Prisma's `?schema=` parameter. */
  connectionString: string;
  /** The Postgres schema (namespace) the service owns. */
  schema: string;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Splits a Prisma-style URL (`postgres://…/db?schema=name`) into what `pg`
 * understands and the schema. An explicit `schema` wins over the URL's; the
 * default is `public`. Schema names are restricted to lower-case identifiers so
 * they never need quoting rules beyond double quotes.
 */
export function resolveDatabaseTarget(url: string, schema?: string): DatabaseTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    throw new AppError('VALIDATION_FAILED', 'The database URL is not a valid URL', { cause: String(err) });
  }
  const fromUrl = parsed.searchParams.get('schema');
  parsed.searchParams.delete('schema');
  const chosen = schema ?? fromUrl ?? 'public';
  assertSchemaName(chosen);
  return { connectionString: parsed.toString(), schema: chosen };
}

export function assertSchemaName(schema: string): void {
  if (!SCHEMA_NAME.test(schema)) {
    throw new AppError(
      'VALIDATION_FAILED',
      `Schema name "${schema}" is not allowed: use lower-case letters, digits and underscores (max 63)`,
    );
  }
}

/** Quotes an identifier for SQL (`"name"`, doubling embedded quotes). */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The same URL pointing at another database on the same server. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}
