import { expect } from 'vitest';
import { CryptoError, type CryptoErrorCode, nobleBackend, webCryptoBackend } from '../src/index.js';

export const BACKENDS = [webCryptoBackend, nobleBackend] as const;
export const ALGS = ['AES-256-GCM', 'XChaCha20-Poly1305'] as const;

/** Resolves to the CryptoError the promise rejects with; fails the test if it resolves or throws anything else. */
export async function rejection(promise: Promise<unknown>): Promise<CryptoError> {
  let result: unknown;
  try {
    result = await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(CryptoError);
    return err as CryptoError;
  }
  throw new Error(`expected a CryptoError, but it resolved to ${String(result)}`);
}

export async function expectCode(promise: Promise<unknown>, code: CryptoErrorCode): Promise<void> {
  const err = await rejection(promise);
  expect(err.code, err.message).toBe(code);
}

export const hex = (h: string): Uint8Array =>
  Uint8Array.from(h.match(/../g) ?? [], (b) => Number.parseInt(b, 16));

/** A copy of `bytes` with byte `index` XORed with `mask`. */
export function flip(bytes: Uint8Array, index: number, mask = 1): Uint8Array {
  const out = bytes.slice();
  out[index] = (out[index] as number) ^ mask;
  return out;
}
