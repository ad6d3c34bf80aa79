import { randomUUID } from 'node:crypto';
import { BrokerCatalog, type MessageName, type MessagePayload } from '@im/contracts';
import type { OutboxEvent } from '../repositories/outbox.js';

/** An outbox event, its payload checked against the catalog schema before it is stored. */
export function outboxEvent<N extends MessageName>(
  name: N,
  payload: MessagePayload<N>,
  occurredAt: Date,
): OutboxEvent {
  return { id: randomUUID(), name, payload: BrokerCatalog[name].schema.parse(payload), occurredAt };
}
