import { type AmqpTransportOptions, type Broker, connectBroker as connectSharedBroker } from '@im/broker';
import type { MessageName, MessagePayload } from '@im/contracts';
import type { Logger } from '@im/logger';
import type { EventPublisher } from './domain/outbox-relay.js';

/** The events this service publishes (all on the events exchange). */
export type AuthEventName = Extract<
  MessageName,
  'user.registered.v1' | 'session.created.v1' | 'session.revoked.v1' | 'keys.changed.v1'
>;

export interface BrokerConnectOptions {
  url: string;
  /** Prefix of exchange and queue names (tests); empty in production. */
  namespace?: string;
  logger: Logger;
  instanceId: string;
  /** Connection tuning (timeouts, reconnect backoff); defaults suit production. */
  tuning?: Partial<Omit<AmqpTransportOptions, 'url' | 'logger'>>;
}

/** Connects to RabbitMQ and declares the exchanges this service publishes to. */
export async function connectBroker(options: BrokerConnectOptions): Promise<Broker> {
  const broker = await connectSharedBroker({
    ...options.tuning,
    url: options.url,
    logger: options.logger,
    service: 'auth-service',
    instanceId: options.instanceId,
    namespace: options.namespace,
  });
  await broker.declareTopology();
  return broker;
}

/** Publishes outbox events; the outbox id becomes the message id, which consumers deduplicate on. */
export function brokerPublisher(broker: Broker): EventPublisher {
  return async (event) => {
    await broker.publish(event.name as AuthEventName, event.payload as MessagePayload<AuthEventName>, {
      messageId: event.id,
    });
  };
}
