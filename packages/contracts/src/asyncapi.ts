import { stringify } from 'yaml';
import { z } from 'zod';
import { BrokerCatalog, type CatalogEntry, MessageNames } from './catalog.js';
import { Exchanges, type QueueSpec, Queues } from './topology.js';

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const out = z.toJSONSchema(schema, { target: 'draft-2020-12', unrepresentable: 'any', io: 'output' });
  delete out.$schema;
  return out;
}

const camel = (name: string) =>
  name
    .replace(/\.v(\d+)$/, 'V$1')
    .split(/[.-]/)
    .map((part, i) => (i === 0 ? part : part.charAt(0).toUpperCase() + part.slice(1)))
    .join('');

/**
 * Renders the AsyncAPI 3 document of the broker contracts from the catalog and
 * the topology, so the published document cannot drift from the code.
 */
export function renderAsyncApi(version: string): string {
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};

  for (const name of MessageNames) {
    const entry: CatalogEntry = BrokerCatalog[name];
    const exchange = Exchanges[entry.exchange];
    const id = camel(name);
    messages[id] = {
      name,
      title: name,
      summary: entry.summary,
      contentType: 'application/json',
      headers: {
        type: 'object',
        description: 'AMQP properties: type = message name, messageId = envelope id, persistent delivery.',
      },
      payload: {
        type: 'object',
        required: ['id', 'type', 'occurredAt', 'data'],
        additionalProperties: false,
        properties: {
          id: {
            type: 'string',
            description: 'Unique message id (also the AMQP messageId); consumers dedupe on it.',
          },
          type: { const: name },
          occurredAt: { type: 'string', format: 'date-time' },
          data: jsonSchema(entry.schema),
        },
      },
      bindings: { amqp: { deliveryMode: 2, bindingVersion: '0.3.0' } },
    };
    const routingKey = entry.routingKey ?? name;
    channels[id] = {
      address: routingKey,
      description: `${entry.summary} Exchange \`${exchange.name}\` (${exchange.type}), routing key \`${routingKey}\`.`,
      messages: { [id]: { $ref: `#/components/messages/${id}` } },
      bindings: {
        amqp: {
          is: 'routingKey',
          exchange: {
            name: exchange.name,
            type: exchange.type,
            durable: true,
            autoDelete: false,
            vhost: '/',
          },
          bindingVersion: '0.3.0',
        },
      },
    };
    const queues: readonly QueueSpec[] = Object.values(Queues);
    const consumers = queues.filter((q) =>
      q.bindings.some((b) => b.exchange === entry.exchange && b.keys.includes(name)),
    );
    operations[`publish${id.charAt(0).toUpperCase()}${id.slice(1)}`] = {
      action: 'send',
      channel: { $ref: `#/channels/${id}` },
      summary: `Publish ${name}.`,
      messages: [{ $ref: `#/channels/${id}/messages/${id}` }],
    };
    for (const queue of consumers) {
      operations[`${camel(queue.name)}Receives${id.charAt(0).toUpperCase()}${id.slice(1)}`] = {
        action: 'receive',
        channel: { $ref: `#/channels/${id}` },
        summary: `Queue \`${queue.name}\` (${queue.description}) consumes ${name}; up to ${queue.maxAttempts} attempts, then \`${queue.name}.dlq\`.`,
        messages: [{ $ref: `#/channels/${id}/messages/${id}` }],
      };
    }
  }

  const doc = {
    asyncapi: '3.0.0',
    info: {
      title: 'IM platform broker contracts',
      version,
      description: [
        'Every message the services exchange over RabbitMQ. Generated from packages/contracts (catalog.ts, topology.ts);',
        'do not edit by hand: run `pnpm --filter @im/contracts docs`.',
        '',
        'Each message is a JSON envelope `{id, type, occurredAt, data}` published persistent with publisher confirms.',
        'Integrators bind their own queues to the `im.events` exchange; to reach every connected user, publish `broadcast.requested.v1`.',
      ].join('\n'),
    },
    defaultContentType: 'application/json',
    servers: {
      rabbitmq: {
        host: 'localhost:5672',
        protocol: 'amqp',
        protocolVersion: '0.9.1',
        description: 'RabbitMQ 3.10+',
      },
    },
    channels,
    operations,
    components: { messages },
  };
  return stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false });
}
