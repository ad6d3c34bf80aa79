import type { Broker } from '@im/broker';

/** What the domain needs of the broker: a typed, validated, confirmed publish. */
export type EventPublisher = Pick<Broker, 'publish'>;
