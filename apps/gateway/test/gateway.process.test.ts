import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { amqpUrl, freePort, type RunningProcess, startProcess, tsxCommand } from '@im/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestAuth,
  newUser,
  TEST_AUDIENCE,
  TEST_ISSUER,
  type TestAuth,
  TestSocket,
  testBrokers,
} from './support/index.js';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const INTERNAL_TOKEN = 'process-test-internal-token';

const brokers = testBrokers('gw-process');
let auth: TestAuth;
/** Stands in for the auth service's JWKS and the message service's pending endpoint. */
let upstream: Server;
let upstreamUrl: string;
/** A session the auth service revoked before the gateway started. */
const revokedBeforeStart = newUser();

beforeAll(async () => {
  auth = await createTestAuth();
  upstream = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://x');
    if (url.pathname === '/.well-known/jwks.json') {
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(auth.jwks));
    } else if (url.pathname === '/internal/v1/revocations') {
      const allowed = request.headers['x-internal-token'] === INTERNAL_TOKEN;
      response.writeHead(allowed ? 200 : 403, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          revocations: [{ sessionId: revokedBeforeStart.deviceId, revokedAt: new Date().toISOString() }],
          since: new Date(Date.now() - 3_600_000).toISOString(),
          hasMore: false,
        }),
      );
    } else if (/^\/internal\/v1\/devices\/[^/]+\/pending$/.test(url.pathname)) {
      const allowed = request.headers['x-internal-token'] === INTERNAL_TOKEN;
      response
        .writeHead(allowed ? 200 : 403, { 'content-type': 'application/json' })
        .end(JSON.stringify(allowed ? { messages: [], nextPageToken: null, resync: null } : {}));
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  // Tracks the topology's names in the namespace, for cleanup.
  await (await brokers.connect('gw-process-test')).declareTopology();
});

afterAll(async () => {
  upstream?.close();
  await brokers.closeAll();
});

describe('tsx src/main.ts', () => {
  let gateway: RunningProcess | undefined;
  afterAll(async () => {
    await gateway?.stop('SIGKILL');
  });

  it('starts from the environment, serves clients, and shuts down on SIGTERM closing sockets with 1012', async () => {
    const port = await freePort();
    const { command, args } = tsxCommand(MAIN);
    gateway = await startProcess({
      name: 'gateway',
      command,
      args,
      env: {
        PORT: String(port),
        AMQP_URL: amqpUrl(),
        BROKER_NAMESPACE: brokers.namespace.name,
        INSTANCE_ID: 'process-test',
        AUTH_URL: upstreamUrl,
        JWT_ISSUER: TEST_ISSUER,
        JWT_AUDIENCE: TEST_AUDIENCE,
        MESSAGE_SERVICE_URL: upstreamUrl,
        INTERNAL_TOKEN,
        LOG_LEVEL: 'info',
      },
      readyUrl: `http://127.0.0.1:${port}/readyz`,
    });
    const user = newUser();
    const socket = await TestSocket.live(
      `ws://127.0.0.1:${port}/v1/ws`,
      await auth.token(user.userId, user.deviceId),
    );
    expect(socket.of('ready')[0]).toMatchObject({ userId: user.userId, deviceId: user.deviceId });
    const revoked = await TestSocket.open(`ws://127.0.0.1:${port}/v1/ws`, {
      token: await auth.token(revokedBeforeStart.userId, revokedBeforeStart.deviceId),
    });
    expect((await revoked.waitClosed()).code).toBe(4403);

    expect(await gateway.stop('SIGTERM')).toBe(0);
    expect((await socket.waitClosed()).code).toBe(1012);
    const logs = gateway.logs();
    expect(logs.some((l) => l.msg === 'shutdown complete')).toBe(true);
    expect(JSON.stringify(logs)).not.toContain(INTERNAL_TOKEN);
  });

  it('refuses to start with a bad environment, naming the variables', async () => {
    const { command, args } = tsxCommand(MAIN);
    const failing = startProcess({
      name: 'gateway',
      command,
      args,
      env: { AMQP_URL: 'not a url', INTERNAL_TOKEN: 'short' },
      readyLine: /never/,
      timeoutMs: 20_000,
    });
    await expect(failing).rejects.toThrow(/AMQP_URL[\s\S]*INTERNAL_TOKEN|INTERNAL_TOKEN[\s\S]*AMQP_URL/);
  });
});
