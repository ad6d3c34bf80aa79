import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { getBackend, hasNativeCurves, nobleBackend, webCryptoBackend } from '../src/index.js';
import { BACKENDS } from './helpers.js';

describe('backend selection', () => {
  it('Node 20 has WebCrypto X25519/Ed25519 and auto-detection picks it', async () => {
    expect(await hasNativeCurves()).toBe(true);
    expect(await getBackend()).toBe(webCryptoBackend);
    expect(await getBackend('webcrypto')).toBe(webCryptoBackend);
    expect(await getBackend('noble')).toBe(nobleBackend);
  });

  it.each(BACKENDS)('$name: generated keys are 32 bytes and agree across backends', async (backend) => {
    const other = backend === nobleBackend ? webCryptoBackend : nobleBackend;
    const a = await backend.x25519Generate();
    const b = await other.x25519Generate();
    expect([a.secretKey.length, a.publicKey.length]).toEqual([32, 32]);
    expect(await other.x25519PublicKey(a.secretKey)).toEqual(a.publicKey);
    expect(await backend.x25519(a.secretKey, b.publicKey)).toEqual(
      await other.x25519(b.secretKey, a.publicKey),
    );
    const e = await backend.x25519Ephemeral();
    expect(await e.agree(b.publicKey)).toEqual(await other.x25519(b.secretKey, e.publicKey));

    const s = await backend.ed25519Generate();
    expect(await other.ed25519PublicKey(s.secretKey)).toEqual(s.publicKey);
    const msg = new TextEncoder().encode('hello');
    const sig = await backend.ed25519Sign(s.secretKey, msg);
    expect(await other.ed25519Sign(s.secretKey, msg)).toEqual(sig);
    expect(await other.ed25519Verify(s.publicKey, msg, sig)).toBe(true);
    expect(await backend.ed25519Verify(new Uint8Array(32).fill(0xff), msg, sig)).toBe(false);
    expect(await backend.ed25519Verify(s.publicKey, msg, sig.subarray(1))).toBe(false);
  });
});

describe('portability', () => {
  it('src/ imports nothing from Node (it must run unchanged in browsers)', () => {
    const dir = new URL('../src/', import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const text = readFileSync(new URL(file, dir), 'utf8');
      expect(text, file).not.toMatch(/from ['"](node:|crypto['"]|fs['"]|buffer['"])/);
      expect(text, file).not.toMatch(/\bBuffer\.|\bprocess\./);
    }
  });
});
