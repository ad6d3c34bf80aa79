import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { AppError, Queues } from '@im/contracts';
import { amqpUrl, tsxCommand } from '@im/testkit';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { amqpFixture } from './fixtures.js';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../scripts/dlq.ts', import.meta.url));

async function dlq(...args: string[]): Promise<string> {
  const { command, args: argv } = tsxCommand(script, ...args);
  const { stdout } = await run(command, argv, {
    env: { ...process.env, AMQP_URL: amqpUrl() },
    timeout: 30_000,
  });
  return stdout;
}

describe('dlq CLI', () => {
  const fx = amqpFixture();
  afterAll(async () => {
    await fx.cleanup();
  });

  it('lists dead letters without removing them, then replays them', async () => {
    const broker = await fx.broker();
    let healthy = false;
    const handled: string[] = [];
    await broker.consume(Queues.messageCommands, {
      'receipt.record.v1': async (data) => {
        if (!healthy) throw new AppError('MSG_NOT_MEMBER', 'not a member (yet)');
        handled.push(data.conversationId);
      },
    });
    const conversationId = randomUUID();
    const { messageId } = await broker.publish('receipt.record.v1', {
      conversationId,
      userId: randomUUID(),
      deviceId: randomUUID(),
      kind: 'delivered',
      seq: 7,
    });
    await vi.waitFor(async () =>
      expect(await broker.listDeadLetters(Queues.messageCommands)).toHaveLength(1),
    );

    const listed = await dlq('list', 'messageCommands', '--namespace', broker.namespace);
    expect(listed).toContain('1 dead letter(s)');
    expect(listed).toContain(`id=${messageId}`);
    expect(listed).toContain('MSG_NOT_MEMBER: not a member (yet)');
    const json = await dlq('list', 'message-service.commands', '--namespace', broker.namespace, '--json');
    expect(JSON.parse(json.trim())).toMatchObject({ messageId, name: 'receipt.record.v1', attempts: 1 });

    healthy = true;
    expect(await dlq('replay', 'messageCommands', '--namespace', broker.namespace)).toContain('replayed 1');
    await vi.waitFor(() => expect(handled).toEqual([conversationId]));
    expect(await broker.listDeadLetters(Queues.messageCommands)).toEqual([]);
  });
});
