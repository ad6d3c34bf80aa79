import { randomBytes, randomUUID } from 'node:crypto';
import { connectAmqp, createBroker } from '@im/broker';
import { quoteIdent, withDatabase } from '@im/db';
import { silentLogger } from '@im/logger';
import {
  amqpUrl,
  brokerNamespace,
  freePort,
  startProcess,
  testDatabaseServerUrl,
  tsxCommand,
} from '@im/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTERNAL_TOKEN } from './support/harness.js';

const ns = brokerNamespace('msgsvc-main');
const database = `im_test_msgmain_${randomBytes(5).toString('hex')}`;

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: testDatabaseServerUrl() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

beforeAll(() => admin(`CREATE DATABASE ${quoteIdent(database)}`));
afterAll(async () => {
  await admin(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`);
  // The service declared the whole topology under the namespace; delete it.
  const transport = await connectAmqp({ url: amqpUrl() });
  const broker = createBroker({
    transport,
    logger: silentLogger(),
    instanceId: 'cleanup',
    namespace: ns.name,
  });
  await broker.declareTopology();
  ns.track(transport.declaredNames());
  await broker.close();
  await ns.cleanup();
});

const main = tsxCommand(new URL('../src/main.ts', import.meta.url).pathname);

function env(port: number): Record<string, string> {
  return {
    PORT: String(port),
    DATABASE_URL: withDatabase(testDatabaseServerUrl(), database),
    DATABASE_SCHEMA: 'messaging',
    AMQP_URL: amqpUrl(),
    BROKER_NAMESPACE: ns.name,
    INTERNAL_TOKEN,
    JWKS_URL: 'http://127.0.0.1:9/.well-known/jwks.json',
    JWT_ISSUER: 'https://auth.test',
    JWT_AUDIENCE: 'im-platform',
  };
}

describe('main.ts (the service as a process)', () => {
  it('migrates an empty database, serves, and shuts down in order on SIGTERM', async () => {
    const port = await freePort();
    const proc = await startProcess({
      name: 'message-service',
      command: main.command,
      args: main.args,
      env: env(port),
      readyUrl: `http://127.0.0.1:${port}/readyz`,
    });
    const ready = await (await fetch(`http://127.0.0.1:${port}/readyz`)).json();
    expect(ready).toEqual({ status: 'ok', checks: { database: 'ok', broker: 'ok' } });
    const docs = (await (await fetch(`http://127.0.0.1:${port}/docs/json`)).json()) as {
      info: { title: string };
    };
    expect(docs.info.title).toBe('Message service');
    const internal = await fetch(`http://127.0.0.1:${port}/internal/v1/users/${randomUUID()}/contacts`, {
      headers: { 'x-internal-token': INTERNAL_TOKEN },
    });
    expect(await internal.json()).toEqual({ userIds: [] });
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/^message_outbox_backlog\{[^}]*\} 0$/m);
    expect(metrics).toContain('message_send_batch_size_bucket');

    proc.child.kill('SIGTERM');
    expect(await proc.exited, proc.output()).toBe(0);
    const messages = proc.logs().map((l) => String(l.msg));
    expect(messages).toContain('migrations applied');
    expect(messages.filter((m) => ['message worker stopped', 'shutdown complete'].includes(m))).toEqual([
      'message worker stopped',
      'shutdown complete',
    ]);
    // The secret never reaches the logs.
    expect(proc.output()).not.toContain(INTERNAL_TOKEN);
  });

  it('refuses to start with a configuration error naming the variables', async () => {
    const proc = await startProcess({
      name: 'message-service',
      command: main.command,
      args: main.args,
      env: { ...env(0), INTERNAL_TOKEN: 'short', COMPONENTS: 'http,teleport' },
    });
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toMatch(/INTERNAL_TOKEN: use at least 16 characters/);
    expect(proc.output()).toMatch(/COMPONENTS/);
  });
});
