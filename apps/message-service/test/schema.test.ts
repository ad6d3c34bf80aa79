import { readFile } from 'node:fs/promises';
import { assertSchemaMatchesDatabase, compareSchemaWithDatabase } from '@im/db';
import { createTestDatabase, type TestDatabase } from '@im/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderOpenApi } from '../src/openapi.js';
import { MIGRATIONS_DIR, OPENAPI_PATH, PRISMA_SCHEMA } from '../src/paths.js';

describe('database schema', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrationsDir: MIGRATIONS_DIR, schema: 'messaging' });
  });
  afterAll(() => db?.drop());

  it('the migrated database matches the Prisma schema', async () => {
    await assertSchemaMatchesDatabase({ schemaPath: PRISMA_SCHEMA, url: db.url });
  });

  it('the check notices drift (so the test above can fail)', async () => {
    const client = new pg.Client({ connectionString: db.url.replace(/\?schema=.*$/, '') });
    await client.connect();
    try {
      await client.query('DROP INDEX messaging.messages_sender_id_client_msg_id_key');
    } finally {
      await client.end();
    }
    const differences = await compareSchemaWithDatabase({ schemaPath: PRISMA_SCHEMA, url: db.url });
    expect(differences.length).toBeGreaterThan(0);
  });
});

describe('OpenAPI document', () => {
  it('docs/openapi/message-service.json is generated from the routes and up to date (pnpm openapi)', async () => {
    const committed = await readFile(OPENAPI_PATH, 'utf8');
    expect(committed).toBe(await renderOpenApi());
    const doc = JSON.parse(committed);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/conversations/direct',
        '/v1/conversations/groups',
        '/v1/conversations',
        '/v1/conversations/{id}',
        '/v1/conversations/{id}/members',
        '/v1/conversations/{id}/members/{userId}',
        '/v1/conversations/{id}/leave',
        '/v1/conversations/{id}/messages',
        '/v1/presence',
        '/internal/v1/devices/{deviceId}/pending',
        '/internal/v1/conversations/{id}/members',
        '/internal/v1/users/{id}/contacts',
      ]),
    );
  });
});
