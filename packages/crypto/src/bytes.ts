import { CryptoError } from './errors.js';

/**
 * Byte helpers shared by the library: strict base64url, UTF-8, random bytes and
 * the canonical binary writer that every signed or authenticated structure is
 * encoded with (see docs/crypto.md, "Canonical encoding").
 */

const B64URL = /^[A-Za-z0-9_-]*$/;

export function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

export function fromUtf8(bytes: Uint8Array): string {
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
}

/** base64url without padding (RFC 4648 §5). */
export function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * Decodes base64url without padding, strictly: the only accepted spelling of a
 * byte string is the one `toBase64Url` produces. Without this, two spellings
 * that differ in the unused low bits of the last character would decode to the
 * same bytes, and a changed envelope character could go unnoticed by the
 * signature check.
 */
export function fromBase64Url(text: string, what = 'value', expectedLength?: number): Uint8Array {
  if (!B64URL.test(text) || text.length % 4 === 1) {
    throw new CryptoError('CRYPTO_MALFORMED', `${what} is not base64url`);
  }
  const std = text.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(std + '='.repeat((4 - (std.length % 4)) % 4));
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  if (toBase64Url(out) !== text) {
    throw new CryptoError('CRYPTO_MALFORMED', `${what} is not canonical base64url`);
  }
  if (expectedLength !== undefined && out.length !== expectedLength) {
    throw new CryptoError('CRYPTO_MALFORMED', `${what} must be ${expectedLength} bytes, got ${out.length}`);
  }
  return out;
}

export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new CryptoError('CRYPTO_MALFORMED', 'not a hex string');
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

/** Lexicographic byte order, used to sort recipients canonically. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

export function randomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  globalThis.crypto.getRandomValues(out);
  return out;
}

/**
 * Builds the canonical byte strings that are hashed, signed or used as AEAD
 * associated data. Integers are unsigned big-endian; strings are UTF-8 with a
 * u16 length prefix; variable byte strings carry a u32 length prefix; fixed-size
 * keys are written raw. Every field has exactly one encoding, and no two field
 * sequences of one structure encode to the same bytes.
 */
export class ByteWriter {
  private readonly parts: Uint8Array[] = [];

  u8(value: number): this {
    assertUint(value, 0xff, 'u8');
    this.parts.push(Uint8Array.of(value));
    return this;
  }

  u16(value: number): this {
    assertUint(value, 0xffff, 'u16');
    this.parts.push(Uint8Array.of(value >>> 8, value & 0xff));
    return this;
  }

  u32(value: number): this {
    assertUint(value, 0xffffffff, 'u32');
    this.parts.push(Uint8Array.of(value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff));
    return this;
  }

  /** A UTF-8 string with a u16 byte-length prefix. */
  str(value: string): this {
    const bytes = utf8(value);
    this.u16(bytes.length);
    this.parts.push(bytes);
    return this;
  }

  /** A fixed-size field: the reader knows its length from the format. */
  fixed(bytes: Uint8Array, length: number): this {
    if (bytes.length !== length) {
      throw new CryptoError('CRYPTO_INVALID_ARGUMENT', `expected ${length} bytes, got ${bytes.length}`);
    }
    this.parts.push(bytes);
    return this;
  }

  /** A variable-size byte string with a u32 length prefix. */
  bytes(bytes: Uint8Array): this {
    this.u32(bytes.length);
    this.parts.push(bytes);
    return this;
  }

  finish(): Uint8Array {
    return concat(...this.parts);
  }
}

function assertUint(value: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new CryptoError('CRYPTO_INVALID_ARGUMENT', `${value} does not fit in ${what}`);
  }
}

/** Reads what `ByteWriter` wrote; every read is bounds-checked. */
export class ByteReader {
  private offset = 0;
  constructor(private readonly data: Uint8Array) {}

  u8(): number {
    return this.take(1)[0] as number;
  }

  u16(): number {
    const b = this.take(2);
    return ((b[0] as number) << 8) | (b[1] as number);
  }

  u32(): number {
    const b = this.take(4);
    return (
      (((b[0] as number) << 24) >>> 0) +
      (((b[1] as number) << 16) | ((b[2] as number) << 8) | (b[3] as number))
    );
  }

  fixed(length: number): Uint8Array {
    return this.take(length);
  }

  end(): void {
    if (this.offset !== this.data.length) throw new CryptoError('CRYPTO_MALFORMED', 'trailing bytes');
  }

  private take(n: number): Uint8Array {
    if (this.offset + n > this.data.length) throw new CryptoError('CRYPTO_MALFORMED', 'truncated data');
    const out = this.data.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }
}
