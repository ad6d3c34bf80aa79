/**
 * Seal + open time for a 1 KiB message to 1, 10 and 100 recipients, on both
 * curve backends and both AEADs. A benchmark, not a test: it prints numbers.
 *
 *   pnpm --filter @im/crypto bench
 */
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
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

/** Median time of one call in ms (the median shrugs off a busy machine better than the mean). */
async function measure(fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < MIN_RUNS || performance.now() - start < MIN_MS) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] as number;
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
console.log(
  `seal+open of a 1 KiB message, median ms (Node ${process.version}, ${process.platform}/${process.arch}, ` +
    `load average ${loadavg()[0]?.toFixed(1)})`,
);
console.table(rows);
