import { type Broker, createBroker } from '../broker.js';
import type { BrokerLogger } from '../logger.js';
import { type AmqpTransportOptions, connectAmqp } from './amqp.js';
import { MemoryBroker, MemoryTransport } from './memory.js';
import type { Transport } from './types.js';

let processBroker: MemoryBroker | undefined;

/** The in-process broker every service of this process shares in standalone mode. */
export function processMemoryBroker(): MemoryBroker {
  processBroker ??= new MemoryBroker();
  return processBroker;
}

export interface ConnectTransportOptions extends Omit<AmqpTransportOptions, 'url'> {
  /** RabbitMQ's URL; without one, the transport is in-process (standalone mode). */
  url: string | undefined;
  /** The in-process broker to use without a URL; default: the one of this process. */
  memoryBroker?: MemoryBroker;
  logger?: BrokerLogger;
}

/** RabbitMQ when a URL is given, the in-process broker otherwise: the one switch of standalone mode. */
export async function connectTransport(options: ConnectTransportOptions): Promise<Transport> {
  const { url, memoryBroker, ...rest } = options;
  if (url) return connectAmqp({ ...rest, url });
  return new MemoryTransport({
    broker: memoryBroker ?? processMemoryBroker(),
    ...(rest.logger ? { logger: rest.logger } : {}),
  });
}

export interface ConnectBrokerOptions extends ConnectTransportOptions {
  logger: BrokerLogger;
  /** This process, in logs, consumer tags and the connection name. */
  instanceId: string;
  /** Names the connection in RabbitMQ's management UI; default `<service> <instanceId>`. */
  service: string;
  /** Prefix of every exchange and queue name; empty or absent in production. */
  namespace?: string | undefined;
}

/**
 * The one way a service gets its broker: RabbitMQ when `url` is set, the
 * in-process broker otherwise, wrapped in the typed `Broker`.
 */
export async function connectBroker(options: ConnectBrokerOptions): Promise<Broker> {
  const { instanceId, service, namespace, ...transportOptions } = options;
  const transport = await connectTransport({
    connectionName: `${service} ${instanceId}`,
    ...transportOptions,
  });
  return createBroker({
    transport,
    logger: options.logger,
    instanceId,
    ...(namespace ? { namespace } : {}),
  });
}
