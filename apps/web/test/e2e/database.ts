import { randomBytes } from 'node:crypto';
import { testDatabaseServerUrl } from '@im/testkit';
import pg from 'pg';

export interface EmptyDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

/**
 * An empty database on the test PostgreSQL server. The standalone system
 * migrates each service into its own schema at start-up, so it needs nothing
 * more than an empty database.
 */
export async function createEmptyDatabase(prefix: string): Promise<EmptyDatabase> {
  const serverUrl = testDatabaseServerUrl();
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await withClient(serverUrl, (client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () =>
      withClient(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(
        () => undefined,
      ),
  };
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
