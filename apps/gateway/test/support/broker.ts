import {
  type Broker,
  connectTransport,
  createBroker,
  type MessageContext,
  type MessageHandlers,
} from '@im/broker';
import { type MessageName, MessageNames, type QueueSpec } from '@im/contracts';
import { createLogger, type Logger } from '@im/logger';
import { amqpUrl, type BrokerNamespace, brokerNamespace } from '@im/testkit';

/** Logs of the code under test: silent unless TEST_LOG_LEVEL is set (debug, info …). */
export function testLogger(service: string): Logger {
  return createLogger({ service, level: process.env.TEST_LOG_LEVEL ?? 'silent' });
}

/**
 * Brokers on the machine's RabbitMQ inside one namespace per test file; `closeAll`
 * closes them and deletes everything they declared.
 */
export interface TestBrokers {
  readonly namespace: BrokerNamespace;
  /** A broker in the namespace; `url` defaults to the machine's RabbitMQ (pass a fault proxy's). */
  connect(instanceId: string, url?: string): Promise<Broker>;
  closeAll(): Promise<void>;
}

export function testBrokers(prefix: string): TestBrokers {
  const namespace = brokerNamespace(prefix);
  const open: Broker[] = [];
  return {
    namespace,
    async connect(instanceId, url = amqpUrl()) {
      const logger = testLogger(`broker ${instanceId}`);
      const transport = await connectTransport({
        url,
        logger,
        connectionName: `test ${instanceId}`,
      });
      const broker = createBroker({ transport, logger, instanceId, namespace: namespace.name });
      open.push(broker);
      return broker;
    },
    async closeAll() {
      for (const broker of open.splice(0)) {
        namespace.track(broker.transport.declaredNames());
        await broker.close();
      }
      await namespace.cleanup();
    },
  };
}

export interface Recorded {
  readonly name: MessageName;
  readonly data: unknown;
  readonly routingKey: string;
  readonly messageId: string;
}

/** Consumes a queue of the topology and keeps every message, to check what the code under test published. */
export async function recordQueue(
  broker: Broker,
  queue: QueueSpec,
): Promise<{ messages: Recorded[]; stop(): Promise<void> }> {
  const messages: Recorded[] = [];
  const record = async (data: unknown, context: MessageContext) => {
    messages.push({ name: context.name, data, routingKey: context.routingKey, messageId: context.messageId });
  };
  const handlers = Object.fromEntries(MessageNames.map((name) => [name, record])) as MessageHandlers;
  const subscription = await broker.consume(queue, handlers, { maxAttempts: 1 });
  return { messages, stop: () => subscription.cancel() };
}
