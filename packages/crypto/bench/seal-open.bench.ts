/**
 * Seal + open time for a 1 KiB message to 1, 10 and 100 recipients, on both
 * curve backends and both AEADs. A benchmark, not a test: it prints numbers.
 *
 *   pnpm --filter @im/crypto bench
 */
import { randomUUID } from 'node:crypto';
import {
  type CurveBackend,
  generateIdentity,
  nobleBackend,
  open,
  publicBundle,
  seal,
  webCryptoBackend,
} from '../src/index.js';

const ALGS = ['AES-256-GCM', 'XChaCha20-Poly1305'] as const;
const RECIPIENTS = [1, 10, 100];
const MIN_RUNS = 5;
const MIN_MS = 400;

async function measure(fn: () => Promise<unknown>): Promise<number> {
  await fn();
  let runs = 0;
  const start = performance.now();
  while (runs < MIN_RUNS || performance.now() - start < MIN_MS) {
    await fn();
    runs++;
  }
  return (performance.now() - start) / runs;
}

async function row(backend: CurveBackend, alg: (typeof ALGS)[number], count: number) {
  const opts = { backend };
  const sender = await generateIdentity(randomUUID(), 1, opts);
  const others = await Promise.all(
    Array.from({ length: count }, () => generateIdentity(randomUUID(), 1, opts)),
  );
  const reader = others[0] ?? sender;
  const input = {
    alg,
    conversationId: randomUUID(),
    senderId: sender.userId,
    senderKeyVersion: 1,
    clientMsgId: randomUUID(),
    plaintext: new Uint8Array(1024).fill(0x61),
    recipients: others.map(publicBundle),
    senderKeys: sender,
  };
  const envelope = await seal(input, opts);
  const ctx = { me: reader, senderPublic: publicBundle(sender) };
  const sealMs = await measure(() => seal(input, opts));
  const openMs = await measure(() => open(envelope, ctx, opts));
  return {
    backend: backend.name,
    alg,
    recipients: count,
    'wrapped for': envelope.recipients.length,
    'envelope bytes': JSON.stringify(envelope).length,
    'seal ms': sealMs.toFixed(2),
    'open ms': openMs.toFixed(2),
    'seal+open ms': (sealMs + openMs).toFixed(2),
  };
}

const rows = [];
for (const backend of [webCryptoBackend, nobleBackend]) {
  for (const alg of ALGS) {
    for (const count of RECIPIENTS) rows.push(await row(backend, alg, count));
  }
}
console.log(`seal+open of a 1 KiB message (Node ${process.version}, ${process.platform}/${process.arch})`);
console.table(rows);
