import { randomBytes } from 'node:crypto';
import { connect } from 'amqplib';

/** The RabbitMQ tests use: `TEST_AMQP_URL`, or the machine's own broker. */
export function amqpUrl(): string {
  return process.env.TEST_AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672';
}

/** Host and port of `amqpUrl()`, for pointing a TCP proxy at it. */
export function amqpTarget(url = amqpUrl()): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port || 5672) };
}

/** The same URL with the host and port replaced (to go through a proxy). */
export function amqpUrlVia(host: string, port: number, url = amqpUrl()): string {
  const parsed = new URL(url);
  parsed.hostname = host;
  parsed.port = String(port);
  return parsed.toString();
}

export interface BrokerNamespace {
  /** The prefix: every exchange and queue of the test file is named `<name>.<…>`. */
  readonly name: string;
  /** A unique name inside the namespace, for one test's own objects. */
  unique(label: string): string;
  /** Records exchanges and queues to delete at cleanup (a transport's `declaredNames()` fits). */
  track(objects: { exchanges?: Iterable<string>; queues?: Iterable<string> }): void;
  /**
   * Deletes every tracked queue and exchange over its own connection to
   * `url`. Names outside the namespace are refused, so a cleanup can never
   * touch another test file's (or a deployment's) objects.
   */
  cleanup(url?: string): Promise<void>;
}

/**
 * A namespace of broker object names unique to one test file, so that test
 * files can run in parallel on one RabbitMQ without seeing each other.
 */
export function brokerNamespace(prefix = 'test'): BrokerNamespace {
  const name = `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const exchanges = new Set<string>();
  const queues = new Set<string>();
  let counter = 0;
  const inside = (object: string) => {
    if (!object.startsWith(`${name}.`)) {
      throw new Error(`brokerNamespace: '${object}' is not inside namespace '${name}'`);
    }
    return object;
  };
  return {
    name,
    unique(label) {
      counter++;
      return `${name}.${label}-${counter}`;
    },
    track(objects) {
      for (const exchange of objects.exchanges ?? []) exchanges.add(inside(exchange));
      for (const queue of objects.queues ?? []) queues.add(inside(queue));
    },
    async cleanup(url = amqpUrl()) {
      if (exchanges.size === 0 && queues.size === 0) return;
      await deleteBrokerObjects(url, { exchanges: [...exchanges], queues: [...queues] });
      exchanges.clear();
      queues.clear();
    },
  };
}

/**
 * Deletes queues and exchanges (missing ones are fine). One channel does them
 * all; a refusal closes a channel in AMQP, so a new one is opened after one.
 */
export async function deleteBrokerObjects(
  url: string,
  objects: { exchanges: readonly string[]; queues: readonly string[] },
): Promise<void> {
  const connection = await connect(url);
  connection.on('error', () => {
    // Reported through the failing operation below.
  });
  try {
    let channel = await connection.createChannel();
    const failures: string[] = [];
    const steps = [
      ...objects.queues.map((queue) => ['queue', queue, () => channel.deleteQueue(queue)] as const),
      ...objects.exchanges.map(
        (exchange) => ['exchange', exchange, () => channel.deleteExchange(exchange)] as const,
      ),
    ];
    for (const [kind, name, remove] of steps) {
      try {
        await remove();
      } catch (error) {
        failures.push(`${kind} ${name}: ${error instanceof Error ? error.message : String(error)}`);
        channel = await connection.createChannel();
      }
    }
    if (failures.length > 0) throw new Error(`could not delete broker objects:\n${failures.join('\n')}`);
  } finally {
    await connection.close();
  }
}
