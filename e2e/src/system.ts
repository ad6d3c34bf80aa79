import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { DeadLetterSuffix, Exchanges, Queues, RetrySuffix } from '@im/contracts';
import {
  amqpUrl,
  createEmptyDatabase,
  deleteBrokerObjects,
  type EmptyDatabase,
  freePort,
  type RunningProcess,
  startProcess,
  tsxCommand,
} from '@im/testkit';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ISSUER = 'im-e2e';
const AUDIENCE = 'im';

/** A running system as a client sees it: an HTTP base URL and one or more gateway endpoints. */
export interface System {
  readonly mode: 'distributed' | 'standalone';
  /** HTTP base URL of the auth service. */
  readonly authUrl: string;
  /** HTTP base URL of the message service. */
  readonly messagesUrl: string;
  /** WebSocket URLs, one per gateway. */
  readonly gatewayUrls: readonly string[];
  /** The database, for scans of what the server stores. */
  readonly databaseUrl: string;
  /** Prefix of the broker's exchanges and queues ('' in standalone mode: its broker is in-process). */
  readonly brokerNamespace: string;
  stop(): Promise<void>;
}

export interface DistributedSystem extends System {
  readonly mode: 'distributed';
  /** Kills a service's process with a signal (SIGKILL: no shutdown at all). */
  kill(service: ServiceName, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a killed service again with the same configuration. */
  restart(service: ServiceName): Promise<void>;
  /** Log output of a service, for failure messages. */
  output(service: ServiceName): string;
}

export type ServiceName = 'auth' | 'messages' | 'delivery' | 'gateway-a' | 'gateway-b';

interface ServiceSpec {
  name: ServiceName;
  main: string;
  port: number;
  env: Record<string, string>;
}

/**
 * The distributed system: auth service, message service, delivery worker and
 * two gateways, each its own process (`tsx src/main.ts`, as operators run
 * them), over the machine's PostgreSQL (one fresh database, a schema per
 * service) and RabbitMQ (a namespace of its own).
 */
export async function startDistributed(label: string): Promise<DistributedSystem> {
  const database = await createEmptyDatabase(`e2e_${label}`);
  const namespace = `e2e-${label}-${randomBytes(4).toString('hex')}`;
  const [authPort, messagesPort, deliveryPort, gatewayAPort, gatewayBPort] = await Promise.all(
    Array.from({ length: 5 }, () => freePort()),
  );
  const internalToken = randomBytes(24).toString('base64url');
  const authUrl = `http://127.0.0.1:${authPort}`;
  const messagesUrl = `http://127.0.0.1:${messagesPort}`;
  const common = {
    AMQP_URL: amqpUrl(),
    BROKER_NAMESPACE: namespace,
    INTERNAL_TOKEN: internalToken,
    AUTH_URL: authUrl,
    JWKS_URL: `${authUrl}/.well-known/jwks.json`,
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: AUDIENCE,
    MESSAGE_SERVICE_URL: messagesUrl,
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
  };
  const specs: ServiceSpec[] = [
    {
      name: 'auth',
      main: 'apps/auth-service/src/main.ts',
      port: authPort!,
      env: {
        ...common,
        DATABASE_URL: database.url,
        DATABASE_SCHEMA: 'auth',
        SIGNING_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      },
    },
    {
      name: 'messages',
      main: 'apps/message-service/src/main.ts',
      port: messagesPort!,
      env: { ...common, DATABASE_URL: database.url, DATABASE_SCHEMA: 'messaging' },
    },
    { name: 'delivery', main: 'apps/delivery-worker/src/main.ts', port: deliveryPort!, env: common },
    {
      name: 'gateway-a',
      main: 'apps/gateway/src/main.ts',
      port: gatewayAPort!,
      env: { ...common, INSTANCE_ID: `${namespace}-a` },
    },
    {
      name: 'gateway-b',
      main: 'apps/gateway/src/main.ts',
      port: gatewayBPort!,
      env: { ...common, INSTANCE_ID: `${namespace}-b` },
    },
  ];
  const running = new Map<ServiceName, RunningProcess>();
  const outputs = new Map<ServiceName, string>();
  const start = async (spec: ServiceSpec) => {
    const { command, args } = tsxCommand(`${ROOT}${spec.main}`);
    const proc = await startProcess({
      name: spec.name,
      command,
      args,
      cwd: ROOT,
      env: { ...spec.env, PORT: String(spec.port) },
      readyUrl: `http://127.0.0.1:${spec.port}/readyz`,
      timeoutMs: 60_000,
    });
    running.set(spec.name, proc);
    void proc.exited.then(() => outputs.set(spec.name, (outputs.get(spec.name) ?? '') + proc.output()));
  };
  const specOf = (name: ServiceName) => specs.find((s) => s.name === name)!;

  try {
    // The auth service first (the others fetch its JWKS), the message service
    // before the gateways (they drain from it); each applies its migrations.
    await start(specOf('auth'));
    await start(specOf('messages'));
    await Promise.all([start(specOf('delivery')), start(specOf('gateway-a')), start(specOf('gateway-b'))]);
  } catch (error) {
    await Promise.all([...running.values()].map((p) => p.stop('SIGKILL')));
    await database.drop();
    throw error;
  }

  return {
    mode: 'distributed',
    authUrl,
    messagesUrl,
    gatewayUrls: [gatewayAPort, gatewayBPort].map((p) => `ws://127.0.0.1:${p}/v1/ws`),
    databaseUrl: database.url,
    brokerNamespace: namespace,
    async kill(service, signal = 'SIGKILL') {
      await running.get(service)?.stop(signal, 10_000);
    },
    async restart(service) {
      await start(specOf(service));
    },
    output(service) {
      const proc = running.get(service);
      return (outputs.get(service) ?? '') + (proc && proc.child.exitCode === null ? proc.output() : '');
    },
    async stop() {
      // Gateways first, so no client reconnects into a half-stopped system.
      for (const name of ['gateway-a', 'gateway-b', 'delivery', 'messages', 'auth'] as const) {
        await running.get(name)?.stop('SIGTERM', 15_000);
      }
      await deleteNamespace(namespace);
      await database.drop();
    },
  };
}

/** The standalone system (`pnpm start`) as a child process, on a fresh database of the machine's PostgreSQL. */
export async function startStandaloneSystem(label: string): Promise<System> {
  const database: EmptyDatabase = await createEmptyDatabase(`e2e_${label}`);
  const port = await freePort();
  const { command, args } = tsxCommand(`${ROOT}apps/standalone/src/main.ts`);
  let proc: RunningProcess;
  try {
    proc = await startProcess({
      name: 'standalone',
      command,
      args,
      cwd: ROOT,
      env: {
        PORT: String(port),
        DATABASE_URL: database.url,
        DATA_DIR: `${ROOT}.data/e2e-${label}-${randomBytes(4).toString('hex')}`,
        LOG_LEVEL: 'warn',
      },
      readyUrl: `http://127.0.0.1:${port}/readyz`,
      timeoutMs: 90_000,
    });
  } catch (error) {
    await database.drop();
    throw error;
  }
  const base = `http://127.0.0.1:${port}`;
  return {
    mode: 'standalone',
    authUrl: base,
    messagesUrl: base,
    gatewayUrls: [`ws://127.0.0.1:${port}/v1/ws`],
    databaseUrl: database.url,
    brokerNamespace: '',
    async stop() {
      await proc.stop('SIGTERM', 15_000);
      await database.drop();
    },
  };
}

/** Deletes the durable objects the services declared under the namespace (gateway queues expire by themselves). */
async function deleteNamespace(namespace: string): Promise<void> {
  const queues = Object.values(Queues).flatMap((q) =>
    [q.name, `${q.name}${RetrySuffix}`, `${q.name}${DeadLetterSuffix}`].map((n) => `${namespace}.${n}`),
  );
  const exchanges = Object.values(Exchanges).map((e) => `${namespace}.${e.name}`);
  await deleteBrokerObjects(amqpUrl(), { queues, exchanges });
}
