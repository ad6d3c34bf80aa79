import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '@im/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import {
  assertSchemaMatchesDatabase,
  compareSchemaWithDatabase,
  formatDifference,
  migrate,
} from '../src/index.js';
import {
  copyMigrations,
  createScratchDatabase,
  DRIFTED_MIGRATIONS,
  FIXTURE_MIGRATIONS,
  FIXTURE_SCHEMA,
  type ScratchDatabase,
  sql,
} from './helpers.js';
import { prismaSchemaSql } from './prisma-engine.js';

const MANY_TYPES_SCHEMA = fileURLToPath(new URL('./fixtures/many-types/schema.prisma', import.meta.url));

const databases: ScratchDatabase[] = [];
async function database(): Promise<ScratchDatabase> {
  const db = await createScratchDatabase();
  databases.push(db);
  return db;
}
afterEach(async () => {
  await Promise.all(databases.splice(0).map((db) => db.drop()));
});

async function differences(url: string, schemaPath = FIXTURE_SCHEMA, schema?: string): Promise<string[]> {
  return (await compareSchemaWithDatabase({ schemaPath, url, schema })).map(formatDifference);
}

describe('assertSchemaMatchesDatabase', () => {
  it('passes on a database migrated with the fixture migrations', async () => {
    const db = await database();
    await migrate({ url: db.url, migrationsDir: FIXTURE_MIGRATIONS });
    expect(await differences(db.url)).toEqual([]);
    await assertSchemaMatchesDatabase({ schemaPath: FIXTURE_SCHEMA, url: db.url });
  });

  it.each([
    ['the fixture schema', FIXTURE_SCHEMA],
    ['a schema covering many column types, defaults, index kinds and long names', MANY_TYPES_SCHEMA],
  ])('agrees with the SQL Prisma itself generates for %s', async (_, schemaPath) => {
    const db = await database();
    const script = await prismaSchemaSql(db.url, schemaPath);
    expect(script).toContain('CREATE TABLE');
    await sql(db.url, script);
    expect(await differences(db.url, schemaPath)).toEqual([]);
  });

  it('catches every deliberate drift of a migration and names it', async () => {
    const db = await database();
    await migrate({ url: db.url, migrationsDir: DRIFTED_MIGRATIONS });
    const expected = [
      'column "User"."displayName": type is character varying(100), the schema wants character varying(64)',
      'column "User"."nickname": in the database but not in the Prisma schema',
      'column "members"."role": default is none, the schema wants default "MEMBER"',
      'index "members_userId_idx" on "members": missing: ("userId")',
      'foreign key "Message"("senderId") → "User"("id"): ON DELETE Cascade in the database, the schema wants SetNull',
    ];
    expect(await differences(db.url)).toEqual(expected);
    const err = await assertSchemaMatchesDatabase({ schemaPath: FIXTURE_SCHEMA, url: db.url }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('DB_SCHEMA_DRIFT');
    for (const line of expected) expect((err as AppError).message).toContain(line);
  });

  it.concurrent.for<[string, string, string[]]>([
    [
      'a required column made nullable',
      'ALTER TABLE "members" ALTER COLUMN "readSeq" DROP NOT NULL',
      ['column "members"."readSeq": nullable in the database, required in the schema'],
    ],
    [
      'an optional column made NOT NULL',
      'ALTER TABLE "Conversation" ALTER COLUMN "title" SET NOT NULL',
      ['column "Conversation"."title": NOT NULL in the database, optional in the schema'],
    ],
    [
      'a changed type',
      'ALTER TABLE "Message" ALTER COLUMN "envelope" TYPE JSON',
      ['column "Message"."envelope": type is json, the schema wants jsonb'],
    ],
    [
      'a changed list element type',
      'ALTER TABLE "Message" ALTER COLUMN "flags" TYPE VARCHAR(10)[]',
      ['column "Message"."flags": type is character varying(10)[], the schema wants text[]'],
    ],
    [
      'a dropped default',
      'ALTER TABLE "Message" ALTER COLUMN "created_at" DROP DEFAULT',
      ['column "Message"."created_at": default is none, the schema wants now() (CURRENT_TIMESTAMP)'],
    ],
    [
      'a changed enum default',
      `ALTER TABLE "members" ALTER COLUMN "role" SET DEFAULT 'OWNER'`,
      [`column "members"."role": default is 'OWNER'::"MemberRole", the schema wants default "MEMBER"`],
    ],
    [
      'a changed number default',
      'ALTER TABLE "Conversation" ALTER COLUMN "lastSeq" SET DEFAULT 1',
      ['column "Conversation"."lastSeq": default is 1, the schema wants default "0"'],
    ],
    [
      'a default on a column whose default Prisma computes in the client',
      'ALTER TABLE "User" ALTER COLUMN "id" SET DEFAULT gen_random_uuid()',
      ['column "User"."id": default is gen_random_uuid(), the schema wants no default'],
    ],
    [
      'an autoincrement replaced by a plain default',
      'ALTER TABLE "Conversation" ALTER COLUMN "id" SET DEFAULT 0',
      ['column "Conversation"."id": default is 0, the schema wants autoincrement() (a sequence)'],
    ],
    [
      'a dropped column',
      'ALTER TABLE "Conversation" DROP COLUMN "title"',
      ['column "Conversation"."title": missing (field Conversation.title)'],
    ],
    [
      'an extra table',
      'CREATE TABLE "Stray" ("id" INTEGER)',
      ['table "Stray": in the database but not in the Prisma schema'],
    ],
    [
      'a dropped unique index',
      'DROP INDEX "Message_conversationId_seq_key"',
      ['index "Message_conversationId_seq_key" on "Message": missing: unique ("conversationId", "seq")'],
    ],
    [
      'a renamed index',
      'ALTER INDEX "User_email_key" RENAME TO "user_email_unique"',
      ['index "User_email_key" on "User": is named "user_email_unique" in the database'],
    ],
    [
      'an index that lost its sort order',
      'DROP INDEX "Message_conversationId_created_at_idx"; CREATE INDEX "Message_conversationId_created_at_idx" ON "Message"("conversationId", "created_at")',
      [
        'index "Message_conversationId_created_at_idx" on "Message": is ("conversationId", "created_at"), the schema wants ("conversationId", "created_at" DESC)',
      ],
    ],
    [
      'an index of another kind',
      'DROP INDEX "members_userId_idx"; CREATE INDEX "members_userId_idx" ON "members" USING HASH ("userId")',
      ['index "members_userId_idx" on "members": uses hash, the schema wants btree'],
    ],
    [
      'a partial index',
      'DROP INDEX "members_userId_idx"; CREATE INDEX "members_userId_idx" ON "members"("userId") WHERE "readSeq" > 0',
      [
        'index "members_userId_idx" on "members": is partial (WHERE ("readSeq" > 0)); the schema declares a full index',
      ],
    ],
    [
      'an extra index',
      'CREATE INDEX "User_displayName_idx" ON "User"("displayName")',
      [
        'index "User_displayName_idx" on "User": ("displayName") is in the database but not in the Prisma schema',
      ],
    ],
    [
      'a changed referential action',
      'ALTER TABLE "members" DROP CONSTRAINT "members_userId_fkey", ADD CONSTRAINT "members_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE NO ACTION',
      [
        'foreign key "members"("userId") → "User"("id"): ON DELETE Cascade in the database, the schema wants Restrict',
        'foreign key "members"("userId") → "User"("id"): ON UPDATE NoAction in the database, the schema wants Cascade',
      ],
    ],
    [
      'a dropped foreign key',
      'ALTER TABLE "members" DROP CONSTRAINT "members_userId_fkey"',
      [
        'foreign key "members"("userId") → "User"("id"): missing (Prisma names it "members_userId_fkey" by default)',
      ],
    ],
    [
      'a primary key over other columns',
      'ALTER TABLE "members" DROP CONSTRAINT "members_pkey", ADD CONSTRAINT "members_pkey" PRIMARY KEY ("userId", "conversationId")',
      [
        'primary key of "members": columns are ("userId", "conversationId"), the schema wants ("conversationId", "userId")',
      ],
    ],
    [
      'a renamed primary key',
      'ALTER TABLE "User" RENAME CONSTRAINT "User_pkey" TO "users_pk"',
      ['primary key of "User": named "users_pk", the schema wants "User_pkey"'],
    ],
    [
      'an extra enum value',
      `ALTER TYPE "MemberRole" ADD VALUE 'ADMIN'`,
      ['enum "MemberRole": values "ADMIN" are not in the Prisma schema'],
    ],
  ])('catches %s', async ([, drift, expected], { expect }) => {
    // Concurrent cases: each owns and drops its database (the shared afterEach would drop others' too).
    const db = await createScratchDatabase();
    try {
      await migrate({ url: db.url, migrationsDir: FIXTURE_MIGRATIONS });
      await sql(db.url, drift);
      expect(await differences(db.url)).toEqual(expected);
    } finally {
      await db.drop();
    }
  });

  it('checks the schema a service was migrated into, and only that one', async () => {
    const db = await database();
    await migrate({ url: db.url, migrationsDir: FIXTURE_MIGRATIONS, schema: 'chat' });
    expect(await differences(db.url, FIXTURE_SCHEMA, 'chat')).toEqual([]);
    expect(await differences(`${db.url}?schema=chat`)).toEqual([]);
    expect(await differences(db.url)).toEqual([
      'table "User": missing (model User)',
      'table "Conversation": missing (model Conversation)',
      'table "members": missing (model Member)',
      'table "Message": missing (model Message)',
      'enum "MemberRole": missing',
    ]);
  });

  it('refuses what it cannot check instead of passing it', async () => {
    const dir = await copyMigrations();
    const schemaPath = join(dir, 'schema.prisma');
    await writeFile(
      schemaPath,
      `datasource db {\n  provider = "postgresql"\n}\nmodel Tag {\n  id    Int    @id\n  posts Post[]\n}\nmodel Post {\n  id   Int   @id\n  tags Tag[]\n}\n`,
    );
    const db = await database();
    await expect(compareSchemaWithDatabase({ schemaPath, url: db.url })).rejects.toThrow(
      /implicit many-to-many/,
    );
  });
});
