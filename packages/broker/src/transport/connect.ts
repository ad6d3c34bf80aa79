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
