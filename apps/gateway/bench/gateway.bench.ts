/**
 * Gateway benchmark: how fast connections are accepted (auth, bind, drain,
 * ready) and how many frames per second fan out from the broker to sockets.
 *
 *   pnpm --filter @im/gateway bench                 # 1000 connections, 200 broadcasts
 *   BENCH_CONNECTIONS=3000 BENCH_BROADCASTS=100 pnpm --filter @im/gateway bench
 *
 * One process holds the gateway and all the clients, on the machine's RabbitMQ
 * (a namespace of its own, deleted at the end), so the numbers are a floor:
 * the clients' JSON parsing competes with the gateway for the same cores.
 */
import { randomUUID } from 'node:crypto';
import { DeliveryKeys } from '@im/contracts';
import WebSocket from 'ws';
import { createTestAuth, newUser, startTestGateway, testBrokers } from '../test/support/index.js';

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 1_000);
const BROADCASTS = Number(process.env.BENCH_BROADCASTS ?? 200);
const USER_FRAMES = Number(process.env.BENCH_USER_FRAMES ?? 5_000);
const OPEN_CONCURRENCY = 100;
const DEADLINE_MS = 120_000;

function ms(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function rate(count: number, millis: number): string {
  return `${Math.round((count / millis) * 1000).toLocaleString('en-US')}/s`;
}

async function withDeadline<T>(what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${what} did not finish in ${DEADLINE_MS} ms`)),
          DEADLINE_MS,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const brokers = testBrokers('bench');
const auth = await createTestAuth();
const gateway = await startTestGateway({
  brokers,
  auth,
  limits: { maxConnectionsPerUser: 10, framesPerSecond: 1_000, frameBurst: 1_000 },
});
const sockets: WebSocket[] = [];
let received = 0;
let onReceived: (() => void) | undefined;

try {
  const users = Array.from({ length: CONNECTIONS }, newUser);
  const tokens = await Promise.all(users.map((u) => auth.token(u.userId, u.deviceId)));
  const rssBefore = process.memoryUsage().rss;

  // ---- connections: open → ready → sync.done -------------------------------------
  const openStarted = process.hrtime.bigint();
  const setupTimes: number[] = [];
  let next = 0;
  const openOne = async (index: number) => {
    const started = process.hrtime.bigint();
    const ws = new WebSocket(gateway.url, { headers: { authorization: `Bearer ${tokens[index]}` } });
    sockets.push(ws);
    await new Promise<void>((resolve, reject) => {
      ws.on('message', (data) => {
        const text = data.toString();
        if (text.includes('"sync.done"')) {
          setupTimes.push(ms(started));
          resolve();
        } else if (!text.includes('"ready"')) {
          received += 1;
          onReceived?.();
        }
      });
      ws.once('error', reject);
      ws.once('close', (code) => reject(new Error(`closed ${code} during set-up`)));
    });
  };
  await withDeadline(
    'opening connections',
    Promise.all(
      Array.from({ length: OPEN_CONCURRENCY }, async () => {
        while (next < CONNECTIONS) await openOne(next++);
      }),
    ),
  );
  const openMs = ms(openStarted);
  setupTimes.sort((a, b) => a - b);
  const p = (q: number) =>
    setupTimes[Math.min(setupTimes.length - 1, Math.floor(q * setupTimes.length))]!.toFixed(1);
  const rssPerConnection = (process.memoryUsage().rss - rssBefore) / CONNECTIONS;

  // ---- fan-out: broadcast.all to every socket -----------------------------------------
  const waitFor = (target: number) =>
    new Promise<void>((resolve) => {
      const check = () => {
        if (received >= target) resolve();
      };
      onReceived = check;
      check();
    });
  received = 0;
  const broadcastStarted = process.hrtime.bigint();
  const published = [];
  for (let i = 0; i < BROADCASTS; i++) {
    published.push(
      gateway.broker.publish(
        'delivery.frame.v1',
        { frame: { type: 'broadcast', text: `notice ${i}`, from: 'bench', at: new Date().toISOString() } },
        { routingKey: DeliveryKeys.broadcast },
      ),
    );
  }
  await Promise.all(published);
  await withDeadline('broadcast fan-out', waitFor(BROADCASTS * CONNECTIONS));
  const broadcastMs = ms(broadcastStarted);

  // ---- fan-out: one frame per user key (the delivery worker's pattern) ---------------------
  received = 0;
  const userStarted = process.hrtime.bigint();
  const conversationId = randomUUID();
  const userPublishes = [];
  for (let i = 0; i < USER_FRAMES; i++) {
    const user = users[i % users.length]!;
    userPublishes.push(
      gateway.broker.publish(
        'delivery.frame.v1',
        { frame: { type: 'typing', conversationId, userId: user.userId, state: 'start' } },
        { routingKey: DeliveryKeys.user(user.userId) },
      ),
    );
  }
  await Promise.all(userPublishes);
  await withDeadline('per-user delivery', waitFor(USER_FRAMES));
  const userMs = ms(userStarted);

  console.log(`gateway bench (${CONNECTIONS} connections, one process, RabbitMQ on 127.0.0.1)`);
  console.log(
    `  connect → ready → sync.done: ${rate(CONNECTIONS, openMs)} (${OPEN_CONCURRENCY} in parallel)`,
  );
  console.log(`    set-up latency p50 ${p(0.5)} ms, p99 ${p(0.99)} ms, max ${p(1)} ms`);
  console.log(
    `    memory: ~${Math.round(rssPerConnection / 1024)} KiB RSS per connection (clients included)`,
  );
  console.log(
    `  broadcast fan-out: ${BROADCASTS} frames × ${CONNECTIONS} sockets = ${(BROADCASTS * CONNECTIONS).toLocaleString('en-US')} frames in ${Math.round(broadcastMs)} ms → ${rate(BROADCASTS * CONNECTIONS, broadcastMs)}`,
  );
  console.log(
    `  per-user delivery (user.<id> keys): ${USER_FRAMES} frames in ${Math.round(userMs)} ms → ${rate(USER_FRAMES, userMs)}`,
  );
} finally {
  for (const socket of sockets) socket.terminate();
  await gateway.close();
  await brokers.closeAll();
}
