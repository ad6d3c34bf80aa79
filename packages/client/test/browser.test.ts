import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DeliveryKeys } from '@im/contracts';
import {
  createTestAuth,
  newUser,
  startTestGateway,
  storedMessage,
  type TestAuth,
  type TestGateway,
  testBrokers,
} from '@im/gateway/testing';
import { chromiumLaunchOptions } from '@im/testkit';
import { build } from 'esbuild';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Harness } from './browser/harness.js';

/**
 * The client bundled for the browser with esbuild and run in Debian's Chromium
 * (playwright-core) against a real gateway: the browser's own WebSocket, the
 * `auth` frame, and the Origin check.
 */

const brokers = testBrokers('client-browser');
let auth: TestAuth;
let server: Server | undefined;
let browser: Browser | undefined;
let page: Page;
let origin: string;
const gateways: TestGateway[] = [];

async function call<K extends keyof Harness>(
  name: K,
  ...args: Parameters<Harness[K]>
): Promise<Awaited<ReturnType<Harness[K]>>> {
  return (await page.evaluate(`globalThis.imTest.${name}(...${JSON.stringify(args)})`)) as Awaited<
    ReturnType<Harness[K]>
  >;
}

beforeAll(async () => {
  auth = await createTestAuth();
  const bundle = await build({
    entryPoints: [new URL('./browser/harness.ts', import.meta.url).pathname],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  const js = bundle.outputFiles[0]?.text ?? '';
  expect(js).not.toMatch(/from\s*["']node:/);
  const html =
    '<!doctype html><meta charset="utf-8"><title>im client</title><script type="module" src="/bundle.js"></script>';
  server = createServer((request, response) => {
    if (request.url === '/') response.writeHead(200, { 'content-type': 'text/html' }).end(html);
    else if (request.url === '/bundle.js')
      response.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
    else response.writeHead(404).end();
  });
  const listening = server;
  await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(listening.address() as AddressInfo).port}`;
  browser = await chromium.launch(chromiumLaunchOptions());
  page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${origin}/`);
  await page.waitForFunction('typeof globalThis.imTest === "object"', undefined, { timeout: 30_000 });
  expect(errors).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  server?.close();
  for (const gateway of gateways) await gateway.close();
  await brokers.closeAll();
});

describe('in a browser (Chromium)', () => {
  it('connects with the global WebSocket and an auth frame from an allowed origin, and receives messages', async () => {
    const gateway = await startTestGateway({ brokers, auth, allowedOrigins: [origin] });
    gateways.push(gateway);
    const user = newUser();
    const result = await call('connect', gateway.url, await auth.token(user.userId, user.deviceId));
    expect(result).toEqual({ state: 'live', identity: user, hasWebSocket: true });

    const conversationId = randomUUID();
    for (const seq of [1, 2, 2, 3]) {
      await gateway.broker.publish(
        'delivery.frame.v1',
        {
          frame: { type: 'message', message: storedMessage({ conversationId, seq, senderId: randomUUID() }) },
        },
        { routingKey: DeliveryKeys.device(user.deviceId) },
      );
    }
    await page.waitForFunction('globalThis.imTest.seqs().length === 3', undefined, { timeout: 10_000 });
    expect(await call('seqs')).toEqual([1, 2, 3]);
  });

  it('is refused from an origin the gateway does not allow (4403) and does not retry', async () => {
    const gateway = await startTestGateway({ brokers, auth, allowedOrigins: ['https://chat.example.com'] });
    gateways.push(gateway);
    const user = newUser();
    const closed = await call('refused', gateway.url, await auth.token(user.userId, user.deviceId));
    expect(closed).toMatchObject({ code: 4403, reconnectInMs: null });
  });
});
