import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { testDatabaseServerUrl } from './database.js';

export interface EmptyDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

/**
 * An empty database on the test PostgreSQL server, for systems that migrate
 * themselves at start-up (the standalone mode, services started as processes
 * with MIGRATE_ON_START, several services sharing one database in their own
 * schemas).
 */
export async function createEmptyDatabase(prefix = 'empty'): Promise<EmptyDatabase> {
  const serverUrl = testDatabaseServerUrl();
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await withClient(serverUrl, (client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await withClient(serverUrl, (client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
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
