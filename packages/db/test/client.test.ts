import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, pgAdapter, withTransaction } from '../src/index.js';
import { isWriteConflict } from '../src/transaction.js';
import { PrismaClient } from './fixtures/chat/generated/prisma/client.js';
import {
  createScratchDatabase,
  FIXTURE_DIR,
  FIXTURE_MIGRATIONS,
  type ScratchDatabase,
  sql,
} from './helpers.js';

const GENERATE = fileURLToPath(new URL('../bin/prisma-generate.mjs', import.meta.url));

/** Whether this machine has Prisma's schema engine binary (then the wrapper never needs its placeholder). */
function schemaEngineInstalled(): boolean {
  const require = createRequire(import.meta.url);
  const folders = [dirname(require.resolve('prisma/package.json'))];
  folders.push(
    dirname(
      createRequire(join(folders[0] as string, 'package.json')).resolve('@prisma/engines/package.json'),
    ),
  );
  return folders.some((folder) => readdirSync(folder).some((name) => name.startsWith('schema-engine-')));
}

function generate(env: Record<string, string>) {
  const result = spawnSync(process.execPath, [GENERATE], {
    cwd: FIXTURE_DIR,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('im-prisma-generate', () => {
  it('generates the client, leaving an engine the user points at untouched', () => {
    const result = generate({ PRISMA_SCHEMA_ENGINE_BINARY: GENERATE });
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).not.toContain('[im-prisma-generate]');
    expect(existsSync(join(FIXTURE_DIR, 'generated/prisma/client.ts'))).toBe(true);
  }, 60_000);

  it.skipIf(schemaEngineInstalled())(
    'falls back to the placeholder, saying so once, when the engine download fails',
    async () => {
      // A download host that answers but has no engine: the real `prisma generate` runs first and fails.
      const host = createServer((_req, res) => res.writeHead(404).end());
      host.listen(0, '127.0.0.1');
      await once(host, 'listening');
      const { port } = host.address() as { port: number };
      try {
        // Not spawnSync: it would block the event loop that serves the 404s.
        const result = await spawnAsync({ PRISMA_ENGINES_MIRROR: `http://127.0.0.1:${port}/engines` });
        expect(result.status, result.stderr).toBe(0);
        const lines = result.stderr.split('\n').filter((l) => l.startsWith('[im-prisma-generate]'));
        expect(lines).toHaveLength(1);
        expect(lines[0]).toContain('its download failed');
      } finally {
        host.close();
      }
    },
    60_000,
  );
});

async function spawnAsync(env: Record<string, string>): Promise<ReturnType<typeof generate>> {
  const child = spawn(process.execPath, [GENERATE], { cwd: FIXTURE_DIR, env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const [status] = (await once(child, 'exit')) as [number | null];
  return { status, stdout, stderr };
}

describe('the generated client over pgAdapter', () => {
  let db: ScratchDatabase;
  let chat: PrismaClient;
  let other: PrismaClient;

  beforeAll(async () => {
    db = await createScratchDatabase();
    await migrate({ url: db.url, migrationsDir: FIXTURE_MIGRATIONS, schema: 'chat' });
    await migrate({ url: db.url, migrationsDir: FIXTURE_MIGRATIONS, schema: 'other' });
    chat = new PrismaClient({
      adapter: pgAdapter({ url: db.url, schema: 'chat', applicationName: 'db-test' }),
    });
    other = new PrismaClient({ adapter: pgAdapter({ url: `${db.url}?schema=other` }) });
  });
  afterAll(async () => {
    await chat?.$disconnect();
    await other?.$disconnect();
    await db?.drop();
  });

  it('reads and writes the tables of its own schema only, in Prisma queries and raw SQL alike', async () => {
    const user = await chat.user.create({ data: { email: 'ada@example.org', displayName: 'Ada' } });
    const conversation = await chat.conversation.create({
      data: { title: 'hello', members: { create: { userId: user.id, role: 'OWNER' } } },
    });
    await chat.message.create({
      data: {
        conversationId: conversation.id,
        seq: 1,
        senderId: user.id,
        clientMsgId: 'c1',
        envelope: { v: 1 },
      },
    });

    expect(await sql(db.url, 'SELECT email FROM chat."User"')).toEqual([{ email: 'ada@example.org' }]);
    expect(await sql(db.url, 'SELECT count(*)::int AS n FROM other."User"')).toEqual([{ n: 0 }]);
    expect(await other.user.count()).toBe(0);
    const raw = await chat.$queryRaw<
      Array<{ seq: number; flags: string[] }>
    >`SELECT seq, flags FROM "Message"`;
    expect(raw).toEqual([{ seq: 1, flags: [] }]);
    const member = await chat.member.findFirstOrThrow({ include: { user: true } });
    expect(member).toMatchObject({ role: 'OWNER', readSeq: 0, user: { displayName: 'Ada' } });
  });

  it('withTransaction runs a serializable unit of work again after a write conflict', async () => {
    const conversation = await chat.conversation.create({ data: { title: 'race' } });
    let attempts = 0;
    let reads = 0;
    let bothRead: () => void = () => {};
    const barrier = new Promise<void>((resolve) => {
      bothRead = resolve;
    });
    // Each unit reads the conversation's last seq, waits until the other has read it too, then
    // takes the next seq: the textbook write skew that Serializable aborts (40001, Prisma P2034).
    const send = (clientMsgId: string) =>
      withTransaction(
        chat,
        async (tx) => {
          attempts += 1;
          const { lastSeq } = await tx.conversation.findUniqueOrThrow({ where: { id: conversation.id } });
          reads += 1;
          if (reads === 2) bothRead();
          await barrier;
          await tx.conversation.update({ where: { id: conversation.id }, data: { lastSeq: lastSeq + 1 } });
          return tx.message.create({
            data: { conversationId: conversation.id, seq: lastSeq + 1, clientMsgId, envelope: {} },
          });
        },
        { isolationLevel: 'Serializable', maxAttempts: 5 },
      );
    const sent = await Promise.all([send('a'), send('b')]);
    expect(sent.map((m) => m.seq).sort()).toEqual([1, 2]);
    expect(attempts).toBeGreaterThanOrEqual(3);
    expect((await chat.conversation.findUniqueOrThrow({ where: { id: conversation.id } })).lastSeq).toBe(2);
  });

  it('withTransaction gives the conflict to the caller once its attempts are spent', async () => {
    const conversation = await chat.conversation.create({ data: { title: 'race again' } });
    let reads = 0;
    let bothRead: () => void = () => {};
    const barrier = new Promise<void>((resolve) => {
      bothRead = resolve;
    });
    const bump = () =>
      withTransaction(
        chat,
        async (tx) => {
          const { lastSeq } = await tx.conversation.findUniqueOrThrow({ where: { id: conversation.id } });
          reads += 1;
          if (reads === 2) bothRead();
          await barrier;
          await tx.conversation.update({ where: { id: conversation.id }, data: { lastSeq: lastSeq + 1 } });
        },
        { isolationLevel: 'Serializable', maxAttempts: 1 },
      );
    const outcomes = await Promise.allSettled([bump(), bump()]);
    const failures = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(failures).toHaveLength(1);
    expect(isWriteConflict(failures[0]?.reason)).toBe(true);
  });
});
