import { randomBytes } from 'node:crypto';
import { silentLogger } from '@im/logger';
import {
  amqpUrl,
  brokerNamespace,
  createTestDatabase,
  freePort,
  type RunningProcess,
  startProcess,
  tsxCommand,
} from '@im/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectBroker } from '../src/events-broker.js';
import { MIGRATIONS_DIR, PASSWORD } from './harness.js';

/** The real service, started the way an operator starts it: `tsx src/main.ts` with its environment. */
describe('auth-service as a process', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  const namespace = brokerNamespace('auth-process');
  let proc: RunningProcess;
  let base: string;

  beforeAll(async () => {
    database = await createTestDatabase({ migrationsDir: MIGRATIONS_DIR });
    // Declares the same topology as the service, so cleanup knows every name to delete.
    const broker = await connectBroker({
      url: amqpUrl(),
      namespace: namespace.name,
      logger: silentLogger(),
      instanceId: 'process-test',
    });
    namespace.track(broker.transport.declaredNames());
    await broker.close();

    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const { command, args } = tsxCommand(new URL('../src/main.ts', import.meta.url).pathname);
    proc = await startProcess({
      name: 'auth-service',
      command,
      args,
      env: {
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: database.url,
        AMQP_URL: amqpUrl(),
        BROKER_NAMESPACE: namespace.name,
        SIGNING_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        LOG_LEVEL: 'debug',
      },
      readyUrl: `${base}/readyz`,
    });
  });
  afterAll(async () => {
    await proc?.stop();
    await namespace.cleanup();
    await database?.drop();
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  it('registers, logs in, answers with the token, and shuts down cleanly on SIGTERM', async () => {
    const ready = await (await fetch(`${base}/readyz`)).json();
    expect(ready).toEqual({ status: 'ok', checks: { database: 'ok', broker: 'ok' } });

    const registered = await post('/v1/auth/register', { username: 'Process_User', password: PASSWORD });
    expect(registered.status).toBe(201);
    const login = await post('/v1/auth/login', {
      username: 'process_user',
      password: PASSWORD,
      deviceName: 'cli',
    });
    expect(login.status).toBe(200);
    const tokens = (await login.json()) as { accessToken: string; refreshToken: string };
    const me = await fetch(`${base}/v1/users/me`, {
      headers: { authorization: `Bearer ${tokens.accessToken}` },
    });
    expect(await me.json()).toMatchObject({ username: 'Process_User' });

    const jwks = (await (await fetch(`${base}/.well-known/jwks.json`)).json()) as { keys: unknown[] };
    expect(jwks.keys).toHaveLength(1);

    expect(await proc.stop('SIGTERM')).toBe(0);
    const output = proc.output();
    expect(output).not.toContain(PASSWORD);
    expect(output).not.toContain(tokens.accessToken);
    expect(output).not.toContain(tokens.refreshToken);
    const messages = proc.logs().map((line) => line.msg);
    expect(messages).toContain('listening');
    expect(messages).toContain('shutdown complete');
    // The configuration is logged at start, with the sealing key masked.
    const starting = proc.logs().find((line) => line.msg === 'starting') as {
      config: Record<string, unknown>;
    };
    expect(starting.config.SIGNING_KEY_ENCRYPTION_KEY).toBe('[redacted]');
  });

  it('refuses to start without its sealing key, naming the variable', async () => {
    const { command, args } = tsxCommand(new URL('../src/main.ts', import.meta.url).pathname);
    const failed = await startProcess({
      name: 'auth-service',
      command,
      args,
      env: { DATABASE_URL: database.url, AMQP_URL: amqpUrl(), SIGNING_KEY_ENCRYPTION_KEY: '' },
    });
    expect(await failed.exited).not.toBe(0);
    expect(failed.output()).toMatch(/SIGNING_KEY_ENCRYPTION_KEY/);
  });
});
