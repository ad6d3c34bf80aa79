/**
 * Operator tool for dead-letter queues.
 *
 *   AMQP_URL=amqp://… pnpm --filter @im/broker dlq -- list messageCommands
 *   AMQP_URL=amqp://… pnpm --filter @im/broker dlq -- replay message-service.commands --limit 10
 *
 * <queue> is a key of `Queues` in @im/contracts, a queue name, or `gateway.<instanceId>`.
 */
import { parseArgs } from 'node:util';
import { gatewayQueue, type QueueSpec, Queues } from '@im/contracts';
import { createLogger } from '@im/logger';
import { createBroker, type DeadLetter } from '../src/broker.js';
import { connectAmqp } from '../src/transport/amqp.js';

const USAGE = `usage: dlq <list|replay> <queue> [--limit N] [--namespace NS] [--json]

  list     show up to N dead letters (default 20) without removing them
  replay   move up to N dead letters (default 100) back to their queue, oldest first

  <queue>  ${Object.keys(Queues).join(', ')}, a queue name, or gateway.<instanceId>
  AMQP_URL must name the RabbitMQ to use.`;

function resolveQueue(name: string): QueueSpec | undefined {
  const specs: QueueSpec[] = Object.values(Queues);
  const byKey = (Queues as Record<string, QueueSpec>)[name];
  if (byKey) return byKey;
  const byName = specs.find((spec) => spec.name === name);
  if (byName) return byName;
  if (name.startsWith('gateway.')) return gatewayQueue(name.slice('gateway.'.length));
  return undefined;
}

function line(letter: DeadLetter, index: number): string {
  const when = letter.failedAt ?? '(unknown time)';
  const what = letter.name ?? '(not an envelope)';
  const replays = letter.replayCount > 0 ? ` replayed=${letter.replayCount}` : '';
  return `${index + 1}. ${when}  ${what}  id=${letter.messageId ?? '-'}  attempts=${letter.attempts}${replays}\n   ${letter.error.code}: ${letter.error.message}`;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === '--'));
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      limit: { type: 'string' },
      namespace: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, queueName] = positionals;
  if (values.help || !queueName || (command !== 'list' && command !== 'replay')) {
    console.error(USAGE);
    return 2;
  }
  const queue = resolveQueue(queueName);
  if (!queue) {
    console.error(`unknown queue '${queueName}'\n\n${USAGE}`);
    return 2;
  }
  const limit = Number(values.limit ?? (command === 'list' ? 20 : 100));
  if (!Number.isInteger(limit) || limit < 1) {
    console.error(`--limit must be a positive integer, not '${values.limit}'`);
    return 2;
  }
  const url = process.env.AMQP_URL;
  if (!url) {
    console.error(`AMQP_URL is not set\n\n${USAGE}`);
    return 2;
  }

  const logger = createLogger({ service: 'dlq-cli', level: 'warn', destination: process.stderr });
  const transport = await connectAmqp({ url, logger, connectionName: 'dlq-cli', initialConnectAttempts: 1 });
  const broker = createBroker({
    transport,
    logger,
    instanceId: 'dlq-cli',
    ...(values.namespace ? { namespace: values.namespace } : {}),
  });
  try {
    const { deadLetter } = broker.queueNames(queue);
    if (command === 'list') {
      const { messageCount } = await transport.queueInfo(deadLetter);
      const letters = await broker.listDeadLetters(queue, { limit });
      if (values.json) {
        for (const letter of letters) console.log(JSON.stringify(letter));
      } else {
        console.log(
          `${messageCount} dead letter(s) in ${deadLetter}${messageCount > limit ? `, first ${limit}` : ''}`,
        );
        letters.forEach((letter, i) => {
          console.log(line(letter, i));
        });
      }
    } else {
      const { replayed } = await broker.replayDeadLetters(queue, { limit });
      console.log(
        `replayed ${replayed} dead letter(s) from ${deadLetter} to ${broker.queueNames(queue).main}`,
      );
    }
    return 0;
  } finally {
    await broker.close({ timeoutMs: 5_000 });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`dlq: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
