import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromiumLaunchOptions } from '@im/testkit';
import { build } from 'esbuild';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deserializeIdentity,
  fromUtf8,
  generateIdentity,
  type IdentityKeys,
  open,
  publicBundle,
  seal,
  serializeIdentity,
} from '../src/index.js';
import type { Harness } from './browser/harness.js';
import { ALGS } from './helpers.js';

/**
 * The library bundled for the browser with esbuild, served from a local HTTP
 * server (a secure context, so WebCrypto is there), run in Debian's Chromium
 * through playwright-core: seal in the browser and open in Node, and the
 * reverse, for both algorithms and both browser backends.
 */

let server: Server | undefined;
let browser: Browser | undefined;
let page: Page;

/** Calls a harness function in the page; arguments and result travel as JSON. */
async function call<K extends keyof Harness>(
  name: K,
  ...args: Parameters<Harness[K]>
): Promise<Awaited<ReturnType<Harness[K]>>> {
  return (await page.evaluate(`globalThis.imTest.${name}(...${JSON.stringify(args)})`)) as Awaited<
    ReturnType<Harness[K]>
  >;
}

beforeAll(async () => {
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
    '<!doctype html><meta charset="utf-8"><title>im crypto</title><script type="module" src="/bundle.js"></script>';

  server = createServer((req, res) => {
    if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html' }).end(html);
    else if (req.url === '/bundle.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
    else res.writeHead(404).end();
  });
  const listening = server;
  await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
  const { port } = listening.address() as AddressInfo;

  browser = await chromium.launch(chromiumLaunchOptions());
  page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction('typeof globalThis.imTest === "object"', undefined, { timeout: 30_000 });
  expect(errors).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve, reject) =>
    server ? server.close((err) => (err ? reject(err) : resolve())) : resolve(),
  );
});

describe('browser ↔ Node round trip (Chromium via playwright-core)', () => {
  let alice: IdentityKeys;
  let bob: IdentityKeys;

  beforeAll(async () => {
    [alice, bob] = await Promise.all([generateIdentity(randomUUID(), 1), generateIdentity(randomUUID(), 4)]);
  });

  it('the page is a secure context and uses native WebCrypto X25519/Ed25519', async () => {
    expect(await call('info')).toEqual({ backend: 'webcrypto', secureContext: true });
  });

  for (const backend of ['auto', 'noble'] as const) {
    describe(`browser backend: ${backend}`, () => {
      it.each(ALGS)('%s: sealed in the browser, opened in Node', async (alg) => {
        const ids = { conversationId: randomUUID(), clientMsgId: randomUUID() };
        const text = `from the browser (${alg}) ✓`;
        const env = await call(
          'seal',
          serializeIdentity(alice),
          [publicBundle(bob)],
          alg,
          text,
          ids,
          backend,
        );
        expect(env.alg).toBe(alg);
        expect(fromUtf8(await open(env, { me: bob, senderPublic: publicBundle(alice) }))).toBe(text);
        // And what the browser sealed, the browser's sender (alice) can read back in Node too.
        expect(fromUtf8(await open(env, { me: alice, senderPublic: publicBundle(alice) }))).toBe(text);
      });

      it.each(ALGS)('%s: sealed in Node, opened in the browser', async (alg) => {
        const text = `from Node (${alg}) ✓`;
        const env = await seal({
          alg,
          conversationId: randomUUID(),
          clientMsgId: randomUUID(),
          senderId: bob.userId,
          senderKeyVersion: bob.keyVersion,
          plaintext: text,
          recipients: [publicBundle(alice)],
          senderKeys: bob,
        });
        expect(await call('open', env, serializeIdentity(alice), publicBundle(bob), backend)).toBe(text);
      });
    });
  }

  it.each(ALGS)(
    '%s: keys generated in the browser work in Node, and the browser rejects a tampered envelope',
    async (alg) => {
      const carol = await deserializeIdentity(await call('generate', randomUUID(), 2, 'auto'));
      const env = await seal({
        alg,
        conversationId: randomUUID(),
        clientMsgId: randomUUID(),
        senderId: alice.userId,
        senderKeyVersion: 1,
        plaintext: 'for carol',
        recipients: [publicBundle(carol)],
        senderKeys: alice,
      });
      expect(await call('open', env, serializeIdentity(carol), publicBundle(alice), 'auto')).toBe(
        'for carol',
      );
      const tampered = { ...env, clientMsgId: randomUUID() };
      expect(await call('openError', tampered, serializeIdentity(carol), publicBundle(alice))).toBe(
        'CRYPTO_BAD_SIGNATURE',
      );
      const fromCarol = await call(
        'seal',
        serializeIdentity(carol),
        [publicBundle(alice)],
        alg,
        'from carol',
        { conversationId: randomUUID(), clientMsgId: randomUUID() },
        'auto',
      );
      expect(fromUtf8(await open(fromCarol, { me: alice, senderPublic: publicBundle(carol) }))).toBe(
        'from carol',
      );
    },
  );
});
