/**
 * Prints throughput and latency numbers for both transports (no assertions:
 * speed is measured here, not tested).
 *
 *   pnpm --filter @im/broker bench            # RabbitMQ at TEST_AMQP_URL or 127.0.0.1, and in-process
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { QueueSpec } from '@im/contracts';
import { amqpTarget, amqpUrl, amqpUrlVia, brokerNamespace, startTcpProxy } from '@im/testkit';
import { createBroker } from '../src/broker.js';
import { nullLogger } from '../src/logger.js';
import { connectAmqp } from '../src/transport/amqp.js';
import { MemoryBroker, MemoryTransport } from '../src/transport/memory.js';
import type { Transport } from '../src/transport/types.js';

const PUBLISHES = 5_000;
const CONCURRENCY = 64;
const END_TO_END = 3_000;
const BINDINGS = 2_000;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function confirmedPublishes(label: string, transport: Transport, queue: string): Promise<void> {
  await transport.assertQueue(queue, { durable: true });
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < PUBLISHES) {
        next++;
        const t0 = performance.now();
        await transport.publish('', queue, Buffer.from('x'.repeat(512)), {
          messageId: randomUUID(),
          persistent: true,
        });
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  console.log(
    `${label}: ${PUBLISHES} persistent 512-byte publishes with confirms, ${CONCURRENCY} in flight: ` +
      `${Math.round(PUBLISHES / seconds)} msg/s, latency p50 ${percentile(latencies, 50).toFixed(2)} ms, ` +
      `p99 ${percentile(latencies, 99).toFixed(2)} ms`,
  );
}

async function endToEnd(label: string, transport: Transport, namespace: string): Promise<void> {
  const broker = createBroker({ transport, logger: nullLogger, instanceId: 'bench', namespace });
  const queue: QueueSpec = {
    name: 'bench.events',
    description: 'bench',
    bindings: [{ exchange: 'events', keys: ['user.registered.v1'] }],
    durable: true,
    maxAttempts: 3,
    prefetch: 64,
  };
  let received = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  await broker.consume(queue, {
    'user.registered.v1': async () => {
      if (++received === END_TO_END) done();
    },
  });
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < END_TO_END) {
        next++;
        await broker.publish('user.registered.v1', {
          userId: randomUUID(),
          username: 'bench',
          registeredAt: new Date().toISOString(),
        });
      }
    }),
  );
  await finished;
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `${label}: ${END_TO_END} typed messages published (validated, confirmed) and consumed (validated, acked): ` +
      `${Math.round(END_TO_END / seconds)} msg/s`,
  );
}

async function reconnectWithBindings(): Promise<void> {
  const ns = brokerNamespace('broker-bench');
  const proxy = await startTcpProxy({ target: amqpTarget() });
  const transport = await connectAmqp({
    url: amqpUrlVia(proxy.host, proxy.port),
    logger: nullLogger,
    reconnect: { initialDelayMs: 10, maxDelayMs: 100 },
  });
  try {
    const exchange = `${ns.name}.delivery`;
    const queue = `${ns.name}.gateway`;
    await transport.assertExchange(exchange, 'topic', { durable: true });
    await transport.assertQueue(queue, { durable: false });
    for (let i = 0; i < BINDINGS; i++) await transport.bindQueue(queue, exchange, `device.${i}`);
    const started = performance.now();
    proxy.cutAll();
    while (transport.connectionCount < 2 || !transport.isConnected()) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    console.log(
      `amqp: reconnect after a cut, re-declaring 1 exchange, 1 queue and ${BINDINGS} bindings: ` +
        `${Math.round(performance.now() - started)} ms`,
    );
  } finally {
    await transport.close();
    ns.track(transport.declaredNames());
    await ns.cleanup();
    await proxy.close();
  }
}

async function main(): Promise<void> {
  const memoryBroker = new MemoryBroker();
  await confirmedPublishes('memory', new MemoryTransport({ broker: memoryBroker }), 'bench.publish');
  await endToEnd('memory', new MemoryTransport({ broker: memoryBroker }), 'bench');

  const ns = brokerNamespace('broker-bench');
  const transports: Transport[] = [];
  try {
    const publishing = await connectAmqp({ url: amqpUrl(), logger: nullLogger });
    transports.push(publishing);
    await confirmedPublishes('amqp', publishing, `${ns.name}.publish`);
    const consuming = await connectAmqp({ url: amqpUrl(), logger: nullLogger });
    transports.push(consuming);
    await endToEnd('amqp', consuming, ns.name);
  } finally {
    for (const transport of transports) {
      await transport.close();
      ns.track(transport.declaredNames());
    }
    await ns.cleanup();
  }
  await reconnectWithBindings();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
