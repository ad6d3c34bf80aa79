/**
 * Test fixture: one real PostgreSQL database (migrated from prisma/migrations)
 * and one RabbitMQ namespace per test file, and any number of auth-service apps
 * on them (several apps on one database = several copies of the service).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Broker } from '@im/broker';
import type { MessagePayload, QueueSpec, TokenPair } from '@im/contracts';
import { silentLogger } from '@im/logger';
import { amqpUrl, brokerNamespace, createTestDatabase } from '@im/testkit';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { vi } from 'vitest';
import { type AuthComponents, type AuthSettings, build, createComponents } from '../src/app.js';
import type { Clock } from '../src/domain/clock.js';
import type { EventPublisher } from '../src/domain/outbox-relay.js';
import type { PasswordHasher } from '../src/domain/passwords.js';
import { SealingKey } from '../src/domain/sealing.js';
import { type AuthEventName, brokerPublisher, connectBroker } from '../src/events-broker.js';
import { MIGRATIONS_DIR } from '../src/paths.js';
import { connectStore } from '../src/repositories/connect.js';
import type { Store } from '../src/repositories/store.js';

export { MIGRATIONS_DIR };
export const SCHEMA_PATH = new URL('../prisma/schema.prisma', import.meta.url).pathname;

const generous = { limit: 10_000, windowMs: 60_000 };

export const TEST_SETTINGS: AuthSettings = {
  issuer: 'https://auth.test',
  audience: 'im-test',
  accessTokenTtlMs: 15 * 60_000,
  refreshTokenTtlMs: 30 * 86_400_000,
  signingKeyRefreshMs: 60_000,
  rateLimits: {
    registerPerIp: generous,
    registerPerUsername: generous,
    loginPerIp: generous,
    loginPerUsername: generous,
    refreshPerIp: generous,
    refreshPerUser: generous,
  },
  trustProxy: false,
  bodyLimitBytes: 64 * 1024,
  outboxPollIntervalMs: 100,
  internalToken: 'internal-token-for-tests',
};

/** A clock the test can move. */
export class TestClock {
  offsetMs = 0;
  readonly now: Clock = () => new Date(Date.now() + this.offsetMs);
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

export interface ReceivedEvent<N extends AuthEventName = AuthEventName> {
  name: N;
  messageId: string;
  data: MessagePayload<N>;
}

export interface AppOptions {
  settings?: Partial<AuthSettings>;
  clock?: Clock;
  publish?: EventPublisher;
  hasher?: PasswordHasher;
  sealingKey?: SealingKey;
}

export interface TestApp {
  app: FastifyInstance;
  components: AuthComponents;
  store: Store;
}

export interface AuthTestEnvironment {
  databaseUrl: string;
  broker: Broker;
  brokerNamespace: string;
  sealingKey: SealingKey;
  /** The sealing key as SIGNING_KEY_ENCRYPTION_KEY would carry it (for child processes). */
  sealingKeyBase64: string;
  /** Every auth event that reached RabbitMQ, in arrival order. */
  events: ReceivedEvent[];
  /** Waits until an event of `name` matching `match` has arrived, and returns it. */
  waitForEvent<N extends AuthEventName>(
    name: N,
    match?: (data: MessagePayload<N>) => boolean,
  ): Promise<ReceivedEvent<N>>;
  startApp(options?: AppOptions): Promise<TestApp>;
  close(): Promise<void>;
}

const AUTH_EVENTS: AuthEventName[] = [
  'user.registered.v1',
  'session.created.v1',
  'session.revoked.v1',
  'keys.changed.v1',
];

export async function authTestEnvironment(
  label: string,
  options: { schema?: string } = {},
): Promise<AuthTestEnvironment> {
  const database = await createTestDatabase({
    migrationsDir: MIGRATIONS_DIR,
    ...(options.schema ? { schema: options.schema } : {}),
  });
  const namespace = brokerNamespace(`auth-${label}`);
  const broker = await connectBroker({
    url: amqpUrl(),
    namespace: namespace.name,
    logger: silentLogger(),
    instanceId: `test-${label}`,
  });
  const events: ReceivedEvent[] = [];
  const tap: QueueSpec = {
    name: 'test-event-tap',
    description: 'Every auth event, for assertions.',
    bindings: [{ exchange: 'events', keys: AUTH_EVENTS }],
    durable: false,
    maxAttempts: 1,
    prefetch: 100,
  };
  const record =
    <N extends AuthEventName>(name: N) =>
    async (data: MessagePayload<N>, context: { messageId: string }) => {
      events.push({ name, data, messageId: context.messageId } as ReceivedEvent);
    };
  const subscription = await broker.consume(tap, {
    'user.registered.v1': record('user.registered.v1'),
    'session.created.v1': record('session.created.v1'),
    'session.revoked.v1': record('session.revoked.v1'),
    'keys.changed.v1': record('keys.changed.v1'),
  });

  const sealingKeyBytes = randomBytes(32);
  const sealingKey = new SealingKey(sealingKeyBytes);
  const apps: TestApp[] = [];

  return {
    databaseUrl: database.url,
    broker,
    brokerNamespace: namespace.name,
    sealingKey,
    sealingKeyBase64: sealingKeyBytes.toString('base64'),
    events,
    async waitForEvent(name, match) {
      return vi.waitFor(
        () => {
          const found = events.find(
            (e): e is ReceivedEvent<typeof name> =>
              e.name === name && (!match || match(e.data as MessagePayload<typeof name>)),
          );
          if (!found) throw new Error(`no ${name} event yet (have: ${events.map((e) => e.name).join(', ')})`);
          return found;
        },
        { timeout: 10_000, interval: 20 },
      );
    },
    async startApp(options = {}) {
      const store = connectStore({ url: database.url });
      const logger = silentLogger();
      const components = createComponents({
        store,
        settings: { ...TEST_SETTINGS, ...options.settings },
        sealingKey: options.sealingKey ?? sealingKey,
        publish: options.publish ?? brokerPublisher(broker),
        logger,
        ...(options.clock ? { clock: options.clock } : {}),
        ...(options.hasher ? { hasher: options.hasher } : {}),
      });
      const app = await build({ components, logger });
      const started = { app, components, store };
      apps.push(started);
      await app.ready();
      return started;
    },
    async close() {
      for (const { app, store } of apps.splice(0)) {
        await app.close();
        await store.close();
      }
      await subscription.cancel();
      namespace.track(broker.transport.declaredNames());
      await broker.close();
      await namespace.cleanup();
      await database.drop();
    },
  };
}

// ---- HTTP helpers -----------------------------------------------------------

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export function uniqueName(prefix = 'user'): string {
  return `${prefix}_${randomUUID().slice(0, 8)}`;
}

export const PASSWORD = 'correct horse battery staple';

export async function register(
  app: FastifyInstance,
  username = uniqueName(),
  password = PASSWORD,
): Promise<{ id: string; username: string }> {
  const response = await app.inject({
    method: 'POST',
    url: '/v1/auth/register',
    payload: { username, password },
  });
  if (response.statusCode !== 201)
    throw new Error(`register failed: ${response.statusCode} ${response.body}`);
  return response.json().user;
}

export async function login(
  app: FastifyInstance,
  username: string,
  password = PASSWORD,
  deviceName?: string,
): Promise<TokenPair> {
  const response = await app.inject({
    method: 'POST',
    url: '/v1/auth/login',
    payload: { username, password, ...(deviceName ? { deviceName } : {}) },
  });
  if (response.statusCode !== 200) throw new Error(`login failed: ${response.statusCode} ${response.body}`);
  return response.json();
}

/** Registers a fresh user and logs in one device. */
export async function signUp(app: FastifyInstance, deviceName?: string) {
  const user = await register(app);
  const tokens = await login(app, user.username, PASSWORD, deviceName);
  return { user, tokens };
}

export function errorCode(response: LightMyRequestResponse): string {
  return response.json().error?.code;
}
