import { amqpUrl, type BrokerNamespace, brokerNamespace } from '@im/testkit';
import { type Broker, createBroker } from '../src/broker.js';
import type { BrokerLogger } from '../src/logger.js';
import type { RetryPolicy } from '../src/retry.js';
import { type AmqpTransportOptions, connectAmqp } from '../src/transport/amqp.js';
import { MemoryBroker, MemoryTransport } from '../src/transport/memory.js';
import type { Transport } from '../src/transport/types.js';

/**
 * Logs to stderr only when BROKER_TEST_LOG is set (`BROKER_TEST_LOG=debug pnpm test`),
 * so a failing run can be replayed with the transport's own account of it.
 */
export function testLogger(): BrokerLogger {
  const level = process.env.BROKER_TEST_LOG;
  const order = ['debug', 'info', 'warn', 'error'];
  const min = level ? order.indexOf(level) : order.length;
  const at =
    (name: string) =>
    (context: object, message: string): void => {
      if (order.indexOf(name) >= min) console.error(`[${name}] ${message} ${JSON.stringify(context)}`);
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Fast retries for tests: the contract is the same, only the clock is shorter. */
export const fastRetry: RetryPolicy = { initialDelayMs: 20, maxDelayMs: 200, factor: 2, jitter: 0 };

/**
 * What the contract suites run against: a way to open transports on one broker
 * (RabbitMQ, or one in-process MemoryBroker), and a namespace that keeps this
 * test file's objects apart from every other file's.
 */
export interface TransportFixture {
  readonly kind: 'amqp' | 'memory';
  readonly ns: BrokerNamespace;
  /** A new connection (AMQP) or client (memory) to the same broker. */
  connect(options?: Partial<AmqpTransportOptions>): Promise<Transport>;
  /** A typed broker on a new transport, in its own sub-namespace unless one is given. */
  broker(options?: { namespace?: string; retry?: Partial<RetryPolicy> }): Promise<Broker>;
  /** Closes every transport opened here and deletes every object they declared. */
  cleanup(): Promise<void>;
}

function fixture(
  kind: 'amqp' | 'memory',
  open: (options?: Partial<AmqpTransportOptions>) => Promise<Transport>,
): TransportFixture {
  const ns = brokerNamespace(`broker-${kind}`);
  const transports: Transport[] = [];
  const self: TransportFixture = {
    kind,
    ns,
    async connect(options) {
      const transport = await open(options);
      transports.push(transport);
      return transport;
    },
    async broker(options = {}) {
      return createBroker({
        transport: await self.connect(),
        logger: testLogger(),
        instanceId: 'test',
        namespace: options.namespace ?? ns.unique('b'),
        retry: { ...fastRetry, ...options.retry },
      });
    },
    async cleanup() {
      await Promise.all(transports.map((t) => t.close({ timeoutMs: 1_000 })));
      if (kind === 'amqp') {
        for (const transport of transports) ns.track(transport.declaredNames());
        await ns.cleanup();
      }
    },
  };
  return self;
}

export function memoryFixture(): TransportFixture {
  const broker = new MemoryBroker();
  return fixture('memory', async () => new MemoryTransport({ broker, logger: testLogger() }));
}

export function amqpFixture(): TransportFixture {
  return fixture('amqp', (options) =>
    connectAmqp({
      url: amqpUrl(),
      logger: testLogger(),
      connectionName: 'broker-tests',
      connectionWaitMs: 5_000,
      confirmTimeoutMs: 5_000,
      ...options,
    }),
  );
}

/** A promise that a test opens when it chooses. */
export function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}
