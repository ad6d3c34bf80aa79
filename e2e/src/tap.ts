import { Exchanges } from '@im/contracts';
import { amqpUrl } from '@im/testkit';
import { connect } from 'amqplib';

/** Records a copy of every message published to the system's exchanges (an exclusive queue bound with `#`). */
export async function tapBroker(namespace: string): Promise<{ bodies: string[]; close(): Promise<void> }> {
  const connection = await connect(amqpUrl());
  const channel = await connection.createChannel();
  const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
  for (const exchange of Object.values(Exchanges)) {
    await channel.bindQueue(queue, `${namespace}.${exchange.name}`, '#');
  }
  const bodies: string[] = [];
  await channel.consume(
    queue,
    (message) => {
      if (message) bodies.push(message.content.toString('utf8'));
    },
    { noAck: true },
  );
  return {
    bodies,
    async close() {
      await connection.close();
    },
  };
}
