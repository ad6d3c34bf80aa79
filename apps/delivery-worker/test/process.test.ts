import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { MessageContext } from '@im/broker';
import { DeliveryKeys, type MessagePayload, type QueueSpec } from '@im/contracts';
import { testBrokers } from '@im/gateway/testing';
import { amqpUrl, freePort, startProcess, tsxCommand } from '@im/testkit';
import { afterAll, describe, expect, it, vi } from 'vitest';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const brokers = testBrokers('dw-process');

afterAll(async () => {
  await brokers.closeAll();
});

describe('tsx src/main.ts', () => {
  it('starts from the environment, routes events, serves health and metrics, and stops cleanly on SIGTERM', async () => {
    const broker = await brokers.connect('dw-process-test');
    await broker.declareTopology();
    const frames: Array<MessagePayload<'delivery.frame.v1'>['frame']> = [];
    const probe: QueueSpec = {
      name: `probe-${randomUUID()}`,
      description: 'test probe',
      bindings: [{ exchange: 'delivery', keys: [DeliveryKeys.broadcast] }],
      durable: false,
      maxAttempts: 1,
      prefetch: 10,
    };
    await broker.consume(probe, {
      'delivery.frame.v1': async (data: MessagePayload<'delivery.frame.v1'>, _context: MessageContext) => {
        frames.push(data.frame);
      },
    });

    const port = await freePort();
    const { command, args } = tsxCommand(MAIN);
    const worker = await startProcess({
      name: 'delivery-worker',
      command,
      args,
      env: {
        PORT: String(port),
        AMQP_URL: amqpUrl(),
        BROKER_NAMESPACE: brokers.namespace.name,
        INSTANCE_ID: 'process-test',
        MESSAGE_SERVICE_URL: 'http://127.0.0.1:9',
        INTERNAL_TOKEN: 'process-test-internal-token',
        LOG_LEVEL: 'info',
      },
      readyUrl: `http://127.0.0.1:${port}/readyz`,
    });
    try {
      await broker.publish('broadcast.requested.v1', { text: 'hello everyone', from: 'ops' });
      await vi.waitFor(() =>
        expect(frames).toEqual([expect.objectContaining({ type: 'broadcast', text: 'hello everyone' })]),
      );
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toMatch(/delivery_worker_frames_published_total\{[^}]*type="broadcast"[^}]*\} 1/);
      expect(await worker.stop('SIGTERM')).toBe(0);
      expect(worker.logs().some((l) => l.msg === 'shutdown complete')).toBe(true);
    } finally {
      await worker.stop('SIGKILL');
    }
  });
});
