/**
 * `pnpm --filter @im/message-service bench`
 *
 * Messages stored per second through the command consumer, one command per
 * transaction versus batched, on this machine's PostgreSQL and RabbitMQ.
 *
 * For each setting: N `message.send.v1` commands are queued first (as after a
 * burst or an outage), then a worker running only the command consumer starts,
 * and the clock runs until the N messages are committed. A second figure adds
 * the outbox relay: until every `message.stored.v1` is published (confirmed).
 *
 * Options: --messages N (default 4000), --conversations K (default 50; 1 = one
 * hot group), --body BYTES (envelope ciphertext, default 200).
 */
import { randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { connectAmqp, createBroker } from '@im/broker';
import { Queues } from '@im/contracts';
import { pgAdapter } from '@im/db';
import { silentLogger } from '@im/logger';
import { amqpUrl, brokerNamespace, createTestDatabase } from '@im/testkit';
import { ConversationService } from '../src/domain/conversations.js';
import { MIGRATIONS_DIR } from '../src/paths.js';
import { createPrismaStore } from '../src/repositories/prisma-store.js';
import { createMessageWorker, type WorkerComponent } from '../src/worker.js';
import { sendCommand } from '../test/support/envelopes.js';

const args = process.argv.slice(2).filter((arg) => arg !== '--'); // pnpm passes its separator through
const { values } = parseArgs({
  args,
  options: {
    messages: { type: 'string', default: '4000' },
    conversations: { type: 'string', default: '50' },
    body: { type: 'string', default: '200' },
  },
});
const total = Number(values.messages);
const conversationCount = Number(values.conversations);
const bodyBytes = Number(values.body);

const settings: Array<{ label: string; batch: number; prefetch: number; concurrency: number }> = [
  { label: 'single (1 command per transaction)', batch: 1, prefetch: 64, concurrency: 1 },
  { label: 'batched, up to 64 per transaction', batch: 64, prefetch: 64, concurrency: 1 },
  { label: 'batched, up to 64, 2 transactions in flight', batch: 64, prefetch: 128, concurrency: 2 },
  { label: 'batched, up to 256 per transaction', batch: 256, prefetch: 256, concurrency: 1 },
];

const logger = silentLogger();
const db = await createTestDatabase({ migrationsDir: MIGRATIONS_DIR, schema: 'messaging' });
const store = createPrismaStore({ adapter: pgAdapter({ url: db.url }), logger });
const ns = brokerNamespace('bench');
const transport = await connectAmqp({ url: amqpUrl() });
const broker = createBroker({ transport, logger, instanceId: 'bench', namespace: ns.name });
await broker.declareTopology();
const conversations = new ConversationService({ store, maxGroupMembers: 1000 });

console.log(
  `message-service bench: ${total} messages, ${conversationCount} conversation(s), ${bodyBytes}-byte bodies; ` +
    `${cpus().length} CPUs (load average ${loadavg()[0]?.toFixed(1)}); PostgreSQL and RabbitMQ on localhost`,
);
console.log(`command: pnpm --filter @im/message-service bench${args.length ? ` -- ${args.join(' ')}` : ''}`);
console.log('');
console.log(`${'setting'.padEnd(48)} ${'stored/s'.padStart(10)} ${'stored+relayed/s'.padStart(18)}`);

try {
  for (const setting of settings) {
    const stored = await run(setting, ['commands']);
    const relayed = await run(setting, ['commands', 'relay']);
    console.log(
      `${setting.label.padEnd(48)} ${Math.round(stored).toString().padStart(10)} ${Math.round(relayed)
        .toString()
        .padStart(18)}`,
    );
  }
  console.log(
    `\nload average at the end: ${loadavg()[0]?.toFixed(1)} (other work on the machine skews every figure)`,
  );
} finally {
  ns.track(transport.declaredNames());
  await broker.close();
  await ns.cleanup();
  await store.close();
  await db.drop();
}

/** Messages per second from the worker's start until all are stored (and, with the relay, published). */
async function run(
  setting: { batch: number; prefetch: number; concurrency: number },
  components: WorkerComponent[],
): Promise<number> {
  const targets: Array<{ id: string; senderId: string }> = [];
  for (let i = 0; i < conversationCount; i++) {
    const senderId = randomUUID();
    const { conversation } = await conversations.openDirect(senderId, randomUUID());
    targets.push({ id: conversation.id, senderId });
  }
  await drainOutbox(); // the creations' events are not part of the figure
  await Promise.all(
    Array.from({ length: 8 }, async (_, lane) => {
      for (let i = lane; i < total; i += 8) {
        const target = targets[i % targets.length] as { id: string; senderId: string };
        await broker.publish(
          'message.send.v1',
          sendCommand({ conversationId: target.id, senderId: target.senderId, bodyBytes }),
        );
      }
    }),
  );
  const ids = targets.map((t) => t.id);
  const worker = createMessageWorker({
    store,
    broker,
    logger,
    components,
    sendBatchSize: setting.batch,
    commandPrefetch: setting.prefetch,
    sendConcurrency: setting.concurrency,
    outboxPollMs: 20,
  });
  const started = performance.now();
  await worker.start();
  for (;;) {
    const rows = await store.repos.conversations.getMany(ids);
    const done = rows.reduce((sum, c) => sum + c.lastSeq, 0) === total;
    if (done && (!components.includes('relay') || (await store.repos.outbox.count()) === 0)) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const seconds = (performance.now() - started) / 1000;
  await worker.stop();
  await drainOutbox();
  const { messageCount } = await transport.queueInfo(broker.queueNames(Queues.messageCommands).main);
  if (messageCount !== 0) throw new Error(`${messageCount} commands left in the queue`);
  return total / seconds;
}

/** Deletes unpublished events (runs without a relay leave them). */
async function drainOutbox(): Promise<void> {
  await store.transaction(async (repos) => {
    for (;;) {
      const rows = await repos.outbox.claim(5_000);
      if (rows.length === 0) return;
      await repos.outbox.delete(rows.map((r) => r.id));
    }
  });
}
