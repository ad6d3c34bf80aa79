import type { EnvelopeAlg } from '@im/contracts';
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js';
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { sha256 as nobleSha256, sha512 as nobleSha512 } from '@noble/hashes/sha2.js';
import { CryptoError } from './errors.js';

/**
 * Thin wrappers over audited primitives. Nothing here is home-made: AES-256-GCM,
 * HKDF-SHA256 and PBKDF2-SHA256 are WebCrypto (native in browsers and Node);
 * XChaCha20-Poly1305, scrypt and SHA-2 are @noble (pure TypeScript, audited).
 * The published test vectors run through exactly these functions.
 */

/** Bytes of the AEAD key, nonce and tag for each algorithm. */
export const AEAD_PARAMS = {
  'AES-256-GCM': { keyBytes: 32, nonceBytes: 12, tagBytes: 16 },
  'XChaCha20-Poly1305': { keyBytes: 32, nonceBytes: 24, tagBytes: 16 },
} as const satisfies Record<EnvelopeAlg, { keyBytes: number; nonceBytes: number; tagBytes: number }>;

/** WebCrypto's types, taken from the global (so that no DOM or Node type library is imported by name). */
export type Subtle = typeof globalThis.crypto.subtle;
export type WebCryptoKey = Awaited<ReturnType<Subtle['importKey']>>;
// Node's types give the usages as an array, the DOM library's (with DOM.Iterable) as an Iterable: accept both.
export type WebCryptoKeyUsage = Parameters<Subtle['importKey']>[4] extends Iterable<infer U> ? U : never;

/**
 * The bytes as WebCrypto's `BufferSource`. The DOM library types it as a view
 * over an `ArrayBuffer` (never a `SharedArrayBuffer`), which every array this
 * library makes is; Node's types are looser. Browser builds typecheck with DOM.
 */
export function bufferSource(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes as Uint8Array<ArrayBuffer>;
}

/** WebCrypto's SubtleCrypto, or a clear error where the runtime has none (an insecure browser context). */
export function subtle(): Subtle {
  const s = globalThis.crypto?.subtle;
  if (!s) {
    throw new CryptoError(
      'CRYPTO_BACKEND_UNAVAILABLE',
      'WebCrypto (crypto.subtle) is not available: serve the app over HTTPS or from localhost',
    );
  }
  return s;
}

export function isEnvelopeAlg(alg: unknown): alg is EnvelopeAlg {
  return typeof alg === 'string' && Object.hasOwn(AEAD_PARAMS, alg);
}

function checkAeadInputs(alg: EnvelopeAlg, key: Uint8Array, nonce: Uint8Array): void {
  if (!isEnvelopeAlg(alg))
    throw new CryptoError('CRYPTO_UNSUPPORTED_ALG', `Unsupported algorithm: ${String(alg)}`);
  const params = AEAD_PARAMS[alg];
  if (key.length !== params.keyBytes || nonce.length !== params.nonceBytes) {
    throw new CryptoError(
      'CRYPTO_INVALID_ARGUMENT',
      `${alg} needs a ${params.keyBytes}-byte key and a ${params.nonceBytes}-byte nonce`,
    );
  }
}

/** AEAD encryption; returns ciphertext || 16-byte tag. */
export async function aeadEncrypt(
  alg: EnvelopeAlg,
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  associatedData: Uint8Array,
): Promise<Uint8Array> {
  checkAeadInputs(alg, key, nonce);
  if (alg === 'XChaCha20-Poly1305') {
    return xchacha20poly1305(key, nonce, associatedData).encrypt(plaintext);
  }
  const k = await subtle().importKey('raw', bufferSource(key), 'AES-GCM', false, ['encrypt']);
  const out = await subtle().encrypt(
    {
      name: 'AES-GCM',
      iv: bufferSource(nonce),
      additionalData: bufferSource(associatedData),
      tagLength: 128,
    },
    k,
    bufferSource(plaintext),
  );
  return new Uint8Array(out);
}

/** AEAD decryption of ciphertext || tag; any authentication failure is `CRYPTO_DECRYPT_FAILED`. */
export async function aeadDecrypt(
  alg: EnvelopeAlg,
  key: Uint8Array,
  nonce: Uint8Array,
  sealed: Uint8Array,
  associatedData: Uint8Array,
): Promise<Uint8Array> {
  checkAeadInputs(alg, key, nonce);
  if (sealed.length < AEAD_PARAMS[alg].tagBytes) {
    throw new CryptoError('CRYPTO_DECRYPT_FAILED', 'ciphertext shorter than its tag');
  }
  try {
    if (alg === 'XChaCha20-Poly1305') {
      return xchacha20poly1305(key, nonce, associatedData).decrypt(sealed);
    }
    const k = await subtle().importKey('raw', bufferSource(key), 'AES-GCM', false, ['decrypt']);
    const out = await subtle().decrypt(
      {
        name: 'AES-GCM',
        iv: bufferSource(nonce),
        additionalData: bufferSource(associatedData),
        tagLength: 128,
      },
      k,
      bufferSource(sealed),
    );
    return new Uint8Array(out);
  } catch (err) {
    throw new CryptoError('CRYPTO_DECRYPT_FAILED', undefined, undefined, { cause: err });
  }
}

/** HKDF-SHA256 (RFC 5869) via WebCrypto. An empty salt means HashLen zero bytes, as the RFC says. */
export async function hkdfSha256(
  ikm: Uint8Array,
  salt: Uint8Array,
  info: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  if (!Number.isInteger(length) || length < 1 || length > 255 * 32) {
    throw new CryptoError('CRYPTO_INVALID_ARGUMENT', 'HKDF-SHA256 output length must be 1..8160 bytes');
  }
  const key = await subtle().importKey('raw', bufferSource(ikm), 'HKDF', false, ['deriveBits']);
  const bits = await subtle().deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt: bufferSource(salt), info: bufferSource(info) },
    key,
    length * 8,
  );
  return new Uint8Array(bits);
}

/** PBKDF2-HMAC-SHA256 via WebCrypto. */
export async function pbkdf2Sha256(
  password: Uint8Array,
  salt: Uint8Array,
  iterations: number,
  length: number,
): Promise<Uint8Array> {
  const key = await subtle().importKey('raw', bufferSource(password), 'PBKDF2', false, ['deriveBits']);
  const bits = await subtle().deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt: bufferSource(salt), iterations },
    key,
    length * 8,
  );
  return new Uint8Array(bits);
}

/** scrypt (RFC 7914) via @noble/hashes; async so a browser tab stays responsive. */
export async function scrypt(
  password: Uint8Array,
  salt: Uint8Array,
  params: { N: number; r: number; p: number },
  length: number,
): Promise<Uint8Array> {
  return scryptAsync(password, salt, { N: params.N, r: params.r, p: params.p, dkLen: length });
}

export function sha256(data: Uint8Array): Uint8Array {
  return nobleSha256(data);
}

export function sha512(data: Uint8Array): Uint8Array {
  return nobleSha512(data);
}
