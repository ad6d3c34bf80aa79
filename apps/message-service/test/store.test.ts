import { randomUUID } from 'node:crypto';
import { pgAdapter } from '@im/db';
import { silentLogger } from '@im/logger';
import { createTestDatabase, type TestDatabase } from '@im/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR } from '../src/paths.js';
import { createPrismaStore, isConflict } from '../src/repositories/prisma-store.js';
import type { MessageStore } from '../src/repositories/store.js';
import { sealedEnvelope } from './support/envelopes.js';

let db: TestDatabase;
let store: MessageStore;

beforeAll(async () => {
  db = await createTestDatabase({ migrationsDir: MIGRATIONS_DIR, schema: 'messaging' });
  store = createPrismaStore({ adapter: pgAdapter({ url: db.url }), logger: silentLogger() });
});
afterAll(async () => {
  await store?.close();
  await db?.drop();
});

const conversation = (directKey: string) => ({
  id: randomUUID(),
  kind: 'direct' as const,
  title: null,
  directKey,
  createdBy: randomUUID(),
  members: [],
});

describe('the Prisma store', () => {
  it('recognises a unique violation as a conflict, from the ORM and from raw SQL, and nothing else', async () => {
    const key = `k-${randomUUID()}`;
    await store.repos.conversations.create(conversation(key));
    const orm = await store.repos.conversations.create(conversation(key)).catch((error: unknown) => error);
    expect(isConflict(orm)).toBe(true);

    const conversationId = (await store.repos.conversations.findDirect(key))?.id ?? '';
    const [senderId, clientMsgId] = [randomUUID(), randomUUID()];
    const row = {
      id: randomUUID(),
      conversationId,
      seq: 1,
      senderId,
      senderDeviceId: randomUUID(),
      clientMsgId,
      envelope: sealedEnvelope({ conversationId, senderId, clientMsgId, recipients: [senderId] }),
      createdAt: new Date(),
    };
    await store.repos.messages.insertMany([row]);
    const raw = await store.repos.messages
      .insertMany([{ ...row, id: randomUUID() }])
      .catch((error: unknown) => error);
    expect(isConflict(raw)).toBe(true);

    const notFound = await store.repos.conversations
      .setTitle(randomUUID(), 'x')
      .catch((error: unknown) => error);
    expect(notFound).toBeInstanceOf(Error);
    expect(isConflict(notFound)).toBe(false);
    expect(isConflict(new Error('unrelated'))).toBe(false);
  });

  it('runs a unit of work again after a conflict, and gives up after the retries', async () => {
    const key = `k-${randomUUID()}`;
    await store.repos.conversations.create(conversation(key));
    let attempts = 0;
    const result = await store.transaction(async (repos) => {
      attempts++;
      // The first attempt collides (as with a concurrent creator); the second finds the winner.
      if (attempts === 1) await repos.conversations.create(conversation(key));
      return repos.conversations.findDirect(key);
    });
    expect(attempts).toBe(2);
    expect(result?.id).toBeDefined();

    let tries = 0;
    const failure = await store
      .transaction(
        async (repos) => {
          tries++;
          await repos.conversations.create(conversation(key));
        },
        { conflictRetries: 2 },
      )
      .catch((error: unknown) => error);
    expect(isConflict(failure)).toBe(true);
    expect(tries).toBe(3);
  });
});
