import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Broker } from '@im/broker';
import type { FastifyInstance } from 'fastify';
import { build, type GatewayLimits, type MessageServiceClient } from '../../src/index.js';
import type { TestAuth } from './auth.js';
import { type TestBrokers, testLogger } from './broker.js';
import { nothingPending } from './pending.js';

export interface StartGatewayOptions {
  brokers: TestBrokers;
  auth: TestAuth;
  messageService?: MessageServiceClient;
  limits?: Partial<GatewayLimits>;
  allowedOrigins?: string[];
  instanceId?: string;
  presenceRefreshMs?: number;
  /** Listen on this port (default: one the OS picks), e.g. to restart a gateway where clients expect it. */
  port?: number;
  /** RabbitMQ URL of the gateway's own connection (default the machine's; a fault proxy's to cut it). */
  amqpUrl?: string;
  resyncSpreadMs?: number;
}

export interface TestGateway {
  readonly app: FastifyInstance;
  readonly broker: Broker;
  readonly instanceId: string;
  /** ws://127.0.0.1:<port>/v1/ws */
  readonly url: string;
  readonly httpUrl: string;
  /** The Prometheus text of /metrics. */
  metrics(): Promise<string>;
  /** Closes the gateway (sockets get 1012) and its broker connection. */
  close(): Promise<void>;
}

/** A real gateway (`build()`) on a random port, with its own broker connection in the test namespace. */
export async function startTestGateway(options: StartGatewayOptions): Promise<TestGateway> {
  const instanceId = options.instanceId ?? `gw-${randomBytes(4).toString('hex')}`;
  const broker = await options.brokers.connect(instanceId, options.amqpUrl);
  const app = await build({
    broker,
    verifier: options.auth.verifier,
    revocations: options.auth.revocations,
    messageService: options.messageService ?? nothingPending,
    instanceId,
    logger: testLogger(`gateway ${instanceId}`),
    allowedOrigins: options.allowedOrigins ?? [],
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.presenceRefreshMs ? { presenceRefreshMs: options.presenceRefreshMs } : {}),
    closeGraceMs: 1_000,
    ...(options.resyncSpreadMs === undefined ? {} : { resyncSpreadMs: options.resyncSpreadMs }),
  });
  await app.listen({ port: options.port ?? 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    app,
    broker,
    instanceId,
    url: `ws://127.0.0.1:${port}/v1/ws`,
    httpUrl: `http://127.0.0.1:${port}`,
    async metrics() {
      const response = await app.inject({ method: 'GET', url: '/metrics' });
      return response.body;
    },
    close() {
      closed ??= (async () => {
        await app.close();
        await broker.close();
      })();
      return closed;
    },
  };
}

/** The value of a metric in Prometheus text (the first series whose labels include `labels`), or 0. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const labelText = match[2] ?? '';
    if (Object.entries(labels).every(([key, value]) => labelText.includes(`${key}="${value}"`))) {
      return Number(match[3]);
    }
  }
  return 0;
}
