export {
  type Broker,
  type BrokerOptions,
  type ConsumeOptions,
  createBroker,
  type DeadLetter,
  type MessageContext,
  type MessageHandler,
  type MessageHandlers,
  type PublishArgs,
  type PublishOptions,
  type QueueNames,
} from './broker.js';
export { BrokerHeaders } from './headers.js';
export { type BrokerLogger, nullLogger } from './logger.js';
export { defaultRetryPolicy, type RetryPolicy, retryDelay } from './retry.js';
export { AmqpTransport, type AmqpTransportOptions, connectAmqp } from './transport/amqp.js';
export {
  type ConnectBrokerOptions,
  type ConnectTransportOptions,
  connectBroker,
  connectTransport,
  processMemoryBroker,
} from './transport/connect.js';
export { MemoryBroker, MemoryTransport, type MemoryTransportOptions } from './transport/memory.js';
export { topicMatches } from './transport/routing.js';
export type * from './transport/types.js';
